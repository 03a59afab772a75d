package analytics

import "time"

// windowSum is the sum of the buckets of a window that ends at the clock.
// Records that land in one of its hours are added to it as they arrive
// (touch), and it slides with the clock by adding the hours it reaches and
// subtracting those it leaves, so that reading a KPI costs the same
// however many records were fed. It is summed afresh every maxSlides
// slides, which bounds the rounding of the float sums.
type windowSum struct {
	key    sumKey
	lo, hi int64 // the hours held; lo > hi when empty
	slides int
	sum    bucket
}

const maxSlides = 64

// sumKey names a running sum: a window by its length, whole (slice −1)
// or one of the slices of its series.
type sumKey struct {
	window time.Duration
	slice  int
}

// windowSum returns the sum of the buckets of the window of length w
// ending at now.
func (j *journey) windowSum(w time.Duration, now int64) *bucket {
	return j.spanSum(sumKey{w, -1}, window(now, w))
}

// sliceSum returns the sum of the buckets of slice i of the n slices of
// whole hours that the window of length w ending at now is cut into.
func (j *journey) sliceSum(w time.Duration, i, n int64, now int64) *bucket {
	sp := window(now, w)
	h := sp.hi - sp.lo + 1
	return j.spanSum(sumKey{w, int(i)}, span{sp.lo + i*h/n, sp.lo + (i+1)*h/n - 1})
}

// spanSum brings the running sum key to the span sp and returns it.
func (j *journey) spanSum(key sumKey, sp span) *bucket {
	if n := int64(len(j.ring)); sp.hi-sp.lo >= n {
		sp.lo = sp.hi - n + 1
	}
	var ws *windowSum
	for _, x := range j.sums {
		if x.key == key {
			ws = x
			break
		}
	}
	if ws == nil {
		ws = &windowSum{key: key, lo: 1, hi: 0}
		j.sums = append(j.sums, ws)
	}
	if ws.lo > ws.hi || sp.lo < ws.lo || sp.hi < ws.hi || sp.lo > ws.hi || ws.slides >= maxSlides {
		ws.sum = bucket{}
		for h := sp.lo; h <= sp.hi; h++ {
			if b := j.get(h); b != nil {
				ws.sum.merge(b, 1)
			}
		}
		ws.lo, ws.hi, ws.slides = sp.lo, sp.hi, 0
		return &ws.sum
	}
	if sp.lo == ws.lo && sp.hi == ws.hi {
		return &ws.sum
	}
	for h := ws.hi + 1; h <= sp.hi; h++ {
		if b := j.get(h); b != nil {
			ws.sum.merge(b, 1)
		}
	}
	for h := ws.lo; h < sp.lo; h++ {
		if b := j.get(h); b != nil {
			ws.sum.merge(b, -1)
		}
	}
	ws.lo, ws.hi = sp.lo, sp.hi
	ws.slides++
	return &ws.sum
}

// evicted takes a bucket about to be dropped out of the sums that hold it.
func (j *journey) evicted(b *bucket) {
	for _, ws := range j.sums {
		if ws.lo <= b.hour && b.hour <= ws.hi {
			ws.sum.merge(b, -1)
		}
	}
}
