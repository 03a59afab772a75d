package experiment

import "math"

// State is where a sequential test stands.
type State string

const (
	// Insufficient: an arm has no one assigned, or no one in either arm
	// has converted; there is nothing to test yet.
	Insufficient State = "insufficient"
	// Running: the evidence does not yet reject "no difference" at the
	// rule's alpha; keep the experiment going.
	Running State = "running"
	// Winner: the variant converts better than the control, with an
	// always-valid p-value at or below alpha.
	Winner State = "winner"
	// Loser: the variant converts worse than the control, with an
	// always-valid p-value at or below alpha.
	Loser State = "loser"
)

// Interval is a range of values.
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Decision is a sequential test's answer at one look.
type Decision struct {
	State State `json:"state"`
	// PValue is the always-valid p-value of "the two rates are equal": the
	// chance that the test would ever have reached this much evidence, at
	// any of any number of looks, if the rates were equal.
	PValue float64 `json:"p_value"`
	// Difference is the always-valid (1 - alpha) confidence interval of the
	// variant's rate minus the control's (absolute, per assigned customer).
	Difference Interval `json:"difference"`
}

// Rule is a mixture sequential probability ratio test (mSPRT) of two
// proportions, after Johari, Pekelis and Walsh, "Always valid inference:
// bringing sequential analysis to A/B testing" (2015), in its normal
// approximation: the observed difference of rates d = p1 - p0 is taken as
// normal with variance s² = p0(1-p0)/n0 + p1(1-p1)/n1, and the likelihood
// ratio of "the true difference is θ" against "it is 0" is mixed over
// θ ~ Normal(0, τ²):
//
//	Λ = sqrt(s² / (s² + τ²)) · exp(d² τ² / (2 s² (s² + τ²)))
//
// Under no difference Λ is a martingale of mean 1, so by Ville's inequality the
// chance that it ever exceeds 1/alpha is at most alpha: p = min(1, 1/Λ) may be
// read after every customer, every day or whenever anyone likes, and stopping
// the first time p ≤ alpha keeps the false-call rate at most alpha. The
// interval is the set of differences θ0 that the same test would not reject.
//
// The variance uses rates smoothed as (x+1)/(n+2), so that an arm with no
// conversions yet has a variance; the difference d does not.
type Rule struct {
	// Alpha is the false-call rate the rule guarantees; 0 means 0.05.
	Alpha float64
	// Sensitivity is the relative lift the test is tuned to detect soonest:
	// the mixing standard deviation τ is Sensitivity × the pooled conversion
	// rate. 0 means 0.10. Any value keeps the guarantee; a value far from the
	// real lift only makes the test slower to call it.
	Sensitivity float64
}

// Sequential is Rule{Alpha: alpha}.Decide(control, variant).
func Sequential(control, variant Arm, alpha float64) Decision {
	return Rule{Alpha: alpha}.Decide(control, variant)
}

func (r Rule) alpha() float64 {
	if r.Alpha > 0 && r.Alpha < 1 {
		return r.Alpha
	}
	return 0.05
}

func (r Rule) sensitivity() float64 {
	if r.Sensitivity > 0 && !math.IsInf(r.Sensitivity, 0) {
		return r.Sensitivity
	}
	return 0.10
}

// Decide is the rule's decision on the arms' counts so far. It keeps no
// memory: each call tests the counts it is given. Monitor keeps the running
// minimum p-value and the first call across looks.
func (r Rule) Decide(control, variant Arm) Decision {
	alpha := r.alpha()
	x0, n0 := control.counts()
	x1, n1 := variant.counts()
	if n0 == 0 || n1 == 0 || x0+x1 == 0 {
		return Decision{State: Insufficient, PValue: 1, Difference: Interval{Low: -1, High: 1}}
	}
	d := x1/n1 - x0/n0
	s2 := smoothedVar(x0, n0) + smoothedVar(x1, n1)
	tau := r.sensitivity() * (x0 + x1) / (n0 + n1)
	t2 := tau * tau
	logLambda := 0.5*math.Log(s2/(s2+t2)) + d*d*t2/(2*s2*(s2+t2))
	p := math.Min(1, math.Exp(-logLambda))
	half := math.Sqrt(2 * s2 * (s2 + t2) / t2 * (math.Log(1/alpha) + 0.5*math.Log((s2+t2)/s2)))
	dec := Decision{
		State:      Running,
		PValue:     p,
		Difference: Interval{Low: max(-1, d-half), High: min(1, d+half)},
	}
	if p <= alpha {
		if d > 0 {
			dec.State = Winner
		} else {
			dec.State = Loser
		}
	}
	return dec
}

func smoothedVar(x, n float64) float64 {
	p := (x + 1) / (n + 2)
	return p * (1 - p) / n
}

// Monitor follows one experiment across looks: its p-value is the running
// minimum of the looks' p-values (which is what "always valid" licenses), its
// interval the intersection of theirs, and once a look has called a winner or
// a loser the call stands. The zero Monitor uses the default Rule.
type Monitor struct {
	Rule Rule
	last Decision
	seen bool
}

// Observe takes the arms' cumulative counts at one look and returns the
// decision so far.
func (m *Monitor) Observe(control, variant Arm) Decision {
	d := m.Rule.Decide(control, variant)
	if !m.seen || m.last.State == Insufficient {
		m.last, m.seen = d, true
		return d
	}
	if d.State == Insufficient {
		return m.last
	}
	prev := m.last
	d.PValue = math.Min(d.PValue, prev.PValue)
	if low, high := max(d.Difference.Low, prev.Difference.Low), min(d.Difference.High, prev.Difference.High); low <= high {
		d.Difference = Interval{Low: low, High: high}
	}
	if prev.State == Winner || prev.State == Loser {
		d.State = prev.State
	}
	m.last = d
	return d
}
