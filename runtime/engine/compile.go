package engine

import (
	"fmt"
	"slices"
	"sort"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/expr"
)

// compiled is a catalog with every runtime expression compiled.
type compiled struct {
	cat      *catalog.Catalog
	customer *expr.Layout
	events   map[string]*expr.Layout
	stacks   []*cstack
	byName   map[string]*cstack
	// paused holds the paused journeys by stack and name.
	paused map[string]map[string]bool
	// dec is the decisioning view: actions, channels, the arbitration.
	dec *decide.Catalog
	// deployed are the deployments it was built from, by stack.
	deployed map[string]catalog.Deployed
	// unless maps an event type to the triggered actions it cancels.
	unless map[string][]*decide.Action
	// journeys indexes the journeys of every stack by stack and name.
	journeys map[string]map[string]*cjourney
	// njourneys is how many journeys the stacks have together.
	njourneys int
}

// Decide returns the decisioning view of the compiled deployment.
func (c *compiled) Decide() *decide.Catalog { return c.dec }

type cstack struct {
	index    int // in compiled.stacks
	st       *catalog.Stack
	journeys []*cjourney
	// segments are compiled by index into st.Segments; order is the order
	// to evaluate them in, each after those it reads.
	segments []*program
	order    []int
	// needSegments and needStages say whether any journey condition reads
	// segment or journey.<name>.stage.
	needSegments, needStages bool
	// reads holds, by event type, each journey's reads (by its place in
	// journeys): one lookup per event and stack, not per journey.
	reads map[string][]kpiRead
}

// kpiRead is whether a journey's KPIs read an event type, and the number
// attributes they read of it.
type kpiRead struct {
	read  bool
	attrs []string
}

type cjourney struct {
	j *catalog.Journey
	// index numbers the journey in its compiled catalog, over all stacks:
	// where a customer's run index keeps its run.
	index  int
	entry  ccrit
	goal   *ccrit
	exits  []ccrit
	stages []*ccrit // nil where the stage has no entry
	// reads are the event types the journey's KPIs read (rate, average,
	// nps), with the number attributes they read.
	reads map[string][]string
}

type ccrit struct {
	event string
	cond  *program // nil: true
}

type program struct {
	p    *expr.Program
	name string // stack/address attr, for counting nulls
}

func exprKind(k events.Kind) expr.Kind {
	switch k {
	case events.KindString:
		return expr.KindString
	case events.KindNumber:
		return expr.KindNumber
	case events.KindBool:
		return expr.KindBool
	case events.KindList:
		return expr.KindStringList
	}
	return expr.KindDynamic
}

