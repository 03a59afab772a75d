package models

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"sync/atomic"
)

const kindBeta = 'b'

// Beta is a Beta-Bernoulli model: the posterior of the action's positive
// rate is Beta(1 + positives, 1 + negatives). Its zero value is the prior.
// Counts are packed in one word, so that a draw never sees a half-made
// update.
type Beta struct {
	counts  atomic.Uint64 // positives << 32 | negatives
	control atomic.Uint64 // the same, of control-group decisions
}

var _ Model = (*Beta)(nil)

// NewBeta returns a model at the prior.
func NewBeta() Model { return &Beta{} }

func unpack(w uint64) (pos, neg int) { return int(w >> 32), int(uint32(w)) }

func pack(pos, neg int) uint64 {
	clamp := func(n int) uint64 { return uint64(min(max(n, 0), math.MaxUint32)) }
	return clamp(pos)<<32 | clamp(neg)
}

// Mean implements Model.
func (m *Beta) Mean(Features) float64 {
	pos, neg := unpack(m.counts.Load())
	return float64(1+pos) / float64(2+pos+neg)
}

// Estimate implements Model: the draw is from Beta(1+positives,
// 1+negatives).
func (m *Beta) Estimate(_ Features, r *rand.Rand) (float64, float64, bool) {
	pos, neg := unpack(m.counts.Load())
	mean := float64(1+pos) / float64(2+pos+neg)
	if pos+neg >= TrustAfter || r == nil {
		return mean, mean, false
	}
	return mean, BetaDraw(r, float64(1+pos), float64(1+neg)), true
}

// Evidence implements Model.
func (m *Beta) Evidence() int {
	pos, neg := unpack(m.counts.Load())
	return pos + neg
}

// UsesFeatures implements Model.
func (m *Beta) UsesFeatures() bool { return false }

// Observe implements Model.
func (m *Beta) Observe(o Observation, into Model) {
	m.observe(o.Positive, o.Control, o.Weight)
	if b, ok := into.(*Beta); ok {
		b.observe(o.Positive, o.Control, o.Weight)
	}
}

func (m *Beta) observe(positive, control bool, weight int) {
	add := func(w *atomic.Uint64) {
		for {
			old := w.Load()
			pos, neg := unpack(old)
			if positive {
				pos += weight
			} else {
				neg += weight
			}
			if w.CompareAndSwap(old, pack(pos, neg)) {
				return
			}
		}
	}
	add(&m.counts)
	if control {
		add(&m.control)
	}
}

// Merge implements Model.
func (m *Beta) Merge(o Model, sign int) error {
	b, ok := o.(*Beta)
	if !ok {
		return errors.New("cannot merge a model of another kind into a Beta model")
	}
	for _, w := range []struct{ dst, src *atomic.Uint64 }{{&m.counts, &b.counts}, {&m.control, &b.control}} {
		dpos, dneg := unpack(w.src.Load())
		for {
			old := w.dst.Load()
			pos, neg := unpack(old)
			if w.dst.CompareAndSwap(old, pack(pos+sign*dpos, neg+sign*dneg)) {
				break
			}
		}
	}
	return nil
}

// Stats implements Model.
func (m *Beta) Stats() Stats {
	pos, neg := unpack(m.counts.Load())
	cpos, cneg := unpack(m.control.Load())
	n, cn := pos+neg, cpos+cneg
	return Stats{Kind: "beta", Evidence: n, Positives: pos, Mean: float64(1+pos) / float64(2+n),
		Exploring: n < TrustAfter, Control: cn, ControlPositives: cpos,
		Lift: lift(pos-cpos, n-cn, cpos, cn)}
}

// AppendBinary implements Model.
func (m *Beta) AppendBinary(b []byte) []byte {
	pos, neg := unpack(m.counts.Load())
	cpos, cneg := unpack(m.control.Load())
	b = append(b, kindBeta)
	for _, n := range []int{pos, neg, cpos, cneg} {
		b = binary.AppendUvarint(b, uint64(n))
	}
	return b
}

func (m *Beta) decode(b []byte) error {
	var n [4]int
	for i := range n {
		v, w := binary.Uvarint(b)
		if w <= 0 || v > math.MaxUint32 {
			return errCorrupt
		}
		n[i], b = int(v), b[w:]
	}
	if len(b) != 0 {
		return errCorrupt
	}
	m.counts.Store(pack(n[0], n[1]))
	m.control.Store(pack(n[2], n[3]))
	return nil
}

// BetaDraw draws from Beta(a, b), a, b ≥ 1, as X/(X+Y) of two Gamma
// draws.
func BetaDraw(r *rand.Rand, a, b float64) float64 {
	x := gammaDraw(r, a)
	y := gammaDraw(r, b)
	return x / (x + y)
}

// gammaDraw draws from Gamma(k, 1), k ≥ 1, by Marsaglia and Tsang's
// method.
func gammaDraw(r *rand.Rand, k float64) float64 {
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
