package analytics

import (
	"fmt"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/runtime/catalog"
)

// Journey is what analytics needs to know of a deployed journey.
type Journey struct {
	Stack string
	Name  string
	// Stages in the order declared.
	Stages  []string
	HasGoal bool
	// Within is goal.within, 0 for none.
	Within time.Duration
	KPIs   []KPI
	// MovedFrom is the journey's name before a moved block renamed it,
	// "" for none; ActionsMoved maps an action's old name to its new one.
	// Configure carries their figures over.
	MovedFrom    string
	ActionsMoved map[string]string
	// Holdout is the share of customers in the global holdout
	// (arbitration's holdout), 0 for none.
	Holdout float64
	// Experiments are the experiments of the journey's actions.
	Experiments []Experiment
}

// KPI functions: the names of lang/deploy's registry (deploy.KPIFuncs),
// which analytics computes in kpi.go.
const (
	FuncConversion  = deploy.KPIConversion
	FuncDropoff     = deploy.KPIDropoff
	FuncTimeInStage = deploy.KPITimeInStage
	FuncTimeToGoal  = deploy.KPITimeToGoal
	FuncRate        = deploy.KPIRate
	FuncAverage     = deploy.KPIAverage
	FuncNPS         = deploy.KPINPS
)

// KPI is a deployed KPI of a journey.
type KPI struct {
	Name string
	// Function is one of the Func constants; Stage, Event, Attribute and
	// Quantile are its arguments.
	Function  string
	Stage     string
	Event     string
	Attribute string
	Quantile  float64
	// Action is the action a conversion is attributed to
	// (conversion(action.<name>)), "" for none.
	Action string
	// Source is the metric as written: dropoff(stage.checkout).
	Source string
	Window time.Duration
	// Target is nil without one.
	Target *Target
	// AlertChannel is the channel of the KPI's alert block, empty without.
	AlertChannel string
	// AlertAction is the action the alert triggers, empty without.
	AlertAction string
	// Cooldown is how much event time passes after an alert before the
	// KPI's state is looked at again; Hysteresis the margin by which a
	// KPI that missed must return past its target to be met again.
	Cooldown   time.Duration
	Hysteresis float64
}

// Target is what a KPI should be: exactly one of Above and Below.
type Target struct {
	Above      *float64
	Below      *float64
	MinSamples int
}

// FromCatalog returns every journey of every stack of cat with its KPIs.
func FromCatalog(cat *catalog.Catalog) ([]Journey, error) {
	var out []Journey
	holdout := 0.0
	for _, st := range cat.Stacks {
		if o := st.Doc.Object("arbitration"); o != nil && o.Arbitration != nil {
			holdout = o.Arbitration.Holdout
		}
	}
	for _, st := range cat.Stacks {
		kpis := map[string][]KPI{}
		for i := range st.Doc.Objects {
			o := &st.Doc.Objects[i]
			if o.Kind != deploy.KindKPI || o.KPI == nil {
				continue
			}
			k, err := kpiFromDeploy(o.KPI)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", st.Name, o.Address, err)
			}
			kpis[o.KPI.Journey] = append(kpis[o.KPI.Journey], k)
		}
		for _, j := range st.Journeys {
			aj := Journey{Stack: st.Name, Name: j.Name, HasGoal: j.Goal != nil, Within: j.Within, KPIs: kpis[j.Name], Holdout: holdout}
			for _, m := range st.Moves {
				switch {
				case m.Journey && m.ToJourney == j.Name:
					aj.MovedFrom = m.FromJourney
				case m.Action && m.ToJourney == j.Name:
					if aj.ActionsMoved == nil {
						aj.ActionsMoved = map[string]string{}
					}
					aj.ActionsMoved[m.FromAction] = m.ToAction
				}
			}
			for _, s := range j.Stages {
				aj.Stages = append(aj.Stages, s.Name)
			}
			aj.Experiments = experimentsOf(st, j.Name)
			out = append(out, aj)
		}
	}
	return out, nil
}

// experimentsOf returns the experiments of a journey's actions.
func experimentsOf(st *catalog.Stack, journey string) []Experiment {
	var out []Experiment
	for i := range st.Doc.Objects {
		o := &st.Doc.Objects[i]
		if o.Kind != deploy.KindAction || o.Action == nil || o.Action.Journey != journey || o.Action.Experiment == nil {
			continue
		}
		ex := o.Action.Experiment
		x := Experiment{Action: o.Action.Name, Name: ex.Name, Control: ex.Control, Metric: ex.Metric, Stopped: ex.State == deploy.ExperimentStopped}
		for _, v := range ex.Variants {
			x.Variants = append(x.Variants, v.Name)
		}
		if name, ok := strings.CutPrefix(ex.Metric, "kpi."); ok {
			if k := st.Doc.Object("journey." + journey + ".kpi." + name); k != nil && k.KPI != nil && k.KPI.Metric.Function == FuncRate {
				x.Event = k.KPI.Metric.Event
			}
		}
		out = append(out, x)
	}
	return out
}

func kpiFromDeploy(d *deploy.KPI) (KPI, error) {
	w, err := funcs.ParseDuration(d.Window)
	if err != nil {
		return KPI{}, fmt.Errorf("window: %w", err)
	}
	if !Computes(d.Metric.Function) {
		return KPI{}, fmt.Errorf("analytics does not compute the KPI function %q", d.Metric.Function)
	}
	k := KPI{Name: d.Name, Function: d.Metric.Function, Stage: d.Metric.Stage, Event: d.Metric.Event,
		Attribute: d.Metric.Attribute, Action: d.Metric.Action, Source: d.Metric.Source, Window: w}
	if d.Metric.Quantile != nil {
		k.Quantile = *d.Metric.Quantile
	}
	if t := d.Target; t != nil {
		k.Target = &Target{Above: t.Above, Below: t.Below, MinSamples: t.MinSamples}
	}
	if al := d.Alert; al != nil {
		k.AlertChannel, k.AlertAction, k.Hysteresis = al.Channel, al.Action, al.Hysteresis
		if al.Cooldown != "" {
			if k.Cooldown, err = funcs.ParseDuration(al.Cooldown); err != nil {
				return KPI{}, fmt.Errorf("alert cooldown: %w", err)
			}
		}
	}
	return k, nil
}
