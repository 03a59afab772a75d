package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/lang/rtexpr"
)

// scope holds what expressions and references are resolved against: the
// config-time values and the declarations read so far.
type scope struct {
	eval         *hcl.EvalContext
	rcfg         *rtexpr.Config
	runtimeFuncs map[string]function.Function
	vars, locals map[string]cty.Value
	// localDecl names every declared local, evaluated or not.
	localDecl map[string]bool

	customer map[string]rtexpr.Attr
	events   map[string]*eventDecl
	// segmentNames and journeyNames are built once, when every segment and
	// journey has been declared, and shared by every runtime scope.
	segmentNames, journeyNames map[string]bool
	segments                   map[string]hcl.Range
	journeys                   map[string]*journeyDecl
	channels                   map[string]*channelDecl
}

type eventDecl struct {
	Name  string
	Attrs map[string]rtexpr.Attr
	Range hcl.Range
}

type journeyDecl struct {
	Name    string
	Stages  []string
	stageAt map[string]int
	Range   hcl.Range
	block   *hcl.Block
	inst    instance
}

type channelDecl struct {
	Name   string
	Schema *provschema.Schema // nil when the provider could not be read
	Range  hcl.Range
}

// sealNames builds the name sets runtime scopes share; decode calls it once
// every segment and journey is declared.
func (s *scope) sealNames() {
	s.segmentNames = make(map[string]bool, len(s.segments))
	for n := range s.segments {
		s.segmentNames[n] = true
	}
	s.journeyNames = make(map[string]bool, len(s.journeys))
	for n := range s.journeys {
		s.journeyNames[n] = true
	}
}

func (s *scope) setVars(v map[string]cty.Value) {
	s.vars = v
	s.eval.Variables["var"] = cty.ObjectVal(v)
}

func (s *scope) setLocals(v map[string]cty.Value) {
	s.locals = v
	s.eval.Variables["local"] = cty.ObjectVal(v)
}

// scopeOpts says which runtime scopes an attribute may use beside customer.
type scopeOpts struct {
	event     string // the event type in hand, or ""
	context   bool
	segments  bool
	journeys  bool
	priority  bool
	sensitive bool // may use sensitive customer attributes (recipient fields)
}

func (s *scope) rtScope(what string, o scopeOpts) *rtexpr.Scope {
	sc := &rtexpr.Scope{
		What:           what,
		Customer:       s.customer,
		Context:        o.context,
		Priority:       o.priority,
		AllowSensitive: o.sensitive,
		Functions:      s.runtimeFuncs,
	}
	if o.event != "" {
		if ev, ok := s.events[o.event]; ok {
			sc.Event = &rtexpr.Event{Type: ev.Name, Attributes: ev.Attrs}
		}
	}
	if o.segments {
		sc.Segments = s.segmentNames
	}
	if o.journeys {
		sc.Journeys = s.journeyNames
	}
	return sc
}

// runtimeExpr checks a runtime expression; nil when it is wrong (reported).
func (l *loader) runtimeExpr(expr hcl.Expression, sc *rtexpr.Scope, want cty.Type) *rtexpr.Result {
	r, diags := rtexpr.Expression(expr, sc, l.s.rcfg, want)
	l.addAll(diags)
	if diags.HasErrors() || r == nil {
		return nil
	}
	return r
}

// template checks a message template; nil when it is wrong (reported).
func (l *loader) template(expr hcl.Expression, sc *rtexpr.Scope) *rtexpr.Result {
	r, diags := rtexpr.Template(expr, sc, l.s.rcfg)
	l.addAll(diags)
	if diags.HasErrors() || r == nil {
		return nil
	}
	return r
}

func (l *loader) journeyStage(j *journeyDecl, r ref) (int, bool) {
	i, ok := j.stageAt[r.Name]
	if !ok {
		l.undeclared(r, fmt.Sprintf(" in journey %q", j.Name), j.Stages)
	}
	return i, ok
}
