package models

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"
)

const kindBayes = 'p'

// Settings tune a model; the zero value is the default.
type Settings struct {
	// HalfLife, when set, is the age at which a response weighs half as
	// much as a new one; HalfLifeResponses the same counted in responses
	// to the model. Without either the model forgets nothing.
	HalfLife          time.Duration
	HalfLifeResponses int
	// Predictors, when not nil, are the only predictors the model reads
	// (names as in Features: customer.plan, stage.growth/onboarding,
	// context.page).
	Predictors []string
}

// The model's constants.
const (
	// warmup is how many numbers a numeric predictor collects before its
	// bins are fixed at their quantiles.
	warmup = 200
	// maxNumBins bounds the bins of a number, maxSymbols the symbols of a
	// string predictor (the rest share one "other" bin).
	maxNumBins = 10
	maxSymbols = 64
	// window is how many recent responses the AUC and calibration read.
	window = 2000
	// betaNoise is the probit link's noise: p = Phi(w.x / betaNoise).
	betaNoise = 1.0
	// priorBias and priorBin are the prior variances of the intercept and
	// of each bin's weight.
	priorBias = 1.0
	priorBin  = 0.1
	// minAUC is the AUC from which a predictor counts as active; a bin of
	// fewer than minBin responses counts at its predictor's rate for it.
	minAUC = 0.52
	minBin = 20
)

// Bayes is a Bayesian probit regression over one-hot binned predictors
// (adPredictor, Graepel et al. 2010): each bin's weight has a Gaussian
// posterior, updated by assumed-density filtering, one response at a time
// in closed form. The propensity is the predictive mean; Estimate's draw
// is a Thompson draw from the posterior. Evidence forgets at the
// settings' half-life: the likelihood of past responses is discounted, so
// the posterior widens back toward the prior and follows the current rate.
//
// Weights are held in natural parameters (precision and precision times
// mean, over the prior's), which add: the part a partition learned is a
// sum of deltas, and the model decisions read is the prior plus the sum of
// its parts.
type Bayes struct {
	set  Settings
	only map[string]bool

	mu    sync.RWMutex
	clock float64 // in half-lives, of the last response learned
	scale float64 // stored evidence times scale is the evidence now
	bias  weight
	preds map[uint64]*predictor
	names []string // predictor names, sorted
	// syms finds the bin of a symbol in one lookup, by symKey.
	syms map[uint64]symRef

	pos, neg, cpos, cneg int
	ring                 [window]sample
	ringN                int
}

type weight struct{ p, h float64 }

type symRef struct {
	p *predictor
	b int
}

// symKey combines the keys of a predictor and a symbol.
func symKey(pred, sym uint64) uint64 { return pred*0x9E3779B97F4A7C15 ^ sym }

// reindex adds a predictor's symbols to syms.
func (m *Bayes) reindex(p *predictor) {
	if p.numeric {
		return
	}
	k := FeatureKey(p.name)
	for s, i := range p.syms {
		m.syms[symKey(k, FeatureKey(s))] = symRef{p, i}
	}
}

type sample struct {
	p   float32
	pos bool
}

type predictor struct {
	name    string
	numeric bool
	warm    []float64 // numbers seen while warming up
	edges   []float64 // upper bounds of the numeric bins but the last
	syms    map[string]int
	bins    []bin // 0 is missing; for symbols the last is other
}

type bin struct {
	label  string
	w      weight
	n, pos float64
}

var _ Model = (*Bayes)(nil)

// NewBayes returns a model with the given settings, at the prior.
func NewBayes(s Settings) *Bayes {
	m := &Bayes{set: s, scale: 1, preds: map[uint64]*predictor{}, syms: map[uint64]symRef{}}
	if s.Predictors != nil {
		m.only = map[string]bool{}
		for _, p := range s.Predictors {
			m.only[p] = true
		}
	}
	return m
}

// configure changes the settings: the half-life from the next response,
// the predictors for those not read yet (a predictor learnt already stays).
func (m *Bayes) configure(s Settings) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set, m.only = s, nil
	if s.Predictors != nil {
		m.only = map[string]bool{}
		for _, p := range s.Predictors {
			m.only[p] = true
		}
	}
}

// UsesFeatures reports true: the model predicts per customer.
func (m *Bayes) UsesFeatures() bool { return true }

// Evidence counts labelled responses.
func (m *Bayes) Evidence() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.pos + m.neg
}

// Settings returns the model's settings.
func (m *Bayes) Settings() Settings {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.set
}

