package experiment

import "math"

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Arm is what one arm of an experiment (or the holdout, or the treated
// population) has counted: customers assigned to it, customers it delivered
// an action to, and customers who converted. Rates are per assigned customer
// (intent to treat): an arm that sends nothing, a holdout, still has a rate,
// and a variant is not flattered by the customers its sends failed to reach.
type Arm struct {
	Assigned  int64 `json:"assigned"`
	Delivered int64 `json:"delivered"`
	Converted int64 `json:"converted"`
}

// counts is the arm's (conversions, customers), with negative counts read as
// zero and conversions capped at the customers assigned.
func (a Arm) counts() (x, n float64) {
	n = float64(max(a.Assigned, 0))
	x = min(float64(max(a.Converted, 0)), n)
	return x, n
}

// Rate is a proportion with its 95% interval.
type Rate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// Rate is the arm's conversion rate, Converted/Assigned, with its 95% Wilson
// score interval. An arm with no one assigned has rate 0 and the interval
// [0, 1]: nothing is known.
func (a Arm) Rate() Rate {
	x, n := a.counts()
	if n == 0 {
		return Rate{Value: 0, Low: 0, High: 1}
	}
	low, high := Wilson(x, n, z95)
	return Rate{Value: x / n, Low: low, High: high}
}

// Wilson is the Wilson score interval for x successes in n trials at normal
// quantile z (1.96 for 95%). Unlike the textbook p ± z·se, it stays inside
// [0, 1] and is honest at rates near 0 or 1 and at small n.
func Wilson(x, n, z float64) (low, high float64) {
	if n <= 0 {
		return 0, 1
	}
	p := x / n
	z2 := z * z
	denom := 1 + z2/n
	center := (p + z2/(2*n)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return max(0, center-half), min(1, center+half)
}

// Lift is a variant's relative lift over its control, (p1 - p0) / p0, with
// its 95% interval. Defined is false when the control converted no one (a
// lift over zero has no value); Value, Low and High are then zero.
type Lift struct {
	Value   float64 `json:"value"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Defined bool    `json:"defined"`
}

// Compare is the relative lift of variant over control with a 95% interval by
// the delta method on the log of the rate ratio (the Katz interval):
// log(p1/p0) ± 1.96·sqrt((1-p1)/x1 + (1-p0)/x0), mapped back as exp(·) - 1,
// so that the interval is never below -100% and is wider above than below, as
// a ratio's is. When the variant converted no one, its count is taken as 0.5
// for the interval (the Haldane correction); the point value stays -100%.
func Compare(control, variant Arm) Lift {
	x0, n0 := control.counts()
	x1, n1 := variant.counts()
	if x0 == 0 || n1 == 0 {
		return Lift{}
	}
	p0 := x0 / n0
	value := (x1/n1)/p0 - 1
	if x1 == 0 {
		x1 = 0.5
	}
	p1 := x1 / n1
	se := math.Sqrt((1-p1)/x1 + (1-p0)/x0)
	logRatio := math.Log(p1 / p0)
	return Lift{
		Value:   value,
		Low:     math.Exp(logRatio-z95*se) - 1,
		High:    math.Exp(logRatio+z95*se) - 1,
		Defined: true,
	}
}
