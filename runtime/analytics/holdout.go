package analytics

import (
	"github.com/waymarkhq/waymark/runtime/experiment"
)

// The global holdout (arbitration's holdout) is a share of customers who
// receive nothing from any journey but still move through them. A journey
// keeps, beside its figures of every run, the same figures of the held-out
// runs alone (journey.held), fed the same records; the treated runs'
// figures are the difference. A run's side is chosen when it enters (by
// experiment.Holdout on the customer's id, with the share configured then)
// and kept until it ends, so that a change of share does not split a run.

// holds reports whether the records of the customer's run n go to the
// holdout's figures too: for a run entering, whether the customer is held
// out now; for one in flight, whether it entered held out; for a run
// neither knows (it entered before these figures were kept), whether the
// customer is held out now.
func (j *journey) holds(customer string, n uint64, entering bool) bool {
	if j.held == nil && !(j.spec.Holdout > 0) {
		return false // no holdout, then or now: no run to look up
	}
	if !entering {
		if j.held != nil && j.held.run(customer, n) != nil {
			return true
		}
		if j.run(customer, n) != nil {
			return false
		}
	}
	return experiment.Holdout(experiment.GlobalHoldoutSalt, customer, j.spec.Holdout)
}

// heldOf returns the holdout's figures of j, made when first needed, with
// the hours kept brought level with j's, so that a record too old for j's
// hours is too old for the holdout's as well.
func (a *Analytics) heldOf(j *journey) *journey {
	h := j.held
	if h == nil {
		h = a.newJourney(j.spec.Stack, j.spec.Name)
		if j.configured {
			a.configure(h, j.spec)
		}
		if len(h.ring) != len(j.ring) {
			h.resize(len(j.ring))
		}
		j.held = h
	}
	h.newest = max(h.newest, j.newest)
	h.days.newest = max(h.days.newest, j.days.newest)
	return h
}

// KPIHoldout compares a KPI over the treated customers with the same KPI
// over the global holdout, for a KPI whose value is a share of runs
// (conversion, dropoff, rate): Treated and Holdout are its count and
// samples on each side (Treated + Holdout is the KPI's own), and Lift the
// treated value's relative lift over the holdout's, (t - h) / h, with its
// 95% interval (experiment.Compare), nil when the holdout's value is 0.
// Test is the always-valid sequential test of the two values
// (experiment.Sequential, alpha 0.05): winner when the treated value is
// higher, loser when lower, whatever the KPI's direction.
type KPIHoldout struct {
	// Share is the holdout's share configured now.
	Share            float64
	Treated, Holdout HoldoutArm
	Lift             *HoldoutLift
	Test             HoldoutTest
}

// HoldoutArm is one side of a KPIHoldout: Count of Samples runs (the
// KPI's numerator and denominator), the value Count/Samples (nil without
// samples) and its 95% Wilson interval.
type HoldoutArm struct {
	Count, Samples int64
	Value          *float64
	Low, High      float64
}

// HoldoutLift is a relative lift with its 95% interval.
type HoldoutLift struct{ Value, Low, High float64 }

// HoldoutTest is a sequential test's state (experiment.State), its
// always-valid p-value and the always-valid 95% interval of the
// difference of the values, treated - holdout.
type HoldoutTest struct {
	State                         string
	PValue                        float64
	DifferenceLow, DifferenceHigh float64
}

func holdoutArm(a experiment.Arm) HoldoutArm {
	r := a.Rate()
	out := HoldoutArm{Count: a.Converted, Samples: a.Assigned, Low: r.Low, High: r.High}
	if a.Assigned > 0 {
		out.Value = num(r.Value)
	}
	return out
}

// proportion reports whether a KPI function's value is a share of runs.
func proportion(function string) bool {
	return function == FuncConversion || function == FuncDropoff || function == FuncRate
}

// kpiHoldout is the KPI's comparison with the holdout at now, nil for a
// journey no held-out customer has entered or a KPI that is not a share.
func (j *journey) kpiHoldout(k *KPI, now int64) *KPIHoldout {
	// Held-out customers are sent nothing: an attributed KPI has no
	// held-out side to compare with.
	if j.held == nil || !proportion(k.Function) || k.attributed() {
		return nil
	}
	all, held := j.kpiSum(k, now), j.held.kpiSum(k, now)
	h := experiment.Arm{Assigned: held.den, Converted: held.num}
	t := experiment.Arm{Assigned: all.den - held.den, Converted: all.num - held.num}
	seq := experiment.Sequential(h, t, 0.05)
	out := &KPIHoldout{Share: j.spec.Holdout, Treated: holdoutArm(t), Holdout: holdoutArm(h),
		Test: HoldoutTest{State: string(seq.State), PValue: seq.PValue, DifferenceLow: seq.Difference.Low, DifferenceHigh: seq.Difference.High}}
	if l := experiment.Compare(h, t); l.Defined {
		out.Lift = &HoldoutLift{Value: l.Value, Low: l.Low, High: l.High}
	}
	return out
}
