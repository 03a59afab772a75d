package analytics

import (
	"sort"
	"time"

	"github.com/waymarkhq/waymark/runtime/experiment"
)

// Experiment is what analytics needs to know of an action's experiment.
type Experiment struct {
	// Action is the action's name in its journey.
	Action string
	Name   string
	// Variants are in the order declared; Control is one of them.
	Variants []string
	Control  string
	// Metric is as written: "conversion" or "kpi.<name>". Event is the
	// event type that converts for a rate() KPI, "" when reaching the
	// journey's goal converts.
	Metric  string
	Event   string
	Stopped bool
}

// Assignment is an experiment's assignment of a customer to a variant, as
// a decision made it: the action chosen (or held out) for them.
type Assignment struct {
	Time       time.Time
	Customer   string
	Stack      string
	Journey    string
	Action     string
	Experiment string
	Variant    string
}

// expKey names an experiment in its journey.
type expKey struct{ action, name string }

// expAgg is an experiment's figures. Each customer counts once: assigned
// at their first assignment, delivered at the first delivery of the
// action to them in their variant after it, converted at the first
// conversion after it. Counts are kept per customer, so that a record
// seen twice or out of order counts once; erase moves a customer's
// counts to gone, which names no one.
type expAgg struct {
	customers map[string]*expCustomer
	gone      map[string]experiment.Arm // by variant
	// early holds, for customers not yet assigned, when they last
	// converted (ms): a request's decision is recorded after the request,
	// so its assignment may come after a conversion that followed it.
	early map[string]int64
	// prune is the size of early at which it is next pruned: pruning
	// costs its size, so it runs when early has doubled since.
	prune int
}

type expCustomer struct {
	variant              string
	at                   int64 // ms
	delivered, converted bool
}

// earlyKeep bounds how far back early conversions are kept; they are
// pruned once there are minPrune of them, and each time they have doubled.
const (
	earlyKeep = 24 * hourMs
	minPrune  = 1024
)

func newExpAgg() *expAgg {
	return &expAgg{customers: map[string]*expCustomer{}, gone: map[string]experiment.Arm{}, early: map[string]int64{}}
}

func (j *journey) experiment(action, name string) *expAgg {
	k := expKey{action, name}
	e := j.exps[k]
	if e == nil {
		if j.exps == nil {
			j.exps = map[expKey]*expAgg{}
		}
		e = newExpAgg()
		j.exps[k] = e
	}
	return e
}

// spec returns the configured experiment of an action, or nil.
func (j *journey) expSpec(action, name string) *Experiment {
	for i := range j.spec.Experiments {
		if x := &j.spec.Experiments[i]; x.Action == action && x.Name == name {
			return x
		}
	}
	return nil
}

func (a *Analytics) assignment(as *Assignment) {
	t := msOf(as.Time)
	if t == noTime {
		return
	}
	j := a.journey(as.Stack, as.Journey)
	e := j.experiment(as.Action, as.Experiment)
	if _, seen := e.customers[as.Customer]; seen {
		return
	}
	c := &expCustomer{variant: as.Variant, at: t}
	if ct, ok := e.early[as.Customer]; ok {
		c.converted = ct >= t
		delete(e.early, as.Customer)
	}
	e.customers[as.Customer] = c
}

func (a *Analytics) expDelivery(d *Delivery) {
	if d.Variant == "" || d.Outcome != Delivered {
		return
	}
	j := a.journey(d.Stack, d.Journey)
	for k, e := range j.exps {
		if x := j.expSpec(k.action, k.name); k.action != d.Action || (x != nil && x.Stopped) {
			continue
		}
		if c := e.customers[d.Customer]; c != nil && c.variant == d.Variant {
			c.delivered = true
		}
	}
}

// expConvert records that the customer converted at t by what converts
// for experiments whose Event is event ("" for the goal).
func (a *Analytics) expConvert(stack, journey, customer, event string, t int64) {
	if t == noTime {
		return
	}
	j := a.journey(stack, journey)
	for _, x := range j.spec.Experiments {
		if x.Event != event || x.Stopped {
			continue
		}
		e := j.experiment(x.Action, x.Name)
		c := e.customers[customer]
		switch {
		case c == nil:
			if prev, ok := e.early[customer]; !ok || t > prev {
				e.early[customer] = t
			}
			if len(e.early) >= e.prune {
				for id, at := range e.early {
					if at < t-earlyKeep {
						delete(e.early, id)
					}
				}
				e.prune = max(minPrune, 2*len(e.early))
			}
		case !c.converted && t >= c.at:
			c.converted = true
		}
	}
}