// active collects the weights a customer's features select, in true
// units: mean and variance of each.
func (m *Bayes) score(x Features) (mean, variance float64) {
	s := m.scale
	v := 1 / (1/priorBias + s*m.bias.p)
	mean, variance = s*m.bias.h*v, v
	if len(m.preds) == 0 {
		return mean, variance // nothing learnt: no feature selects a weight
	}
	for i := range x {
		f := &x[i]
		var w weight
		var r symRef
		ok := false
		if f.Kind == Symbol {
			r, ok = m.syms[symKey(f.Key, f.SymKey)]
		}
		if ok {
			w = r.p.bins[r.b].w
		} else {
			p := m.preds[f.Key]
			if p == nil {
				continue
			}
			b := p.binOf(f)
			if b < 0 {
				continue
			}
			w = p.bins[b].w
		}
		v := 1 / (1/priorBin + s*w.p)
		mean += s * w.h * v
		variance += v
	}
	return mean, variance
}

// Mean is the predictive probability of a positive response.
func (m *Bayes) Mean(x Features) float64 {
	m.mu.RLock()
	mu, v := m.score(x)
	m.mu.RUnlock()
	return normCDF(mu / math.Sqrt(betaNoise*betaNoise+v))
}

// Estimate returns the predictive mean and, while the model has fewer
// than TrustAfter responses, a Thompson draw: the probability under
// weights drawn from the posterior.
func (m *Bayes) Estimate(x Features, r *rand.Rand) (float64, float64, bool) {
	m.mu.RLock()
	mu, v := m.score(x)
	n := m.pos + m.neg
	m.mu.RUnlock()
	mean := normCDF(mu / math.Sqrt(betaNoise*betaNoise+v))
	if n >= TrustAfter || r == nil {
		return mean, mean, false
	}
	return mean, normCDF((mu + math.Sqrt(v)*r.NormFloat64()) / betaNoise), true
}

// binOf returns the bin of a feature's value, or -1 when the predictor
// cannot place it yet (a number while its bins are not fixed, a symbol
// not seen).
func (p *predictor) binOf(f *Feature) int {
	switch {
	case f.Kind == Missing:
		return 0
	case p.numeric != (f.Kind == Number):
		return 0
	case p.numeric:
		if p.edges == nil {
			return -1
		}
		return 1 + sort.SearchFloat64s(p.edges, f.Num)
	}
	if i, ok := p.syms[f.Sym]; ok {
		return i
	}
	if len(p.syms) >= maxSymbols {
		return len(p.bins) - 1
	}
	return -1
}

// place returns the bin of a feature's value, making it (a symbol's bin,
// a number's bins once warmed up) as needed.
func (p *predictor) place(f *Feature) int {
	if b := p.binOf(f); b >= 0 {
		return b
	}
	if p.numeric {
		p.warm = append(p.warm, f.Num)
		if len(p.warm) >= warmup {
			p.fix()
		}
		return -1
	}
	p.syms[f.Sym] = len(p.bins) - 1
	p.bins[len(p.bins)-1].label = f.Sym
	p.bins = append(p.bins, bin{label: "other"})
	if len(p.syms) == maxSymbols {
		return p.binOf(f)
	}
	return len(p.bins) - 2
}

