package models

import (
	"encoding/binary"
	"math"
	"sort"
)

// Stats returns the model's figures.
func (m *Bayes) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, cn := m.pos+m.neg, m.cpos+m.cneg
	st := Stats{Kind: "bayes", Evidence: n, Positives: m.pos, Exploring: n < TrustAfter,
		Control: cn, ControlPositives: m.cpos, Lift: lift(m.pos-m.cpos, n-cn, m.cpos, cn),
		HalfLifeResponses: m.set.HalfLifeResponses}
	st.LiftLow, st.LiftHigh = liftInterval(m.pos-m.cpos, n-cn, m.cpos, cn)
	if m.set.HalfLife > 0 {
		st.HalfLife = m.set.HalfLife.String()
	}
	v := 1 / (1/priorBias + m.scale*m.bias.p)
	st.Mean = normCDF(m.scale * m.bias.h * v / math.Sqrt(betaNoise*betaNoise+v))
	w := m.ring[:min(m.ringN, window)]
	st.Window = len(w)
	if a, ok := AUC(w); ok {
		st.AUC = &a
	}
	if len(w) >= 10 {
		st.Calibration, st.ECE = calibration(w)
	}
	for _, name := range m.names {
		p := m.preds[FeatureKey(name)]
		ps := PredictorStats{Name: name}
		var bs []sample // one per bin, weighted below
		var pos, neg []float64
		var tc, ty float64
		for _, b := range p.bins {
			tc, ty = tc+b.n*m.scale, ty+b.pos*m.scale
		}
		g := 0.0
		if tc > 0 {
			g = ty / tc
		}
		for _, b := range p.bins {
			c, y := b.n*m.scale, b.pos*m.scale
			r := 0.0
			if c > 0 {
				r = y / c
			}
			ps.Bins = append(ps.Bins, BinStat{Label: b.label, Count: c, PositiveRate: r})
			// A bin of fewer than minBin responses (a name, an id) ranks at
			// the predictor's rate: its raw rate of 0 or 1 says little, and
			// would make the predictor look perfect.
			score := r
			if c < minBin {
				score = g
			}
			bs = append(bs, sample{p: float32(score)})
			pos, neg = append(pos, y), append(neg, c-y)
		}
		ps.AUC = binAUC(bs, pos, neg)
		ps.Active = ps.AUC >= minAUC
		st.Predictors = append(st.Predictors, ps)
	}
	sort.SliceStable(st.Predictors, func(i, j int) bool { return st.Predictors[i].AUC > st.Predictors[j].AUC })
	return st
}

// AUC is the area under the ROC curve of scored samples, ties counted
// half; false without both outcomes.
func AUC(w []sample) (float64, bool) {
	s := append([]sample(nil), w...)
	sort.Slice(s, func(i, j int) bool { return s[i].p < s[j].p })
	var np, nn, rank float64
	for i := 0; i < len(s); {
		j := i
		var k float64
		for j < len(s) && s[j].p == s[i].p {
			if s[j].pos {
				k++
			}
			j++
		}
		// Ranks i+1..j share their mean.
		rank += k * (float64(i+1+j) / 2)
		np += k
		nn += float64(j-i) - k
		i = j
	}
	if np == 0 || nn == 0 {
		return 0, false
	}
	return (rank - np*(np+1)/2) / (np * nn), true
}

// binAUC is the AUC of a binned predictor, each bin scoring its rate,
// from the bins' counts of positives and negatives.
func binAUC(bs []sample, pos, neg []float64) float64 {
	idx := make([]int, len(bs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return bs[idx[a]].p < bs[idx[b]].p })
	var np, nn, area, negBelow float64
	for _, i := range idx {
		np += pos[i]
		nn += neg[i]
	}
	if np <= 0 || nn <= 0 {
		return 0.5
	}
	for k := 0; k < len(idx); {
		l := k
		var tp, tn float64
		for l < len(idx) && bs[idx[l]].p == bs[idx[k]].p {
			tp += pos[idx[l]]
			tn += neg[idx[l]]
			l++
		}
		area += tp * (negBelow + tn/2)
		negBelow += tn
		k = l
	}
	return area / (np * nn)
}

