package decide

import (
	"fmt"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/experiment"
	"github.com/waymarkhq/waymark/runtime/expr"
)

// Experiment is an action's A/B test, compiled.
type Experiment struct {
	Name string
	// Salt keys the assignment hash: the experiment's address in its
	// stack, <stack>/<action address>.experiment.<name>. Renaming the
	// experiment or its action reassigns everyone.
	Salt string
	// Metric is "conversion" or "kpi.<name>".
	Metric string
	// Running is false for a stopped experiment: everyone gets the
	// control, and nothing is counted.
	Running  bool
	Control  int
	Weights  []float64
	Variants []*Variant
}

// Variant is one arm of an experiment: the action as its customers get it.
type Variant struct {
	Name    string
	Index   int
	Holdout bool
	// Value, when set, replaces the action's value.
	Value      *expr.Program
	value      float64
	valueConst bool
	// After, when HasAfter, replaces the action's trigger delay.
	After    time.Duration
	HasAfter bool
	// Message, Fields and CustomerAttrs are the action's, with the
	// variant's message fields merged over them.
	Message       map[string]*expr.Template
	Fields        []string
	CustomerAttrs []string
}

// Variant returns the experiment's variant of a name, or nil.
func (e *Experiment) Variant(name string) *Variant {
	for _, v := range e.Variants {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// experiment compiles the action's experiment; the action's own fields are
// compiled already.
func (c *Catalog) experiment(a *Action, st *catalog.Stack, ex *deploy.Experiment, in Input) (*Experiment, catalog.Problems) {
	e := &Experiment{Name: ex.Name, Salt: a.Stack.Name + "/" + ex.Address(a.Address), Metric: ex.Metric,
		Running: ex.State != deploy.ExperimentStopped, Control: ex.ControlIndex(), Weights: ex.Weights()}
	var ps catalog.Problems
	for i, dv := range ex.Variants {
		v := &Variant{Name: dv.Name, Index: i, Holdout: dv.Holdout, Message: a.Message, Fields: a.Fields, CustomerAttrs: a.CustomerAttrs}
		if dv.Value != "" {
			v.Value = in.Program(a.Stack.Name, a.Address, catalog.VariantAttr(dv.Name, "value"))
			a.Stack.reads(v.Value)
			if v.Value != nil && constant(v.Value) {
				if f, null := v.Value.EvalNumber(&expr.Activation{}); !null {
					v.value, v.valueConst = f, true
				}
			}
		}
		if dv.After != "" {
			v.After, v.HasAfter = duration(dv.After), true
		}
		if len(dv.Message) > 0 {
			env := in.Env(st.Name, catalog.Scope{Context: true, Journeys: true})
			v.Message = map[string]*expr.Template{}
			for f, t := range a.Message {
				v.Message[f] = t
			}
			attrs := map[string]bool{}
			for _, n := range a.CustomerAttrs {
				attrs[n] = true
			}
			names := in.Layout.Names()
			for field, src := range dv.Message {
				t, err := expr.CompileTemplate(src, env)
				if err != nil {
					ps = append(ps, catalog.Problem{Address: a.Address, Message: fmt.Sprintf("%s: %v", catalog.VariantAttr(dv.Name, "message."+field), err)})
					continue
				}
				v.Message[field] = t
				for _, slot := range t.Refs().Customer {
					if n := names[slot]; n != expr.IDAttribute {
						if ca := cattr(st, n); ca == nil || !ca.Sensitive {
							attrs[n] = true
						}
					}
				}
			}
			v.Fields, v.CustomerAttrs = nil, nil
			for f := range v.Message {
				v.Fields = append(v.Fields, f)
			}
			for n := range attrs {
				v.CustomerAttrs = append(v.CustomerAttrs, n)
			}
			sort.Strings(v.Fields)
			sort.Strings(v.CustomerAttrs)
		}
		e.Variants = append(e.Variants, v)
	}
	return e, ps
}

// constant reports whether p reads nothing of the customer, the context,
// segments or journeys.
func constant(p *expr.Program) bool {
	r := p.Refs()
	return len(r.Customer) == 0 && len(r.Context) == 0 && !r.AllContext && len(r.Segments) == 0 && len(r.Journeys) == 0
}

// VariantOf is the variant of the action's experiment that the customer
// gets, and whether the experiment counts them (it runs); nil for an
// action without an experiment.
func (a *Action) VariantOf(customer string) (*Variant, bool) {
	e := a.Experiment
	if e == nil {
		return nil, false
	}
	if !e.Running {
		return e.Variants[e.Control], false
	}
	return e.Variants[experiment.Assign(e.Salt, customer, e.Weights)], true
}

// VariantNamed is the named variant of the action's experiment, nil when
// there is none (the experiment changed since).
func (a *Action) VariantNamed(name string) *Variant {
	if a.Experiment == nil || name == "" {
		return nil
	}
	return a.Experiment.Variant(name)
}

// TriggerAfter is how long after entering its first stage the action
// falls due for the customer: the trigger's delay, or their variant's.
func (a *Action) TriggerAfter(customer string) time.Duration {
	if v, _ := a.VariantOf(customer); v != nil && v.HasAfter {
		return v.After
	}
	return a.Trigger.After
}

// Render is what a delivery of the action renders for a variant (nil for
// the action as declared): the templates by field, the fields in order,
// and the customer attributes the delivery carries.
func (a *Action) Render(v *Variant) (map[string]*expr.Template, []string, []string) {
	if v == nil {
		return a.Message, a.Fields, a.CustomerAttrs
	}
	return v.Message, v.Fields, v.CustomerAttrs
}