// eraseExperiments forgets the customer's name in every experiment,
// keeping what they counted.
func (j *journey) eraseExperiments(customer string) {
	for _, e := range j.exps {
		delete(e.early, customer)
		c := e.customers[customer]
		if c == nil {
			continue
		}
		arm := e.gone[c.variant]
		arm.Assigned++
		arm.Delivered += b2i(c.delivered)
		arm.Converted += b2i(c.converted)
		e.gone[c.variant] = arm
		delete(e.customers, customer)
	}
}

// arms counts the experiment's customers per variant.
func (e *expAgg) arms() map[string]experiment.Arm {
	out := map[string]experiment.Arm{}
	for v, g := range e.gone {
		out[v] = g
	}
	for _, c := range e.customers {
		arm := out[c.variant]
		arm.Assigned++
		arm.Delivered += b2i(c.delivered)
		arm.Converted += b2i(c.converted)
		out[c.variant] = arm
	}
	return out
}

// ExperimentReport is an experiment's figures since it started: per
// variant, the customers assigned, delivered and converted, the
// conversion rate (per assigned customer) with its 95% interval, and for
// each variant but the control its lift over the control with its
// interval and the sequential test's decision.
type ExperimentReport struct {
	Action   string
	Name     string
	Metric   string
	Control  string
	State    string // running, stopped
	Variants []VariantReport
}

// VariantReport is one variant of an ExperimentReport.
type VariantReport struct {
	Name                           string
	Control                        bool
	Assigned, Delivered, Converted int64
	Conversion                     experiment.Rate
	// Lift and Test are nil for the control.
	Lift *experiment.Lift
	Test *VariantTest
}

// Arm is the variant's counts.
func (v *VariantReport) Arm() experiment.Arm {
	return experiment.Arm{Assigned: v.Assigned, Delivered: v.Delivered, Converted: v.Converted}
}

// VariantTest is the sequential test's decision on a variant against the
// control: experiment.Sequential at alpha 0.05 on the counts so far.
type VariantTest struct {
	State                         string
	PValue                        float64
	DifferenceLow, DifferenceHigh float64
}

// experimentReports reports the journey's configured experiments.
func (j *journey) experimentReports() []ExperimentReport {
	var out []ExperimentReport
	for _, x := range j.spec.Experiments {
		arms := map[string]experiment.Arm{}
		if e := j.exps[expKey{x.Action, x.Name}]; e != nil {
			arms = e.arms()
		}
		r := ExperimentReport{Action: x.Action, Name: x.Name, Metric: x.Metric, Control: x.Control, State: "running"}
		if x.Stopped {
			r.State = "stopped"
		}
		control := arms[x.Control]
		for _, v := range x.Variants {
			arm := arms[v]
			vr := VariantReport{Name: v, Control: v == x.Control, Assigned: arm.Assigned, Delivered: arm.Delivered, Converted: arm.Converted,
				Conversion: arm.Rate()}
			if !vr.Control {
				l := experiment.Compare(control, arm)
				d := experiment.Sequential(control, arm, Alpha)
				vr.Lift = &l
				vr.Test = &VariantTest{State: string(d.State), PValue: d.PValue, DifferenceLow: d.Difference.Low, DifferenceHigh: d.Difference.High}
			}
			r.Variants = append(r.Variants, vr)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Action < out[b].Action })
	return out
}

// Alpha is the false-call rate of the experiments' sequential tests.
const Alpha = 0.05

// expState is an experiment in a snapshot.
type expState struct {
	Action, Name string
	Customers    []expCustomerState
	Gone         []expGoneState
	Early        []expEarlyState
}

type expCustomerState struct {
	Customer             string
	Variant              string
	At                   int64
	Delivered, Converted bool
}

type expGoneState struct {
	Variant                        string
	Assigned, Delivered, Converted int64
}

type expEarlyState struct {
	Customer string
	At       int64
}

func (j *journey) expStates() []expState {
	var out []expState
	for k, e := range j.exps {
		s := expState{Action: k.action, Name: k.name}
		for id, c := range e.customers {
			s.Customers = append(s.Customers, expCustomerState{id, c.variant, c.at, c.delivered, c.converted})
		}
		for v, g := range e.gone {
			s.Gone = append(s.Gone, expGoneState{v, g.Assigned, g.Delivered, g.Converted})
		}
		for id, at := range e.early {
			s.Early = append(s.Early, expEarlyState{id, at})
		}
		out = append(out, s)
	}
	return out
}

func (j *journey) restoreExps(states []expState) {
	for _, s := range states {
		e := j.experiment(s.Action, s.Name)
		for _, c := range s.Customers {
			e.customers[c.Customer] = &expCustomer{c.Variant, c.At, c.Delivered, c.Converted}
		}
		for _, g := range s.Gone {
			e.gone[g.Variant] = experiment.Arm{Assigned: g.Assigned, Delivered: g.Delivered, Converted: g.Converted}
		}
		for _, x := range s.Early {
			e.early[x.Customer] = x.At
		}
	}
}