// Compile compiles every runtime expression of the catalog against the
// scopes the language gives it, and reports those that do not compile with
// their object's address.
func Compile(cat *catalog.Catalog) (*compiled, catalog.Problems) {
	c := &compiled{cat: cat, events: map[string]*expr.Layout{}, byName: map[string]*cstack{}, paused: map[string]map[string]bool{},
		journeys: map[string]map[string]*cjourney{}}
	kinds := map[string]expr.Kind{}
	for n, a := range cat.Schema.Customer {
		kinds[n] = exprKind(a.Kind)
	}
	c.customer = expr.NewLayout(kinds)
	for n, t := range cat.Schema.Types {
		k := map[string]expr.Kind{}
		for an, a := range t.Attributes {
			k[an] = exprKind(a.Kind)
		}
		c.events[n] = expr.NewLayout(k)
	}
	var ps catalog.Problems
	fns := funcs.Runtime()
	programs := map[string]*program{}
	envs := map[string]func(catalog.Scope) *expr.Env{}
	for _, st := range cat.Stacks {
		segs := map[string]int{}
		for i, s := range st.Segments {
			segs[s.Name] = i
		}
		journeys := map[string]int{}
		for _, j := range st.Journeys {
			journeys[j.Name] = j.Index
		}
		envs[st.Name] = func(sc catalog.Scope) *expr.Env {
			env := &expr.Env{Customer: c.customer, Events: c.events, Event: sc.Event, Context: sc.Context, Priority: sc.Priority, Functions: fns}
			if sc.Segments {
				env.Segments = segs
			}
			if sc.Journeys {
				env.Journeys = journeys
			}
			return env
		}
	}
	for _, e := range cat.Expressions {
		if e.Scope.Template {
			continue // message templates are compiled by decide
		}
		p, err := expr.Compile(e.Source, envs[e.Stack](e.Scope))
		if err != nil {
			ps = append(ps, catalog.Problem{Address: e.Address, Message: fmt.Sprintf("%s: %v", e.Attr, err)})
			continue
		}
		if msg := wrongKind(p.Kind(), e.Scope.Want); msg != "" {
			ps = append(ps, catalog.Problem{Address: e.Address, Message: fmt.Sprintf("%s must be %s, but this expression is %s", e.Attr, msg, p.Kind())})
			continue
		}
		programs[e.Stack+"/"+e.Address+" "+e.Attr] = &program{p: p, name: e.Stack + "/" + e.Address + " " + e.Attr}
	}
	reads := kpiReads(cat)
	for i, st := range cat.Stacks {
		cs := &cstack{st: st, index: i}
		crit := func(cr catalog.Criterion) ccrit {
			p := programs[st.Name+"/"+cr.Address+" "+cr.Attr+".condition"]
			if p != nil {
				r := p.p.Refs()
				cs.needSegments = cs.needSegments || len(r.Segments) > 0
				cs.needStages = cs.needStages || len(r.Journeys) > 0
			}
			return ccrit{event: cr.Event, cond: p}
		}
		for _, j := range st.Journeys {
			if j.State == catalog.StatePaused {
				if c.paused[st.Name] == nil {
					c.paused[st.Name] = map[string]bool{}
				}
				c.paused[st.Name][j.Name] = true
			}
			cj := &cjourney{j: j, index: c.njourneys, entry: crit(j.Entry), reads: reads[st.Name+"/"+j.Name]}
			c.njourneys++
			if c.journeys[st.Name] == nil {
				c.journeys[st.Name] = map[string]*cjourney{}
			}
			c.journeys[st.Name][j.Name] = cj
			if j.Goal != nil {
				g := crit(*j.Goal)
				cj.goal = &g
			}
			for _, e := range j.Exits {
				cj.exits = append(cj.exits, crit(e))
			}
			for _, s := range j.Stages {
				if s.Entry == nil {
					cj.stages = append(cj.stages, nil)
					continue
				}
				e := crit(*s.Entry)
				cj.stages = append(cj.stages, &e)
			}
			cs.journeys = append(cs.journeys, cj)
		}
		for i, cj := range cs.journeys {
			for typ, attrs := range cj.reads {
				if cs.reads == nil {
					cs.reads = map[string][]kpiRead{}
				}
				if cs.reads[typ] == nil {
					cs.reads[typ] = make([]kpiRead, len(cs.journeys))
				}
				cs.reads[typ][i] = kpiRead{true, attrs}
			}
		}
		for _, s := range st.Segments {
			cs.segments = append(cs.segments, programs[st.Name+"/segment."+s.Name+" condition"])
		}
		order, cycle := segmentOrder(cs)
		if cycle != "" {
			ps = append(ps, catalog.Problem{Address: "segment." + cycle, Message: "the segment's condition depends on itself through other segments"})
		}
		cs.order = order
		c.stacks = append(c.stacks, cs)
		c.byName[st.Name] = cs
	}
	if len(ps) == 0 {
		var dps catalog.Problems
		c.dec, dps = decide.Build(cat, decide.Input{
			Program: func(stack, address, attr string) *expr.Program {
				if p := programs[stack+"/"+address+" "+attr]; p != nil {
					return p.p
				}
				return nil
			},
			Env: func(stack string, sc catalog.Scope) *expr.Env { return envs[stack](sc) },
			Segments: func(stack string) ([]*expr.Program, []int) {
				cs := c.byName[stack]
				out := make([]*expr.Program, len(cs.segments))
				for i, p := range cs.segments {
					if p != nil {
						out[i] = p.p
					}
				}
				return out, cs.order
			},
			Layout: c.customer,
		})
		ps = append(ps, dps...)
	}
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Address < ps[j].Address })
		return nil, ps
	}
	c.unless = map[string][]*decide.Action{}
	for _, a := range c.dec.Actions() {
		if a.Trigger != nil {
			for _, ev := range a.Trigger.Unless {
				c.unless[ev] = append(c.unless[ev], a)
			}
		}
	}
	return c, nil
}

func wrongKind(k expr.Kind, want catalog.Want) string {
	switch {
	case k == expr.KindDynamic || want == catalog.WantAny:
		return ""
	case want == catalog.WantBool && k != expr.KindBool:
		return "a bool"
	case want == catalog.WantNumber && k != expr.KindNumber:
		return "a number"
	}
	return ""
}

// segmentOrder orders segments so that each comes after those it reads; it
// names a segment on a cycle if there is one.
func segmentOrder(cs *cstack) ([]int, string) {
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(cs.segments))
	var order []int
	var cycle string
	var visit func(i int)
	visit = func(i int) {
		switch state[i] {
		case done:
			return
		case visiting:
			if cycle == "" {
				cycle = cs.st.Segments[i].Name
			}
			return
		}
		state[i] = visiting
		if p := cs.segments[i]; p != nil {
			for _, d := range p.p.Refs().Segments {
				if d < len(cs.segments) {
					visit(d)
				}
			}
		}
		state[i] = done
		order = append(order, i)
	}
	for i := range cs.segments {
		visit(i)
	}
	return order, cycle
}

// kpiReads returns, by stack/journey, the event types that the journey's
// KPIs read and the attributes they read of each.
func kpiReads(cat *catalog.Catalog) map[string]map[string][]string {
	js, err := analytics.FromCatalog(cat)
	if err != nil {
		return nil // the deployment was validated; analytics reports it
	}
	out := map[string]map[string][]string{}
	for _, j := range js {
		for _, k := range j.KPIs {
			if k.Event == "" {
				continue
			}
			m := out[j.Stack+"/"+j.Name]
			if m == nil {
				m = map[string][]string{}
				out[j.Stack+"/"+j.Name] = m
			}
			attrs := m[k.Event]
			if k.Attribute != "" && !slices.Contains(attrs, k.Attribute) {
				attrs = append(attrs, k.Attribute)
			}
			m[k.Event] = attrs
		}
	}
	return out
}
