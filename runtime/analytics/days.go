package analytics

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/waymarkhq/waymark/lang/funcs"
)

// DefaultDays is how many UTC days a journey keeps daily figures for.
const DefaultDays = 400

// days is a journey's figures beyond its hourly ring: one bucket per UTC
// day for the last Options.Days days, and one for all time, so that a
// report can cover a month, a year or everything the journey has seen at
// a cost that depends on the days read, not on the records fed. A day
// bucket's hour field holds its day number. KPIs read the hourly ring
// only, so these buckets leave out what only KPIs read (the latest-event
// counts of rate()).
type days struct {
	ring   []*bucket // by day modulo len(ring)
	newest int64     // the newest day written
	total  bucket
	first  int64 // the first hour written, math.MaxInt64 when none
}

func newDays(n int) days {
	return days{ring: make([]*bucket, max(n, 1)), newest: math.MinInt64, total: bucket{long: true}, first: math.MaxInt64}
}

func dayOf(hour int64) int64 {
	d := hour / 24
	if hour%24 < 0 {
		d--
	}
	return d
}

func dayTime(d int64) time.Time { return hourTime(d * 24) }

func (d *days) slot(day int64) int { return ringSlot(d.ring, day) }

// get returns the bucket of day, or nil.
func (d *days) get(day int64) *bucket { return ringGet(d.ring, day) }

// at returns the bucket of day to write to, or nil when day is older than
// what is kept.
func (d *days) at(day int64) *bucket { return ringAt(d.ring, &d.newest, day, true, nil) }

// touch applies a change of hour h to its day and to all time.
func (d *days) touch(h int64, fn func(*bucket)) {
	d.first = min(d.first, h)
	if b := d.at(dayOf(h)); b != nil {
		fn(b)
	}
	fn(&d.total)
}

// oldest is the first day still kept.
func (d *days) oldest() int64 {
	if d.newest == math.MinInt64 {
		return math.MinInt64
	}
	return d.newest - int64(len(d.ring)) + 1
}

// Range chooses what a report's totals, funnel, paths and actions cover.
// The zero Range is the default window ending at the clock.
type Range struct {
	// All covers everything the journey has seen.
	All bool
	// Window is a length that ends at To (default Options.Window).
	Window time.Duration
	// From starts a custom range instead of Window; To ends it (zero:
	// the clock). Both are widened to whole UTC hours, or to whole UTC
	// days where the range reaches beyond the hours a journey keeps.
	From, To time.Time
}

// ErrRange is returned for a range that cannot be reported.
var ErrRange = errors.New("bad report range")

// covered is the buckets a report sums, and the times they cover.
type covered struct {
	sum      *bucket
	from, to time.Time
	// lo and hi (ms, hi exclusive) bound the times the summed buckets
	// count runs by: from the first's start to the last's end.
	lo, hi int64
	label  string
}

// cover sums the buckets of r as of now (ms).
func (a *Analytics) cover(j *journey, r Range, now int64) (covered, error) {
	if r.All {
		from := hourTime(hourOf(now))
		if j.days.first != math.MaxInt64 {
			from = hourTime(j.days.first)
		}
		return covered{sum: &j.days.total, from: from, to: time.UnixMilli(now).UTC(), lo: math.MinInt64, hi: math.MaxInt64, label: "all"}, nil
	}
	hi := now
	if !r.To.IsZero() {
		hi = min(r.To.UnixMilli(), now)
	}
	w := r.Window
	if w <= 0 {
		w = a.opts.Window
	}
	lo := hi - w.Milliseconds()
	label := funcs.FormatDuration(w)
	if !r.From.IsZero() {
		lo, label = r.From.UnixMilli(), "custom"
	} else if !r.To.IsZero() {
		label = "custom"
	}
	if lo > hi {
		return covered{}, fmt.Errorf("%w: it starts (%s) after it ends (%s)", ErrRange,
			time.UnixMilli(lo).UTC().Format(time.RFC3339), time.UnixMilli(hi).UTC().Format(time.RFC3339))
	}
	to := time.UnixMilli(hi).UTC()
	sp := span{hourOf(lo), hourOf(hi)}
	if j.newest == math.MinInt64 || sp.lo > j.newest-int64(len(j.ring)) {
		if r.From.IsZero() && r.To.IsZero() && w == a.opts.Window {
			return covered{sum: j.windowSum(w, now), from: hourTime(sp.lo), to: to, lo: sp.lo * hourMs, hi: (sp.hi + 1) * hourMs, label: label}, nil
		}
		sum := &bucket{}
		for h := sp.lo; h <= sp.hi; h++ {
			if b := j.get(h); b != nil {
				sum.merge(b, 1)
			}
		}
		return covered{sum: sum, from: hourTime(sp.lo), to: to, lo: sp.lo * hourMs, hi: (sp.hi + 1) * hourMs, label: label}, nil
	}
	dlo, dhi := dayOf(sp.lo), dayOf(sp.hi)
	if old := j.days.oldest(); dlo < old && j.days.first != math.MaxInt64 && dayOf(j.days.first) < old {
		// Days before the first one written hold nothing; those written
		// but no longer kept would be missing.
		return covered{}, fmt.Errorf("%w: daily figures are kept for the last %d days (from %s); ask for window=all, or a later start",
			ErrRange, len(j.days.ring), dayTime(old).Format("2006-01-02"))
	}
	sum := &bucket{long: true}
	for d := max(dlo, j.days.oldest()); d <= dhi; d++ {
		if b := j.days.get(d); b != nil {
			sum.merge(b, 1)
		}
	}
	return covered{sum: sum, from: dayTime(dlo), to: to, lo: dayTime(dlo).UnixMilli(), hi: dayTime(dhi + 1).UnixMilli(), label: label}, nil
}
