package catalog

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/rtexpr"
)

func checkBody(o *deploy.Object) error {
	set := 0
	for _, p := range []bool{o.CustomerAttribute != nil, o.Event != nil, o.Channel != nil, o.Segment != nil,
		o.Journey != nil, o.Stage != nil, o.Action != nil, o.KPI != nil, o.Arbitration != nil} {
		if p {
			set++
		}
	}
	if set != 1 || o.Body() == nil {
		return fmt.Errorf("an object of kind %q must have exactly the %q body", o.Kind, o.Kind)
	}
	return nil
}

// Want is the type an expression must have.
type Want int

// The wanted types.
const (
	WantBool Want = iota
	WantNumber
	WantAny
)

// Scope is what a runtime expression may refer to besides customer.
type Scope struct {
	// Event is the event type in hand, "" for none.
	Event     string
	Context   bool
	Segments  bool
	Journeys  bool
	Priority  bool
	Sensitive bool
	Want      Want
	// Template is set for a message template, checked as one.
	Template bool
}

// Expression is one deployed runtime expression and where it is.
type Expression struct {
	Stack   string
	Address string
	Attr    string
	Source  string
	Scope   Scope
	// Sensitive is set when the source inlines a sensitive value: messages
	// about it must not quote it.
	Sensitive bool
}

// checkExpressions is the runtime's own static check of every deployed
// runtime expression, with the catalog's declarations and the scopes the
// language gives each place: the same check validate makes, so an
// expression the CLI should have refused is refused here too. The engine's
// compilation checks them once more.
func checkExpressions(c *Catalog) Problems {
	customer := map[string]rtexpr.Attr{}
	for n, a := range c.Customer {
		customer[n] = rtexpr.Attr{Type: ctyType(a.Type), Sensitive: a.Sensitive}
	}
	evs := map[string]*rtexpr.Event{}
	for n, ev := range c.Events {
		e := &rtexpr.Event{Type: n, Attributes: map[string]rtexpr.Attr{}}
		for _, a := range ev.Attributes {
			e.Attributes[a.Name] = rtexpr.Attr{Type: ctyType(a.Type), Sensitive: a.Sensitive}
		}
		evs[n] = e
	}
	segments, journeys := map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, st := range c.Stacks {
		segments[st.Name], journeys[st.Name] = map[string]bool{}, map[string]bool{}
		for _, s := range st.Segments {
			segments[st.Name][s.Name] = true
		}
		for _, j := range st.Journeys {
			journeys[st.Name][j.Name] = true
		}
	}
	fns := funcs.Runtime()
	var ps Problems
	for _, e := range c.Expressions {
		sc := &rtexpr.Scope{
			What:     fmt.Sprintf("%s of %s", e.Attr, e.Address),
			Customer: customer, Context: e.Scope.Context, Priority: e.Scope.Priority,
			AllowSensitive: e.Scope.Sensitive, Functions: fns,
		}
		if e.Scope.Event != "" {
			sc.Event = evs[e.Scope.Event]
		}
		if e.Scope.Segments {
			sc.Segments = segments[e.Stack]
		}
		if e.Scope.Journeys {
			sc.Journeys = journeys[e.Stack]
		}
		want := cty.Bool
		switch e.Scope.Want {
		case WantNumber:
			want = cty.Number
		case WantAny:
			want = cty.DynamicPseudoType
		}
		var diags hcl.Diagnostics
		if e.Scope.Template {
			diags = rtexpr.CheckTemplateSource(e.Source, e.Address, sc)
		} else {
			_, diags = rtexpr.CheckSource(e.Source, e.Address, sc, want)
		}
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			msg := fmt.Sprintf("%s: %s", e.Attr, d.Summary)
			if d.Detail != "" && !e.Sensitive {
				msg += ": " + strings.TrimSuffix(d.Detail, ".")
			}
			ps = append(ps, Problem{e.Address, msg})
		}
	}
	return ps
}

func ctyType(t string) cty.Type {
	switch t {
	case "string":
		return cty.String
	case "number":
		return cty.Number
	case "bool":
		return cty.Bool
	case "list(string)":
		return cty.List(cty.String)
	}
	return cty.DynamicPseudoType
}