// fix sets a number's bins at the quantiles of the values it warmed up
// with, one bin per distinct quantile.
func (p *predictor) fix() {
	v := p.warm
	sort.Float64s(v)
	var edges []float64
	for i := 1; i < maxNumBins; i++ {
		e := v[i*len(v)/maxNumBins]
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	p.setEdges(edges)
	p.warm = nil
}

func (p *predictor) setEdges(edges []float64) {
	p.edges = edges
	p.bins = p.bins[:1]
	for i := 0; i <= len(edges); i++ {
		lo, hi := "-inf", "+inf"
		if i > 0 {
			lo = strconv.FormatFloat(edges[i-1], 'g', 4, 64)
		}
		if i < len(edges) {
			hi = strconv.FormatFloat(edges[i], 'g', 4, 64)
		}
		p.bins = append(p.bins, bin{label: "[" + lo + ", " + hi + ")"})
	}
}

func newPredictor(name string, numeric bool) *predictor {
	p := &predictor{name: name, numeric: numeric, bins: []bin{{label: "missing"}}}
	if !numeric {
		p.syms = map[string]int{}
		p.bins = append(p.bins, bin{label: "other"})
	}
	return p
}

// predictor returns the model's predictor of a feature, making it; nil
// for a predictor the settings leave out, or a missing value of a
// predictor not seen yet.
func (m *Bayes) predictor(f *Feature) *predictor {
	if p := m.preds[f.Key]; p != nil {
		return p
	}
	if m.only != nil && !m.only[f.Name] || f.Kind == Missing {
		return nil
	}
	p := newPredictor(f.Name, f.Kind == Number)
	m.preds[f.Key] = p
	i := sort.SearchStrings(m.names, f.Name)
	m.names = append(m.names, "")
	copy(m.names[i+1:], m.names[i:])
	m.names[i] = f.Name
	return p
}

// at returns the decay clock of an observation, in half-lives.
func (m *Bayes) at(o *Observation) float64 {
	switch {
	case m.set.HalfLife > 0 && !o.At.IsZero():
		return float64(o.At.UnixNano()) / float64(m.set.HalfLife)
	case m.set.HalfLifeResponses > 0:
		return float64(m.pos+m.neg) / float64(m.set.HalfLifeResponses)
	}
	return m.clock
}

// advance discounts the evidence to clock c.
func (m *Bayes) advance(c float64) {
	if c <= m.clock {
		return
	}
	if m.clock != 0 || m.scale != 1 {
		m.scale *= math.Exp2(m.clock - c)
	}
	m.clock = c
	if m.scale < 1e-100 {
		m.rescale()
	}
}

// rescale folds the scale into the stored evidence.
func (m *Bayes) rescale() {
	s := m.scale
	m.bias.p, m.bias.h = m.bias.p*s, m.bias.h*s
	for _, p := range m.preds {
		for i := range p.bins {
			b := &p.bins[i]
			b.w.p, b.w.h, b.n, b.pos = b.w.p*s, b.w.h*s, b.n*s, b.pos*s
		}
	}
	m.scale = 1
}

// Observe learns a response: the prequential sample first (the response
// scored before the model learns from it), then the update, added to
// into as well when it is a Bayes model (the part of the partition).
func (m *Bayes) Observe(o Observation, into Model) {
	part, _ := into.(*Bayes)
	m.mu.Lock()
	defer m.mu.Unlock()
	if part != nil {
		part.mu.Lock()
		defer part.mu.Unlock()
	}
	wt := float64(o.Weight)
	count := func(b *Bayes) {
		switch {
		case o.Positive:
			b.pos += o.Weight
		default:
			b.neg += o.Weight
		}
		if o.Control {
			if o.Positive {
				b.cpos += o.Weight
			} else {
				b.cneg += o.Weight
			}
		}
		b.pos, b.neg, b.cpos, b.cneg = max(b.pos, 0), max(b.neg, 0), max(b.cpos, 0), max(b.cneg, 0)
	}
	c := m.at(&o)
	m.advance(c)
	// The weights the response reads, making predictors and bins.
	type sel struct {
		p *predictor
		b int
	}
	var buf [32]sel
	sels := buf[:0]
	for i := range o.X {
		f := &o.X[i]
		p := m.predictor(f)
		if p == nil {
			continue
		}
		n := len(p.syms)
		if b := p.place(f); b >= 0 {
			sels = append(sels, sel{p, b})
		}
		if len(p.syms) != n {
			m.syms[symKey(f.Key, FeatureKey(f.Sym))] = symRef{p, p.syms[f.Sym]}
		}
	}
	s := m.scale
	mu, v := m.score(o.X)
	if o.Weight > 0 && !o.Control {
		m.ring[m.ringN%window] = sample{float32(normCDF(mu / math.Sqrt(betaNoise*betaNoise+v))), o.Positive}
		m.ringN++
	}
	// The assumed-density update: t the margin in noise units, v and w
	// the moments' corrections.
	y := -1.0
	if o.Positive {
		y = 1
	}
	total := math.Sqrt(betaNoise*betaNoise + v)
	t := y * mu / total
	vt := truncV(t)
	wt2 := vt * (vt + t)
	update := func(w *weight, prior float64, dst *weight, dscale float64) {
		prec := 1/prior + s*w.p
		sd2 := 1 / prec
		mean := s * w.h * sd2
		mean2 := mean + y*sd2/total*vt
		sd2b := sd2 * (1 - sd2/(total*total)*wt2)
		prec2 := 1 / sd2b
		dp, dh := wt*(prec2-prec), wt*(prec2*mean2-prec*mean)
		if s*w.p+dp < 0 {
			dp, dh = -s*w.p, -s*w.h
		}
		w.p += dp / s
		w.h += dh / s
		if dst != nil {
			dst.p += dp / dscale
			dst.h += dh / dscale
		}
	}
	var ps float64
	if part != nil {
		part.advance(c)
		ps = part.scale
	}
	var pbias *weight
	if part != nil {
		pbias = &part.bias
	}
	update(&m.bias, priorBias, pbias, ps)
	yn := 0.0
	if o.Positive {
		yn = 1
	}
	for _, se := range sels {
		b := &se.p.bins[se.b]
		var pb *bin
		if part != nil {
			pp := part.mirror(se.p)
			pb = &pp.bins[se.b]
		}
		var dst *weight
		if pb != nil {
			dst = &pb.w
		}
		update(&b.w, priorBin, dst, ps)
		b.n = max(b.n+wt/s, 0)
		b.pos = max(b.pos+wt*yn/s, 0)
		var pp *predictor
		if pb != nil {
			pb.n = max(pb.n+wt/ps, 0)
			pb.pos = max(pb.pos+wt*yn/ps, 0)
			pp = part.preds[FeatureKey(se.p.name)]
		}
		center(se.p, s, pp, ps)
	}
	count(m)
	if part != nil {
		count(part)
		part.clock = max(part.clock, m.clock)
	}
}

// mean is a weight's posterior mean in true units, at scale s.
func (w weight) mean(prior, s float64) float64 { return s * w.h / (1/prior + s*w.p) }

// center keeps a predictor's bins without a level of their own: after an
// update, the count-weighted mean of the predictor's bin weights is taken
// from each of them (and from its part in the partition, at scale ps), so
// that the level is the intercept's alone. Without it every predictor
// carries a copy of the level, each learnt from the same responses as if
// alone: the model's level moves about √(predictors+1) times as much as
// its half-life allows, and a frozen model's calibration is off by as
// much (docs/models.md, "Forgetting"). Each customer is in exactly one
// bin of each predictor, so the differences between bins, which rank
// customers, are kept.
func center(p *predictor, s float64, part *predictor, ps float64) {
	var tot, c float64
	for i := range p.bins {
		tot += p.bins[i].n
		c += p.bins[i].n * p.bins[i].w.mean(priorBin, s)
	}
	if tot <= 0 || c == 0 {
		return
	}
	c /= tot
	for i := range p.bins {
		w := &p.bins[i].w
		dh := -c * (1/priorBin + s*w.p) // in true units: the mean moves by -c
		w.h += dh / s
		if part != nil && i < len(part.bins) {
			part.bins[i].w.h += dh / ps
		}
	}
}

// mirror returns the part's predictor of one of the model's, with the
// same bins.
func (m *Bayes) mirror(src *predictor) *predictor {
	k := FeatureKey(src.name)
	p := m.preds[k]
	if p == nil {
		p = newPredictor(src.name, src.numeric)
		m.preds[k] = p
		i := sort.SearchStrings(m.names, src.name)
		m.names = append(m.names, "")
		copy(m.names[i+1:], m.names[i:])
		m.names[i] = src.name
	}
	if len(p.bins) != len(src.bins) || len(p.edges) != len(src.edges) {
		p.align(src)
		m.reindex(p)
	}
	return p
}

// align gives p the bins of src, keeping the evidence of those it has.
func (p *predictor) align(src *predictor) {
	if p.numeric {
		if len(p.edges) != len(src.edges) && src.edges != nil {
			old := append([]bin(nil), p.bins...)
			p.setEdges(append([]float64(nil), src.edges...))
			for i := range old {
				if i < len(p.bins) {
					p.bins[i].w, p.bins[i].n, p.bins[i].pos = old[i].w, old[i].n, old[i].pos
				}
			}
		}
		return
	}
	for len(p.bins) < len(src.bins) {
		p.bins = append(p.bins, bin{})
	}
	for s, i := range src.syms {
		p.syms[s] = i
	}
	for i := range src.bins {
		p.bins[i].label = src.bins[i].label
	}
}

// Merge adds sign times another Bayes model's evidence, brought to this
// model's clock.
func (m *Bayes) Merge(o Model, sign int) error {
	b, ok := o.(*Bayes)
	if !ok {
		return errKind
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.clock > m.clock {
		m.advance(b.clock)
	}
	f := float64(sign) * b.scale * math.Exp2(b.clock-m.clock) / m.scale
	add := func(dst *weight, src weight) {
		dst.p = max(dst.p+f*src.p, 0)
		dst.h += f * src.h
	}
	add(&m.bias, b.bias)
	for _, name := range b.names {
		src := b.preds[FeatureKey(name)]
		p := m.mirror(src)
		for i := range src.bins {
			if i >= len(p.bins) {
				break
			}
			add(&p.bins[i].w, src.bins[i].w)
			p.bins[i].n = max(p.bins[i].n+f*src.bins[i].n, 0)
			p.bins[i].pos = max(p.bins[i].pos+f*src.bins[i].pos, 0)
		}
	}
	m.pos, m.neg = max(m.pos+sign*b.pos, 0), max(m.neg+sign*b.neg, 0)
	m.cpos, m.cneg = max(m.cpos+sign*b.cpos, 0), max(m.cneg+sign*b.cneg, 0)
	return nil
}

// normCDF is the standard normal distribution function.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// truncV is N(t)/Phi(t), the mean correction of a truncated Gaussian.
func truncV(t float64) float64 {
	if t < -30 {
		return -t
	}
	return math.Exp(-t*t/2) / math.Sqrt(2*math.Pi) / normCDF(t)
}