// calibration sorts the window by prediction into ten equal groups.
func calibration(w []sample) ([]Decile, *float64) {
	s := append([]sample(nil), w...)
	sort.Slice(s, func(i, j int) bool { return s[i].p < s[j].p })
	var out []Decile
	var ece float64
	for d := 0; d < 10; d++ {
		g := s[d*len(s)/10 : (d+1)*len(s)/10]
		if len(g) == 0 {
			continue
		}
		var p, y float64
		for _, x := range g {
			p += float64(x.p)
			if x.pos {
				y++
			}
		}
		n := float64(len(g))
		out = append(out, Decile{N: len(g), Predicted: p / n, Observed: y / n})
		ece += n / float64(len(s)) * math.Abs(p/n-y/n)
	}
	return out, &ece
}

// AppendBinary appends the model's state: its counts, clock and scale,
// the intercept, then each predictor by name with its bins.
func (m *Bayes) AppendBinary(b []byte) []byte {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b = append(b, kindBayes)
	for _, n := range []int{m.pos, m.neg, m.cpos, m.cneg} {
		b = binary.AppendUvarint(b, uint64(n))
	}
	f := func(x float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x)) }
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	f(m.clock)
	f(m.scale)
	f(m.bias.p)
	f(m.bias.h)
	b = binary.AppendUvarint(b, uint64(len(m.names)))
	for _, name := range m.names {
		p := m.preds[FeatureKey(name)]
		str(name)
		kind := byte(0)
		if p.numeric {
			kind = 1
			if p.edges != nil {
				kind = 2
			}
		}
		b = append(b, kind)
		if kind == 2 {
			b = binary.AppendUvarint(b, uint64(len(p.edges)))
			for _, e := range p.edges {
				f(e)
			}
		}
		b = binary.AppendUvarint(b, uint64(len(p.bins)))
		for _, bn := range p.bins {
			if !p.numeric {
				str(bn.label)
			}
			f(bn.w.p)
			f(bn.w.h)
			f(bn.n)
			f(bn.pos)
		}
	}
	return b
}

// decodeBayes reads what AppendBinary wrote, after the kind.
func decodeBayes(b []byte) (Model, error) {
	m := NewBayes(Settings{})
	bad := false
	uv := func() int {
		v, w := binary.Uvarint(b)
		if w <= 0 || v > math.MaxUint32 {
			bad = true
			return 0
		}
		b = b[w:]
		return int(v)
	}
	f := func() float64 {
		if len(b) < 8 {
			bad = true
			return 0
		}
		x := math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			bad = true
		}
		return x
	}
	str := func() string {
		n := uv()
		if bad || n > len(b) {
			bad = true
			return ""
		}
		s := string(b[:n])
		b = b[n:]
		return s
	}
	m.pos, m.neg, m.cpos, m.cneg = uv(), uv(), uv(), uv()
	m.clock, m.scale, m.bias.p, m.bias.h = f(), f(), f(), f()
	np := uv()
	for i := 0; i < np && !bad; i++ {
		name := str()
		if len(b) < 1 {
			bad = true
			break
		}
		kind := b[0]
		b = b[1:]
		if kind > 2 {
			bad = true
			break
		}
		p := newPredictor(name, kind > 0)
		if kind == 2 {
			ne := uv()
			if ne > maxNumBins || bad {
				bad = true
				break
			}
			edges := make([]float64, ne)
			for k := range edges {
				edges[k] = f()
			}
			p.setEdges(edges)
		}
		nb := uv()
		if bad || nb > maxSymbols+2 || (p.numeric && nb != len(p.bins)) {
			bad = true
			break
		}
		p.bins = p.bins[:0]
		for k := 0; k < nb && !bad; k++ {
			bn := bin{}
			if p.numeric {
				bn.label = "missing"
				if k > 0 {
					bn.label = "" // set below from the edges
				}
			} else {
				bn.label = str()
				if k > 0 && k < nb-1 {
					p.syms[bn.label] = k
				}
			}
			bn.w.p, bn.w.h, bn.n, bn.pos = f(), f(), f(), f()
			p.bins = append(p.bins, bn)
		}
		if p.numeric && p.edges != nil {
			saved := append([]bin(nil), p.bins...)
			p.setEdges(p.edges)
			for k := range saved {
				p.bins[k].w, p.bins[k].n, p.bins[k].pos = saved[k].w, saved[k].n, saved[k].pos
			}
		}
		m.preds[FeatureKey(name)] = p
		m.names = append(m.names, name)
		m.reindex(p)
	}
	if bad || len(b) != 0 || m.scale <= 0 || !sort.StringsAreSorted(m.names) || len(m.preds) != len(m.names) {
		return nil, errCorrupt
	}
	return m, nil
}
