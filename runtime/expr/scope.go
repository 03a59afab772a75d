package expr

import (
	"math"
	"sort"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// scope is what the compiler knows of the names in scope; programs keep it
// to build EvalContexts for the slow path.
type scope struct {
	env      *Env
	customer *Layout
	event    *Layout // nil when no event is in hand
	segments []named // sorted by name
	journeys []named // sorted by name
	ctxRoot  bool
	priority bool
	funcs    map[string]function.Function
}

type named struct {
	name  string
	index int
}

func sortedNames(m map[string]int) []named {
	out := make([]named, 0, len(m))
	for n, i := range m {
		out = append(out, named{n, i})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *scope) segmentIndex(name string) (int, bool) {
	i, ok := s.env.Segments[name]
	return i, ok
}

func (s *scope) journeyIndex(name string) (int, bool) {
	i, ok := s.env.Journeys[name]
	return i, ok
}

// staticVars returns the variables for type-checking: every name in scope,
// with unknown values of their types.
func (s *scope) staticVars() map[string]cty.Value {
	vars := map[string]cty.Value{}
	vars["customer"] = layoutObject(s.customer, nil, func(slot int) cty.Value {
		return cty.UnknownVal(ctyType(s.customer.Kind(slot)))
	})
	if s.event != nil {
		vars["event"] = layoutObject(s.event, nil, func(slot int) cty.Value {
			return cty.UnknownVal(ctyType(s.event.Kind(slot)))
		})
	}
	if s.ctxRoot {
		vars["context"] = cty.DynamicVal
	}
	seg := map[string]cty.Value{}
	for _, n := range s.segments {
		seg[n.name] = cty.UnknownVal(cty.Bool)
	}
	vars["segment"] = cty.ObjectVal(seg)
	jrn := map[string]cty.Value{}
	for _, n := range s.journeys {
		jrn[n.name] = cty.ObjectVal(map[string]cty.Value{"stage": cty.UnknownVal(cty.String)})
	}
	vars["journey"] = cty.ObjectVal(jrn)
	if s.priority {
		for _, n := range priorityNames {
			vars[n] = cty.UnknownVal(cty.Number)
		}
	}
	return vars
}

var priorityNames = [...]string{"propensity", "value", "lever"}

// activationVars returns the variables that refs reads, from a.
func (s *scope) activationVars(r *Refs, a *Activation) map[string]cty.Value {
	vars := make(map[string]cty.Value, 4)
	if len(r.Customer) > 0 {
		vars["customer"] = layoutObject(s.customer, r.Customer, func(slot int) cty.Value {
			return toCty(readSlot(a.Customer, slot, s.customer.Kind(slot)), s.customer.Kind(slot), false)
		})
	}
	if len(r.Event) > 0 && s.event != nil {
		vars["event"] = layoutObject(s.event, r.Event, func(slot int) cty.Value {
			return toCty(readSlot(a.Event, slot, s.event.Kind(slot)), s.event.Kind(slot), false)
		})
	}
	if len(r.Context) > 0 || r.AllContext {
		m := make(map[string]cty.Value, len(r.Context))
		for _, k := range r.Context {
			m[k] = toCty(a.Context[k], KindDynamic, false)
		}
		if r.AllContext {
			for k, v := range a.Context {
				m[k] = toCty(v, KindDynamic, false)
			}
		}
		vars["context"] = cty.ObjectVal(m)
	}
	if len(r.Segments) > 0 {
		m := make(map[string]cty.Value, len(r.Segments))
		for _, n := range s.segments {
			if containsInt(r.Segments, n.index) {
				m[n.name] = toCty(readSlot(a.Segments, n.index, KindBool), KindBool, false)
			}
		}
		vars["segment"] = cty.ObjectVal(m)
	}
	if len(r.Journeys) > 0 {
		m := make(map[string]cty.Value, len(r.Journeys))
		for _, n := range s.journeys {
			if containsInt(r.Journeys, n.index) {
				stage := toCty(readSlot(a.Stages, n.index, KindString), KindString, false)
				m[n.name] = cty.ObjectVal(map[string]cty.Value{"stage": stage})
			}
		}
		vars["journey"] = cty.ObjectVal(m)
	}
	if r.Priority {
		vars["propensity"] = numberOrNull(a.Propensity)
		vars["value"] = numberOrNull(a.ValueScore)
		vars["lever"] = numberOrNull(a.Lever)
	}
	return vars
}

func numberOrNull(f float64) cty.Value {
	if math.IsNaN(f) {
		return cty.NullVal(cty.Number)
	}
	return cty.NumberFloatVal(f)
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// layoutObject returns an object of the attributes in slots (all of them
// when slots is nil), with values from val.
func layoutObject(l *Layout, slots []int, val func(int) cty.Value) cty.Value {
	m := make(map[string]cty.Value, len(l.names))
	if slots == nil {
		for i, n := range l.names {
			m[n] = val(i)
		}
	} else {
		for _, i := range slots {
			m[l.names[i]] = val(i)
		}
	}
	return cty.ObjectVal(m)
}
