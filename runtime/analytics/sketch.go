package analytics

import (
	"math"
)

// RelativeAccuracy is the sketches' guarantee: a quantile they return is
// within this share of the true value of that rank.
const RelativeAccuracy = 0.01

var (
	sketchGamma   = (1 + RelativeAccuracy) / (1 - RelativeAccuracy)
	sketchLnGamma = math.Log(sketchGamma)
)

// sketchMin is the smallest value a sketch tells apart from zero (seconds:
// a millisecond); values at or below it count as zero.
const sketchMin = 1e-3

// Sketch summarises non-negative values so that any quantile can be read
// back within RelativeAccuracy, and two sketches merge into the sketch of
// both sets (DDSketch, Masson et al., VLDB 2019). A value x > 0 falls in
// bin i = ⌈log_γ x⌉ with γ = (1+α)/(1−α); the bin answers 2γ^i/(γ+1),
// within α of every value in it. Bins are dense between the lowest and the
// highest used, so a sketch of values between a second and a month holds
// at most about 750 counters. The zero value is an empty sketch.
type Sketch struct {
	zero   uint64
	offset int32    // the bin of counts[0]
	counts []uint64 // counts per bin from offset
	n      uint64
}

func sketchIndex(x float64) int32 {
	return int32(math.Ceil(math.Log(x) / sketchLnGamma))
}

func sketchValue(i int32) float64 {
	return 2 * math.Pow(sketchGamma, float64(i)) / (sketchGamma + 1)
}

// Add adds a value; negative values and NaN count as zero.
func (s *Sketch) Add(x float64) { s.addN(x, 1) }

func (s *Sketch) addN(x float64, n uint64) { s.addPoint(pointOf(x), n) }

// sketchPoint is where a value falls in a sketch, found once for a value
// added to several (an hour's, a day's and all time's).
type sketchPoint struct {
	zero bool
	bin  int32
}

func pointOf(x float64) sketchPoint {
	if !(x > sketchMin) {
		return sketchPoint{zero: true}
	}
	if math.IsInf(x, 1) {
		x = math.MaxFloat64
	}
	return sketchPoint{bin: sketchIndex(x)}
}

// addPoint adds n values at p.
func (s *Sketch) addPoint(p sketchPoint, n uint64) {
	s.n += n
	if p.zero {
		s.zero += n
		return
	}
	s.bin(p.bin, n)
}

// bin adds n to bin i, growing the dense range to hold it.
func (s *Sketch) bin(i int32, n uint64) {
	switch {
	case len(s.counts) == 0:
		s.offset = i
		s.counts = append(s.counts, n)
		return
	case i < s.offset:
		grow := int(s.offset - i)
		c := make([]uint64, len(s.counts)+grow)
		copy(c[grow:], s.counts)
		s.counts, s.offset = c, i
	case int(i-s.offset) >= len(s.counts):
		s.counts = append(s.counts, make([]uint64, int(i-s.offset)-len(s.counts)+1)...)
	}
	s.counts[i-s.offset] += n
}

// Count is the number of values added.
func (s *Sketch) Count() uint64 { return s.n }

// Merge adds every value of o.
func (s *Sketch) Merge(o *Sketch) { s.merge(o, 1) }

// merge adds o's counts, or subtracts them (sign −1) when s holds o.
func (s *Sketch) merge(o *Sketch, sign int64) {
	if o == nil || o.n == 0 {
		return
	}
	add := func(x *uint64, v uint64) {
		if sign < 0 {
			*x -= v
		} else {
			*x += v
		}
	}
	add(&s.n, o.n)
	add(&s.zero, o.zero)
	if len(o.counts) == 0 {
		return
	}
	if len(s.counts) == 0 {
		s.offset = o.offset
		s.counts = make([]uint64, len(o.counts))
	}
	// Grow once to cover both ranges.
	lo, hi := min(s.offset, o.offset), max(s.offset+int32(len(s.counts)), o.offset+int32(len(o.counts)))
	if lo != s.offset || hi != s.offset+int32(len(s.counts)) {
		c := make([]uint64, hi-lo)
		copy(c[s.offset-lo:], s.counts)
		s.counts, s.offset = c, lo
	}
	base := o.offset - s.offset
	for i, v := range o.counts {
		add(&s.counts[base+int32(i)], v)
	}
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the values: the value of
// rank ⌊q·(n−1)⌋ from the smallest (rank 0), within RelativeAccuracy. It
// reports false for an empty sketch.
func (s *Sketch) Quantile(q float64) (float64, bool) {
	if s.n == 0 {
		return 0, false
	}
	q = math.Min(math.Max(q, 0), 1)
	rank := uint64(q * float64(s.n-1))
	if rank < s.zero {
		return 0, true
	}
	seen := s.zero
	for i, c := range s.counts {
		seen += c
		if seen > rank {
			return sketchValue(s.offset + int32(i)), true
		}
	}
	return sketchValue(s.offset + int32(len(s.counts)-1)), true
}

// Bins is the number of counters the sketch holds.
func (s *Sketch) Bins() int { return len(s.counts) }

// sketchState is a sketch's stored form.
type sketchState struct {
	Zero   uint64
	Offset int32
	Counts []uint64
}

func (s *Sketch) state() *sketchState {
	if s == nil || s.n == 0 {
		return nil
	}
	return &sketchState{Zero: s.zero, Offset: s.offset, Counts: s.counts}
}

func (st *sketchState) sketch() *Sketch {
	if st == nil {
		return nil
	}
	s := &Sketch{zero: st.Zero, offset: st.Offset, counts: st.Counts, n: st.Zero}
	for _, c := range st.Counts {
		s.n += c
	}
	return s
}
