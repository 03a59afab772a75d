package analytics

import (
	"math"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/funcs"
)

// span is a run of whole UTC hours, both ends included.
type span struct{ lo, hi int64 }

// window returns the hours of a window of length w ending at now: from the
// hour that holds now−w to the hour that holds now.
func window(now int64, w time.Duration) span {
	return span{hourOf(now - w.Milliseconds()), hourOf(now)}
}

// measured is a metric's value: ok is false when it has no samples.
type measured struct {
	value   float64
	ok      bool
	samples int64
}

func ratio(num, den int64) measured {
	if den <= 0 {
		return measured{}
	}
	return measured{float64(num) / float64(den), true, den}
}

// kpiSum is what a KPI's value is computed from, summed over buckets.
type kpiSum struct {
	num, den int64
	sks      []*Sketch
	attr     attrAgg
}

// collect adds a bucket's share of a KPI's figures.
func (j *journey) collect(k *KPI, b *bucket, s *kpiSum) {
	switch k.Function {
	case FuncConversion:
		if k.Action != "" {
			if x := b.sends[k.Action]; x != nil {
				s.num, s.den = s.num+x.converted, s.den+x.runs
			}
		} else if j.spec.Within > 0 {
			s.num, s.den = s.num+b.converted, s.den+b.matured
		} else {
			s.num, s.den = s.num+b.goals, s.den+b.ended
		}
	case FuncDropoff:
		if i, ok := j.stageIdx[k.Stage]; ok && i < len(b.stages) {
			a := &b.stages[i]
			s.num += a.dropped
			s.den += a.dropped + a.movedOn + a.completed
		}
	case FuncTimeInStage:
		if i, ok := j.stageIdx[k.Stage]; ok && i < len(b.stages) {
			s.sks = append(s.sks, &b.stages[i].time)
		}
	case FuncTimeToGoal:
		s.sks = append(s.sks, &b.toGoal)
	case FuncRate:
		if i, ok := j.rateIdx[k.Event]; ok && i < len(b.latest) {
			s.num += b.latest[i]
		}
		s.den += b.completed + b.exited + b.expired + b.timedOut + b.removed
	case FuncAverage, FuncNPS:
		if x := b.attrs[attrKey{k.Event, k.Attribute}]; x != nil {
			s.attr.n += x.n
			s.attr.sum += x.sum
			s.attr.answers += x.answers
			s.attr.promoters += x.promoters
			s.attr.detractors += x.detractors
		}
	}
}

func (k *KPI) value(s *kpiSum) measured {
	switch k.Function {
	case FuncConversion, FuncDropoff, FuncRate:
		return ratio(s.num, s.den)
	case FuncTimeInStage, FuncTimeToGoal:
		sk := &Sketch{}
		if len(s.sks) == 1 {
			sk = s.sks[0]
		} else {
			for _, x := range s.sks {
				sk.Merge(x)
			}
		}
		v, ok := sk.Quantile(k.Quantile)
		return measured{v, ok, int64(sk.Count())}
	case FuncAverage:
		if s.attr.n == 0 {
			return measured{}
		}
		return measured{s.attr.sum / float64(s.attr.n), true, s.attr.n}
	case FuncNPS:
		if s.attr.answers == 0 {
			return measured{}
		}
		return measured{100 * float64(s.attr.promoters-s.attr.detractors) / float64(s.attr.answers), true, s.attr.answers}
	}
	return measured{}
}

// measure computes a KPI over its window ending at now, from the
// window's running sum. rate() counts the runs in the journey now and
// those that left it in the window.
func (j *journey) measure(k *KPI, now int64) measured {
	s := j.kpiSum(k, now)
	return k.value(&s)
}

// kpiSum is what the KPI's value over its window ending at now is
// computed from.
func (j *journey) kpiSum(k *KPI, now int64) kpiSum {
	var s kpiSum
	j.collect(k, j.windowSum(k.Window, now), &s)
	if k.Function == FuncRate {
		s.den += j.active()
	}
	return s
}

