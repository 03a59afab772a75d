package deploy

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/waymarkhq/waymark/lang/provschema"
)

// Experiment states.
const (
	ExperimentRunning = "running"
	ExperimentStopped = "stopped"
)

// MetricConversion is an experiment's default metric: reaching the
// journey's goal after the assignment.
const MetricConversion = "conversion"

// Experiment is an action's A/B test.
type Experiment struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Control names the control variant.
	Control string `json:"control"`
	// Metric is "conversion" or "kpi.<name>", a KPI of the action's
	// journey.
	Metric string `json:"metric"`
	State  string `json:"state"` // running, stopped
	// Variants are in the order declared: assignment depends on it.
	Variants []Variant `json:"variants"`
}

// Variant is one arm of an experiment: what it overrides of its action.
type Variant struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Weight      float64 `json:"weight"`
	// Holdout variants are assigned but neither sent nor offered.
	Holdout bool `json:"holdout,omitempty"`
	// Value overrides the action's value: a runtime expression, or a
	// constant's literal; empty for the action's.
	Value string `json:"value,omitempty"`
	// After overrides the trigger delay (a duration string); empty for the
	// action's.
	After string `json:"after,omitempty"`
	// Message holds the templates that replace the action's fields of the
	// same name.
	Message map[string]string `json:"message,omitempty"`
}

// Address is the experiment's address under its action's:
// journey.cart.action.email.experiment.subject.
func (e *Experiment) Address(action string) string { return action + ".experiment." + e.Name }

// Variant returns the named variant, or nil.
func (e *Experiment) Variant(name string) *Variant {
	for i := range e.Variants {
		if e.Variants[i].Name == name {
			return &e.Variants[i]
		}
	}
	return nil
}

// ControlIndex is the index of the control variant in Variants.
func (e *Experiment) ControlIndex() int {
	for i := range e.Variants {
		if e.Variants[i].Name == e.Control {
			return i
		}
	}
	return 0
}

// Weights are the variants' weights, in order.
func (e *Experiment) Weights() []float64 {
	w := make([]float64, len(e.Variants))
	for i, v := range e.Variants {
		w[i] = v.Weight
	}
	return w
}

// ExperimentMetricFuncs are the KPI functions an experiment may be
// measured on: a yes or no per assigned customer.
var ExperimentMetricFuncs = []string{"conversion", "rate"}

// CheckExperiment checks an action's experiment as validate does, for a
// deployment that did not come from the language: kpi returns the metric
// of a KPI of the action's journey, false when there is none; s is the
// schema of the channel's provider, nil when unknown.
func CheckExperiment(ac *Action, kpi func(name string) (Metric, bool), s *provschema.Schema) []string {
	e := ac.Experiment
	if e == nil {
		return nil
	}
	var out []string
	add := func(format string, args ...any) {
		out = append(out, "experiment "+e.Name+": "+fmt.Sprintf(format, args...))
	}
	if e.State != ExperimentRunning && e.State != ExperimentStopped {
		add("state %q is not running or stopped", e.State)
	}
	if len(e.Variants) < 2 {
		add("%d variant(s): an experiment has at least two", len(e.Variants))
	}
	seen := map[string]bool{}
	for _, v := range e.Variants {
		if seen[v.Name] {
			add("two variants are named %q", v.Name)
		}
		seen[v.Name] = true
		if !(v.Weight > 0) || math.IsInf(v.Weight, 0) {
			add("variant %s: weight must be above zero", v.Name)
		}
		if v.Holdout && (v.Value != "" || v.After != "" || len(v.Message) > 0) {
			add("variant %s: a holdout overrides nothing", v.Name)
		}
		if v.After != "" && s != nil && !s.Delivers {
			add("variant %s: trigger on channel %q, which never sends (inbound)", v.Name, ac.Channel)
		}
		for _, k := range slices.Sorted(maps.Keys(v.Message)) {
			if s != nil && s.MessageAttribute(k) == nil {
				add("variant %s: message.%s: messages of provider %s take no attribute %q", v.Name, k, s.Provider, k)
			}
		}
	}
	if !seen[e.Control] {
		add("control %q is not one of its variants", e.Control)
	}
	if e.Metric != MetricConversion {
		name, isKPI := strings.CutPrefix(e.Metric, "kpi.")
		m, ok := kpi(name)
		switch {
		case !isKPI:
			add("metric %q is not \"conversion\" or kpi.<name>", e.Metric)
		case !ok:
			add("metric names kpi %q, which journey %q does not have", name, ac.Journey)
		case !slices.Contains(ExperimentMetricFuncs, m.Function):
			add("metric kpi %q is %s(), not conversion() or rate()", name, m.Function)
		case m.Action != "":
			add("metric kpi %q is attributed to action %q's sends, which an experiment's counts do not follow", name, m.Action)
		}
	}
	return out
}
