package expr

import (
	"math"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

// scope is what the compiler knows of the names in scope; programs keep it
// to build EvalContexts for the slow path.
type scope struct {
	env      *Env
	customer *Layout
	event    *Layout // nil when no event is in hand
	ctxRoot  bool
	priority bool

	// The segment and journey names sorted, built on first use: a
	// deployment compiles thousands of expressions over thousands of
	// journeys, and most expressions never need the lists.
	sortOnce              sync.Once
	segsSorted, jrnSorted []named
}

// segments returns the segments in scope, sorted by name.
func (s *scope) segments() []named { s.sort(); return s.segsSorted }

// journeys returns the journeys in scope, sorted by name.
func (s *scope) journeys() []named { s.sort(); return s.jrnSorted }

func (s *scope) sort() {
	s.sortOnce.Do(func() {
		s.segsSorted = sortedNames(s.env.Segments)
		s.jrnSorted = sortedNames(s.env.Journeys)
	})
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

// staticVars returns the variables for type-checking the expression whose
// references are refs: the names in scope, with unknown values of their
// types. Of the segments and journeys it holds only those refs name (all
// of them where a root is used whole), so that its cost does not grow with
// the size of the deployment; a name not in scope stays absent, for HCL to
// report.
func (s *scope) staticVars(refs []hcl.Traversal) map[string]cty.Value {
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
	segNames, allSegs := referenced(refs, "segment")
	seg := map[string]cty.Value{}
	if allSegs {
		for _, n := range s.segments() {
			seg[n.name] = cty.UnknownVal(cty.Bool)
		}
	}
	for _, n := range segNames {
		if _, ok := s.segmentIndex(n); ok {
			seg[n] = cty.UnknownVal(cty.Bool)
		}
	}
	vars["segment"] = cty.ObjectVal(seg)
	jrnNames, allJrn := referenced(refs, "journey")
	stage := cty.ObjectVal(map[string]cty.Value{"stage": cty.UnknownVal(cty.String)})
	jrn := map[string]cty.Value{}
	if allJrn {
		for _, n := range s.journeys() {
			jrn[n.name] = stage
		}
	}
	for _, n := range jrnNames {
		if _, ok := s.journeyIndex(n); ok {
			jrn[n] = stage
		}
	}
	vars["journey"] = cty.ObjectVal(jrn)
	if s.priority {
		for _, n := range priorityNames {
			vars[n] = cty.UnknownVal(cty.Number)
		}
	}
	return vars
}

// referenced returns the names that refs read under root (root.<name>),
// and whether root is also used whole.
func referenced(refs []hcl.Traversal, root string) (names []string, whole bool) {
	for _, t := range refs {
		if t.RootName() != root {
			continue
		}
		if len(t) < 2 {
			whole = true
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			names = append(names, a.Name)
		} else {
			whole = true
		}
	}
	return names, whole
}

var priorityNames = [...]string{"propensity", "value", "lever"}

// varsCost is what activationVars costs: each string and list it reads
// made into cty values.
func (s *scope) varsCost(r *Refs, a *Activation) cost.Cost {
	var bytes, elems float64
	add := func(v Value) {
		switch v.kind {
		case KindString:
			bytes += float64(len(v.str))
		case KindStringList:
			elems += float64(len(v.list))
			for _, x := range v.list {
				bytes += float64(len(x))
			}
		}
		elems++
	}
	for _, slot := range r.Customer {
		add(readSlot(a.Customer, slot, KindDynamic))
	}
	if s.event != nil {
		for _, slot := range r.Event {
			add(readSlot(a.Event, slot, KindDynamic))
		}
	}
	if r.AllContext {
		for _, v := range a.Context {
			add(v)
		}
	} else {
		for _, k := range r.Context {
			add(a.Context[k])
		}
	}
	elems += float64(len(r.Segments) + len(r.Journeys))
	return cost.Cost{Steps: bytes + elems*cost.ElemSteps, Bytes: bytes + elems*cost.ElemBytes}
}

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
		for _, n := range s.segments() {
			if containsInt(r.Segments, n.index) {
				m[n.name] = toCty(readSlot(a.Segments, n.index, KindBool), KindBool, false)
			}
		}
		vars["segment"] = cty.ObjectVal(m)
	}
	if len(r.Journeys) > 0 {
		m := make(map[string]cty.Value, len(r.Journeys))
		for _, n := range s.journeys() {
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