// measureSlice computes a KPI over slice i of n of its window ending at
// now; not rate(), whose runs in the journey are known only now.
func (j *journey) measureSlice(k *KPI, i, n int64, now int64) measured {
	if k.Function == FuncRate {
		return measured{}
	}
	var s kpiSum
	j.collect(k, j.sliceSum(k.Window, i, n, now), &s)
	return k.value(&s)
}

func unit(function string) string {
	if f, ok := deploy.LookupKPIFunc(function); ok {
		return f.Unit
	}
	return "number"
}

// Computes reports whether analytics computes the KPI function: every one
// lang/deploy registers (its test checks).
func Computes(function string) bool {
	switch function {
	case FuncConversion, FuncDropoff, FuncTimeInStage, FuncTimeToGoal, FuncRate, FuncAverage, FuncNPS:
		return true
	}
	return false
}

// stateOf compares a value with a KPI's target. A value equal to the
// target meets it.
func stateOf(k *KPI, m measured) string {
	t := k.Target
	switch {
	case t == nil:
		return StateNoTarget
	case !m.ok || m.samples < int64(t.MinSamples):
		return StateInsufficientData
	case t.Above != nil && m.value >= *t.Above, t.Below != nil && m.value <= *t.Below:
		return StateMet
	}
	return StateMissed
}

// attainment is how close a KPI with a definite state is to its target,
// from 0 to 1: 1 when met, falling linearly with the distance by which it
// misses, to 0 at a distance as large as the target itself (or 1, for a
// target of 0).
func attainment(t *Target, v float64) float64 {
	var target, miss float64
	if t.Above != nil {
		target, miss = *t.Above, *t.Above-v
	} else {
		target, miss = *t.Below, v-*t.Below
	}
	if miss <= 0 {
		return 1
	}
	scale := math.Abs(target)
	if scale == 0 {
		scale = 1
	}
	return math.Max(0, 1-miss/scale)
}

const seriesSlices = 12

func (j *journey) kpiReport(k *KPI, now int64, series bool) KPIReport {
	m := j.measure(k, now)
	r := KPIReport{Name: k.Name, Metric: k.Source, Window: funcs.FormatDuration(k.Window), Unit: unit(k.Function),
		Target: k.Target, State: stateOf(k, m), Samples: m.samples, Alert: k.AlertChannel}
	if m.ok {
		r.Value = num(m.value)
	}
	r.Holdout = j.kpiHoldout(k, now)
	if k.Function == FuncConversion && !k.attributed() && j.spec.Within > 0 {
		p, pc := j.active()+int64(len(j.pending)), j.pendingConverted
		r.Pending, r.PendingConverted = &p, &pc
	}
	if series && k.Function != FuncRate {
		sp := window(now, k.Window)
		n := sp.hi - sp.lo + 1
		slices := min(n, seriesSlices)
		for i := int64(0); i < slices; i++ {
			sm := j.measureSlice(k, i, slices, now)
			if sm.ok {
				r.Series = append(r.Series, num(sm.value))
			} else {
				r.Series = append(r.Series, nil)
			}
		}
	}
	return r
}

func num(v float64) *float64 { return &v }

// Score is a journey's success score from its KPIs: the mean attainment
// of those that have a target and enough samples, times 100, to one
// decimal; nil when none has.
func Score(reps []KPIReport) *float64 {
	var sum float64
	n := 0
	for _, r := range reps {
		if (r.State == StateMet || r.State == StateMissed) && r.Target != nil && r.Value != nil {
			sum += attainment(r.Target, *r.Value)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return num(math.Round(1000*sum/float64(n)) / 10)
}

// KPIs returns the journey's KPIs at now, in the order deployed, without
// their series.
func (a *Analytics) KPIs(stack, journey string, now time.Time) ([]KPIReport, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	j := a.journeys[jkey{stack, journey}]
	if j == nil || !j.configured {
		return nil, ErrUnknownJourney
	}
	t := now.UnixMilli()
	j.advance(t)
	return j.kpiReports(t, false), nil
}

func (j *journey) kpiReports(now int64, series bool) []KPIReport {
	out := make([]KPIReport, len(j.spec.KPIs))
	for i := range j.spec.KPIs {
		out[i] = j.kpiReport(&j.spec.KPIs[i], now, series)
	}
	return out
}
