package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/runtime/events"
)

// Problem is one reason a deployment is refused.
type Problem struct {
	// Address is the object at fault, empty for the document itself.
	Address string `json:"address,omitempty"`
	Message string `json:"message"`
}

// Problems are every reason a deployment is refused.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Address != "" {
			b.WriteString(p.Address + ": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Catalog is what every stack has deployed.
type Catalog struct {
	// Stacks sorted by name.
	Stacks []*Stack
	// Customer holds the customer attributes by name.
	Customer map[string]*deploy.CustomerAttribute
	// Events holds the event types by name.
	Events map[string]*deploy.Event
	// Channels holds the channels by name.
	Channels map[string]*deploy.Channel
	// Schema is what events are checked against.
	Schema *events.Schema
	// Expressions are every runtime expression deployed.
	Expressions []Expression
	// AlertActions reports that a KPI alert triggers an action.
	AlertActions bool
}

// Stack is one stack's active deployment.
type Stack struct {
	Name   string
	Serial int64
	Doc    *deploy.Document
	// Journeys sorted by name.
	Journeys []*Journey
	// Segments sorted by name.
	Segments []*deploy.Segment
	// Moves are the deployment's moved blocks of journeys, stages and
	// actions.
	Moves []Move
}

// Move is a moved block of a journey (Journey set), of an action (Action
// set, with FromAction and ToAction) or of a stage.
type Move struct {
	Journey, Action        bool
	FromJourney, ToJourney string
	FromStage, ToStage     string
	FromAction, ToAction   string
}

// Journey returns the stack's journey of that name, or nil.
func (s *Stack) Journey(name string) *Journey {
	i := sort.Search(len(s.Journeys), func(i int) bool { return s.Journeys[i].Name >= name })
	if i < len(s.Journeys) && s.Journeys[i].Name == name {
		return s.Journeys[i]
	}
	return nil
}

// Journey states.
const (
	StateActive   = "active"
	StatePaused   = "paused"
	StateDraining = "draining"
)

// Journey is a journey with its stages.
type Journey struct {
	Stack string
	Name  string
	// Index is the journey's place in its stack's Journeys.
	Index        int
	State        string
	Reentry      string // never, after_leaving
	ReentryAfter time.Duration
	Entry        Criterion
	Goal         *Criterion
	// Within is goal.within, 0 for none.
	Within time.Duration
	Exits  []Criterion
	// Stages in the order declared.
	Stages []*Stage
}

// Stage returns the index of the named stage, or -1.
func (j *Journey) Stage(name string) int {
	for i, s := range j.Stages {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// Criterion is an entry, goal, exit or stage entry: an event type (empty
// for any event or trait update) and a condition (empty for true).
type Criterion struct {
	Event     string
	Condition string
	// Address and Attr name where the condition is, for messages.
	Address string
	Attr    string
}

// Stage is a stage of a journey.
type Stage struct {
	Name    string
	Index   int
	Entry   *Criterion
	Timeout time.Duration
	// TimeoutTo is the index of the stage a timeout moves to, -1 to leave.
	TimeoutTo int
}

// Deployed is one stack's deployment as input to Build.
type Deployed struct {
	Serial int64
	Doc    *deploy.Document
}

// Build validates the stacks' deployments together and returns the
// catalog, or every problem found. Problems of a stack other than focus
// (the one being deployed) are reported too: they can only come from a
// conflict with it.
func Build(stacks map[string]Deployed, focus string) (*Catalog, Problems) {
	return BuildWith(stacks, focus, nil)
}

// BuildWith is Build that also checks channels and messages against their
// providers' schemas, by source: the attributes each takes, and which
// per-delivery attributes may carry a sensitive value (its recipients).
// A channel whose provider has no schema here is checked without it: any
// of its per-delivery attributes may then carry a sensitive value.
func BuildWith(stacks map[string]Deployed, focus string, schemas map[string]*provschema.Schema) (*Catalog, Problems) {
	c := &Catalog{
		Customer: map[string]*deploy.CustomerAttribute{},
		Events:   map[string]*deploy.Event{},
		Channels: map[string]*deploy.Channel{},
	}
	var ps Problems
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	// The stack being deployed is checked after the others, so that a
	// conflict is reported on its objects.
	sort.SliceStable(names, func(i, j int) bool { return names[j] == focus && names[i] != focus })
	owners := map[string]string{} // runtime-wide address -> first stack declaring it
	bodies := map[string][]byte{}
	for _, n := range names {
		d := stacks[n]
		st, exprs, sps := buildStack(n, d, schemas)
		ps = append(ps, sps...)
		c.Expressions = append(c.Expressions, exprs...)
		for i := range d.Doc.Objects {
			o := &d.Doc.Objects[i]
			if k := o.KPI; k != nil && k.Alert != nil && k.Alert.Action != "" {
				c.AlertActions = true
			}
			switch o.Kind {
			case deploy.KindCustomerAttribute, deploy.KindEvent, deploy.KindChannel:
			default:
				continue
			}
			body, _ := json.Marshal(o.Body())
			if prev, ok := owners[o.Address]; ok {
				if !bytes.Equal(bodies[o.Address], body) {
					ps = append(ps, Problem{o.Address, fmt.Sprintf("stack %q declares %s differently from stack %q; customer attributes, event types and channels are shared by every stack, so their declarations must be identical (%s)", n, o.Address, prev, diffFields(bodies[o.Address], body))})
				}
				continue
			}
			owners[o.Address], bodies[o.Address] = n, body
			switch o.Kind {
			case deploy.KindCustomerAttribute:
				c.Customer[o.CustomerAttribute.Name] = o.CustomerAttribute
			case deploy.KindEvent:
				c.Events[o.Event.Name] = o.Event
			case deploy.KindChannel:
				c.Channels[o.Channel.Name] = o.Channel
			}
		}
		c.Stacks = append(c.Stacks, st)
	}
	sort.Slice(c.Stacks, func(i, j int) bool { return c.Stacks[i].Name < c.Stacks[j].Name })
	schema, sps := buildSchema(c)
	ps = append(ps, sps...)
	c.Schema = schema
	ps = append(ps, arbitrations(stacks, names)...)
	if len(ps) == 0 {
		ps = append(ps, checkExpressions(c)...)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// diffFields names the top-level fields in which two JSON objects differ.
func diffFields(a, b []byte) string {
	var ma, mb map[string]json.RawMessage
	json.Unmarshal(a, &ma)
	json.Unmarshal(b, &mb)
	var diff []string
	for k, v := range ma {
		if !bytes.Equal(v, mb[k]) {
			diff = append(diff, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return "they differ in " + strings.Join(diff, ", ")
}

func arbitrations(stacks map[string]Deployed, names []string) Problems {
	var with []string
	for _, n := range names {
		if stacks[n].Doc.Object("arbitration") != nil {
			with = append(with, n)
		}
	}
	if len(with) < 2 {
		return nil
	}
	return Problems{{"arbitration", fmt.Sprintf("stacks %q and %q both declare arbitration; at most one stack may, since it ranks every stack's actions", with[0], with[1])}}
}

// buildSchema derives the event schema from the union of declarations.
func buildSchema(c *Catalog) (*events.Schema, Problems) {
	var ps Problems
	s := &events.Schema{Types: map[string]*events.Type{}, Aliases: map[string]string{}, Customer: map[string]events.Attr{}}
	for name, a := range c.Customer {
		k, _ := events.ParseKind(a.Type)
		def, _ := defaultValue(a.Default, k)
		s.Customer[name] = events.Attr{Kind: k, Required: a.Required, Sensitive: a.Sensitive, Default: def}
	}
	typeNames := make([]string, 0, len(c.Events))
	for n := range c.Events {
		typeNames = append(typeNames, n)
	}
	sort.Strings(typeNames)
	for _, n := range typeNames {
		ev := c.Events[n]
		t := &events.Type{Name: n, Attributes: map[string]events.Attr{}}
		for _, a := range ev.Attributes {
			k, _ := events.ParseKind(a.Type)
			def, _ := defaultValue(a.Default, k)
			t.Attributes[a.Name] = events.Attr{Kind: k, Required: a.Required, Sensitive: a.Sensitive, Default: def}
		}
		s.Types[n] = t
	}
	for _, n := range typeNames {
		for _, al := range c.Events[n].Aliases {
			if _, ok := s.Types[al]; ok && al != n {
				ps = append(ps, Problem{"event." + n, fmt.Sprintf("the alias %q is the name of event type %q", al, al)})
				continue
			}
			if other, ok := s.Aliases[al]; ok && other != n {
				ps = append(ps, Problem{"event." + n, fmt.Sprintf("the alias %q is also an alias of event type %q", al, other)})
				continue
			}
			if al != n {
				s.Aliases[al] = n
			}
		}
	}
	return s, ps
}

// defaultValue reads a declared default as a value of kind k.
func defaultValue(raw json.RawMessage, k events.Kind) (events.Value, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return events.Value{}, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return events.Value{}, err
	}
	ok := false
	var out events.Value
	switch k {
	case events.KindString:
		var s string
		s, ok = v.(string)
		out = events.Value{Kind: k, Str: s}
	case events.KindNumber:
		var f float64
		f, ok = v.(float64)
		out = events.Value{Kind: k, Num: f}
	case events.KindBool:
		var b bool
		b, ok = v.(bool)
		out = events.Value{Kind: k, Bool: b}
	case events.KindList:
		arr, isArr := v.([]any)
		ok = isArr
		l := []string{}
		for _, e := range arr {
			s, isStr := e.(string)
			ok = ok && isStr
			l = append(l, s)
		}
		out = events.Value{Kind: k, List: l}
	}
	if !ok {
		return events.Value{}, fmt.Errorf("the default is not a %s", k)
	}
	return out, nil
}
