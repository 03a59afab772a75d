package decide

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/models"
)

// Defaults of the arbitration when no stack declares one, or leaves a
// figure unset.
const (
	DefaultMaxActions  = 3
	DefaultMaxOutbound = 1
)

// Catalog is the decisioning view of every stack's deployment.
type Catalog struct {
	// Stacks in the catalog's order (by name); Stack.Index is the place.
	Stacks   []*Stack
	Channels map[string]*Channel
	Arb      Arbitration
	// TimezoneSlot is the customer layout's slot of a string attribute
	// "timezone", 0 when none is declared.
	TimezoneSlot int
	// sensitive are the customer attributes a stack declares sensitive:
	// never predictors, so that their values are not bins in a report.
	sensitive map[string]bool
	// arbModel is the arbitration's model block, nil for none.
	arbModel *deploy.Model
	// feat names the predictors of Features, once.
	feat featureNames
	// Layout is the customer layout expressions read.
	Layout *expr.Layout
	// MaxWindow is the longest limit window: contacts older than it no
	// longer count.
	MaxWindow time.Duration
	actions   map[string]*Action
	zones     *zones
}

// Stack is one stack's decisioning objects.
type Stack struct {
	Name   string
	Serial int64
	Index  int
	// Segments by index, and the order to evaluate them in.
	Segments []*expr.Program
	Order    []int
	Journeys []*Journey
	// needSegments is set when an expression the pipeline evaluates with
	// this stack's activation reads a segment.
	needSegments bool
}

// Journey is a journey's actions by channel.
type Journey struct {
	Name   string
	Index  int
	Stages []string
	Paused bool
	// Actions are sorted by name.
	Actions   []*Action
	byChannel map[string][]*Action
}

// Channel is a runtime-wide channel.
type Channel struct {
	Name     string
	Provider string
	Source   string
	Delivers bool
	// Config holds the provider's config-time attributes; sensitive ones
	// too, decrypted in memory only.
	Config map[string]json.RawMessage
	// Consent and PerDelivery are compiled per stack (by Stack.Index) that
	// declares the channel; nil where it does not, or has none.
	Consent     []*expr.Program
	PerDelivery []map[string]*expr.Program
	Limit       *Limit
	Quiet       *Quiet
}

// Limit is a contact cap: Max contacts per rolling Per.
type Limit struct {
	Max int
	Per time.Duration
}

// Quiet are a channel's quiet hours, in minutes after local midnight.
type Quiet struct {
	Start, End int
	// Zone is the block's time zone, for customers without their own.
	Zone *time.Location
	// Drop drops sends instead of deferring them.
	Drop bool
}

// Suppress stops offering an action for For after AfterIgnores ignored
// contacts in a row.
type Suppress struct {
	AfterIgnores int
	For          time.Duration
}

// Trigger says when an outbound action falls due: After its customer
// entered the first of its stages, unless an Unless event came first.
type Trigger struct {
	After  time.Duration
	Unless []string
}

// Action is an action of a journey.
type Action struct {
	// Ref is the action's name outside its stack: <stack>/<address>.
	Ref     string
	Address string
	Name    string
	Stack   *Stack
	Journey *Journey
	// Object is the action's place in its stack's deployment document.
	Object  int
	Channel *Channel
	// stages holds, by stage index of the journey, whether the action is
	// offered there.
	stages []bool
	// Trigger is set for outbound actions (on a channel that delivers):
	// without a trigger block, After is 0.
	Trigger  *Trigger
	Eligible *expr.Program
	Value    *expr.Program
	// value is Value's result when it is a constant; valueConst says so.
	value      float64
	valueConst bool
	Lever      float64
	Limit      *Limit
	Suppress   *Suppress
	// Transactional exempts the action from the marketing policies: the
	// channel's and the arbitration's limits (its contacts do not count
	// toward them either), quiet hours and the channel's consent; it is
	// chosen ahead of marketing actions, outside max_outbound.
	Transactional bool
	// Message holds the compiled templates by field; Fields sorts them.
	Message map[string]*expr.Template
	Fields  []string
	// CustomerAttrs are the non-sensitive customer attributes the message
	// reads, which a delivery carries.
	CustomerAttrs []string
	// ModelKey names the action's model; Model is bound by Bind, and
	// features says whether it reads Features.
	ModelKey string
	Model    models.Model
	features bool
	modelSet *deploy.Model // the action's model block, nil for none
	// Experiment is the action's A/B test, nil for none.
	Experiment *Experiment
	// Treatment names the treatment this is, "" for an action without
	// treatments. An action with treatments holds them in Treatments:
	// each is an Action of its own (channel, message, value and model)
	// with the action's Ref, stages, trigger, limit and suppress, and is
	// the candidate in its stead; Base is the action a treatment belongs
	// to.
	Treatment  string
	Treatments []*Action
	Base       *Action
}

// TreatmentNamed returns the action's treatment of that name, or nil.
func (a *Action) TreatmentNamed(name string) *Action {
	for _, t := range a.Treatments {
		if t.Treatment == name {
			return t
		}
	}
	return nil
}

// Variants returns what stands as the action's candidates: its treatments,
// or the action itself when it has none.
func (a *Action) Variants() []*Action {
	if len(a.Treatments) > 0 {
		return a.Treatments
	}
	return []*Action{a}
}

// InStage reports whether the action is offered at the journey's stage i.
func (a *Action) InStage(i int) bool { return i >= 0 && i < len(a.stages) && a.stages[i] }

// Arbitration ranks every stack's actions.
type Arbitration struct {
	// Priority is nil for the default, propensity * value * lever.
	Priority *expr.Program
	// Stack is the index of the stack whose scope Priority reads.
	Stack        int
	MaxActions   int
	MaxOutbound  int
	ControlGroup float64
	// Holdout is the share of customers in the global holdout.
	Holdout float64
	Limit   *Limit
}

// Action returns the action of a ref, or nil.
func (c *Catalog) Action(ref string) *Action { return c.actions[ref] }

// Actions returns every action, sorted by ref.
func (c *Catalog) Actions() []*Action {
	out := make([]*Action, 0, len(c.actions))
	for _, a := range c.actions {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// Action returns the journey's action of that name, or nil; nil for a nil
// journey too.
func (j *Journey) Action(name string) *Action {
	if j == nil {
		return nil
	}
	i := sort.Search(len(j.Actions), func(i int) bool { return j.Actions[i].Name >= name })
	if i < len(j.Actions) && j.Actions[i].Name == name {
		return j.Actions[i]
	}
	return nil
}

// ChannelActions returns the actions of one journey on one channel,
// sorted by name.
func (j *Journey) ChannelActions(channel string) []*Action { return j.byChannel[channel] }

// Input is what Build needs of the compiled deployment.
type Input struct {
	// Program returns the compiled runtime expression at a stack's address
	// and attribute, nil where there is none.
	Program func(stack, address, attr string) *expr.Program
	// Env returns the environment of a stack's expressions of scope sc.
	Env func(stack string, sc catalog.Scope) *expr.Env
	// Segments returns a stack's compiled segments and their order.
	Segments func(stack string) ([]*expr.Program, []int)
	// Layout is the customer layout.
	Layout *expr.Layout
}

// ModelKey is the key of the model of an action on a channel.
func ModelKey(ref, channel string) string { return ref + "@" + channel }

// TreatmentModelKey is the key of the model of an action's treatment: the
// action's ref and the treatment's name, <ref>#<treatment>.
func TreatmentModelKey(ref, treatment string) string { return ref + "#" + treatment }

// Build compiles the decisioning objects of cat: it reports message
// templates that do not compile with their action's address.
func Build(cat *catalog.Catalog, in Input) (*Catalog, catalog.Problems) {
	c := &Catalog{Channels: map[string]*Channel{}, actions: map[string]*Action{}, Layout: in.Layout, zones: &zones{}}
	c.Arb = Arbitration{MaxActions: DefaultMaxActions, MaxOutbound: DefaultMaxOutbound}
	var ps catalog.Problems
	if a, ok := cat.Customer["timezone"]; ok && a.Type == "string" && in.Layout != nil {
		c.TimezoneSlot, _ = in.Layout.Slot("timezone")
	}
	for name, ch := range cat.Channels {
		cc := &Channel{Name: name, Provider: ch.Provider, Source: ch.Source, Delivers: ch.Delivers, Config: ch.Config,
			Consent: make([]*expr.Program, len(cat.Stacks)), PerDelivery: make([]map[string]*expr.Program, len(cat.Stacks))}
		cc.Limit = limit(ch.Limit)
		c.window(cc.Limit)
		if q := ch.QuietHours; q != nil {
			loc, err := time.LoadLocation(q.Timezone)
			if err != nil {
				loc = time.UTC
			}
			cc.Quiet = &Quiet{Start: clock(q.Start), End: clock(q.End), Zone: loc, Drop: q.OnQuiet == "drop"}
		}
		c.Channels[name] = cc
	}
	for i, st := range cat.Stacks {
		s := &Stack{Name: st.Name, Serial: st.Serial, Index: i}
		s.Segments, s.Order = in.Segments(st.Name)
		c.Stacks = append(c.Stacks, s)
		for k := range st.Doc.Objects {
			if ca := st.Doc.Objects[k].CustomerAttribute; ca != nil && ca.Sensitive {
				if c.sensitive == nil {
					c.sensitive = map[string]bool{}
				}
				c.sensitive[ca.Name] = true
			}
		}
		index := map[string]int{}
		for k := range st.Doc.Objects {
			index[st.Doc.Objects[k].Address] = k
		}
		for name, ch := range c.Channels {
			addr := "channel." + name
			if _, ok := index[addr]; !ok {
				continue
			}
			ch.Consent[i] = in.Program(st.Name, addr, "consent")
			s.reads(ch.Consent[i])
			if decl := st.Doc.Object(addr).Channel; len(decl.PerDelivery) > 0 {
				ch.PerDelivery[i] = map[string]*expr.Program{}
				for k := range decl.PerDelivery {
					ch.PerDelivery[i][k] = in.Program(st.Name, addr, k)
				}
			}
		}
		if o := st.Doc.Object("arbitration"); o != nil && o.Arbitration != nil {
			ar := o.Arbitration
			c.Arb = Arbitration{Stack: i, MaxActions: ar.MaxActions, MaxOutbound: ar.MaxOutbound, ControlGroup: ar.ControlGroup, Holdout: ar.Holdout, Limit: limit(ar.Limit)}
			c.arbModel = ar.Model
			if c.Arb.MaxActions <= 0 {
				c.Arb.MaxActions = DefaultMaxActions
			}
			if c.Arb.MaxOutbound <= 0 {
				c.Arb.MaxOutbound = DefaultMaxOutbound
			}
			c.window(c.Arb.Limit)
			if src := strings.TrimSpace(ar.Priority); src != "" && src != deploy.DefaultPriority {
				c.Arb.Priority = in.Program(st.Name, "arbitration", "priority")
				s.reads(c.Arb.Priority)
			}
		}
		for _, j := range st.Journeys {
			s.Journeys = append(s.Journeys, &Journey{Name: j.Name, Index: j.Index, Paused: j.State == catalog.StatePaused,
				byChannel: map[string][]*Action{}})
			for _, stg := range j.Stages {
				s.Journeys[j.Index].Stages = append(s.Journeys[j.Index].Stages, stg.Name)
			}
		}
		for k := range st.Doc.Objects {
			o := &st.Doc.Objects[k]
			if o.Kind != deploy.KindAction || o.Action == nil {
				continue
			}
			a, aps := c.action(s, st, o, k, in)
			ps = append(ps, aps...)
			if a != nil {
				c.actions[a.Ref] = a
			}
		}
		for _, j := range s.Journeys {
			for _, as := range j.byChannel {
				sort.Slice(as, func(x, y int) bool { return as[x].Name < as[y].Name })
			}
			sort.Slice(j.Actions, func(x, y int) bool { return j.Actions[x].Name < j.Actions[y].Name })
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// reads notes that the stack's activation must hold segments for p.
func (s *Stack) reads(p *expr.Program) {
	if p != nil && len(p.Refs().Segments) > 0 {
		s.needSegments = true
	}
}

func (c *Catalog) window(l *Limit) {
	if l != nil && l.Per > c.MaxWindow {
		c.MaxWindow = l.Per
	}
}

func limit(l *deploy.Limit) *Limit {
	if l == nil {
		return nil
	}
	per, _ := funcs.ParseDuration(l.Per)
	return &Limit{Max: l.Max, Per: per}
}

// alertAction reports whether a KPI alert of ac's journey names ac as its
// action: without a trigger block, such an action falls due only when the
// alert fires, not on entering its stages.
func alertAction(doc *deploy.Document, ac *deploy.Action) bool {
	for i := range doc.Objects {
		if k := doc.Objects[i].KPI; k != nil && k.Journey == ac.Journey && k.Alert != nil && k.Alert.Action == ac.Name {
			return true
		}
	}
	return false
}

func duration(s string) time.Duration {
	d, _ := funcs.ParseDuration(s)
	return d
}

// clock reads "21:00" as minutes after midnight.
func clock(s string) int {
	var h, m int
	fmt.Sscanf(s, "%d:%d", &h, &m)
	return h*60 + m
}

func (c *Catalog) action(s *Stack, st *catalog.Stack, o *deploy.Object, index int, in Input) (*Action, catalog.Problems) {
	ac := o.Action
	j := st.Journey(ac.Journey)
	chName := ac.Channel
	if len(ac.Treatments) > 0 {
		chName = ac.Treatments[0].Channel
	}
	ch := c.Channels[chName]
	if j == nil || ch == nil {
		return nil, nil // the catalog refused the deployment already
	}
	cj := s.Journeys[j.Index]
	a := &Action{Ref: st.Name + "/" + o.Address, Address: o.Address, Name: ac.Name, Stack: s, Journey: cj, Object: index,
		Channel: ch, stages: make([]bool, len(j.Stages)), Lever: ac.Lever, Limit: limit(ac.Limit), Transactional: ac.Transactional,
		Eligible: in.Program(st.Name, o.Address, "eligible"), Value: in.Program(st.Name, o.Address, "value")}
	a.ModelKey = ModelKey(a.Ref, ch.Name)
	a.modelSet = ac.Model
	s.reads(a.Eligible)
	s.reads(a.Value)
	c.window(a.Limit)
	for _, sn := range ac.Stages {
		if i := j.Stage(sn); i >= 0 {
			a.stages[i] = true
		}
	}
	a.constValue()
	if sp := ac.Suppress; sp != nil {
		a.Suppress = &Suppress{AfterIgnores: sp.AfterIgnores, For: duration(sp.For)}
	}
	if ch.Delivers && (ac.Trigger != nil || !alertAction(st.Doc, ac)) {
		a.Trigger = &Trigger{}
		if t := ac.Trigger; t != nil {
			a.Trigger.After = duration(t.After)
			a.Trigger.Unless = append([]string(nil), t.Unless...)
		}
	}
	if len(ac.Treatments) > 0 {
		ps := c.treatments(a, st, o, in)
		cj.Actions = append(cj.Actions, a)
		for _, t := range a.Treatments {
			cj.byChannel[t.Channel.Name] = append(cj.byChannel[t.Channel.Name], t)
		}
		return a, ps
	}
	ps := a.compileMessage(st, o.Address, "message.", ac.Message, in)
	if ac.Experiment != nil {
		var eps catalog.Problems
		a.Experiment, eps = c.experiment(a, st, ac.Experiment, in)
		ps = append(ps, eps...)
	}
	cj.Actions = append(cj.Actions, a)
	cj.byChannel[ch.Name] = append(cj.byChannel[ch.Name], a)
	return a, ps
}

// constValue notes the action's value when it reads nothing of the
// customer or the request.
func (a *Action) constValue() {
	a.value, a.valueConst = 0, false
	if a.Value != nil && len(a.Value.Refs().Customer) == 0 && len(a.Value.Refs().Context) == 0 && !a.Value.Refs().AllContext &&
		len(a.Value.Refs().Segments) == 0 && len(a.Value.Refs().Journeys) == 0 {
		if v, null := a.Value.EvalNumber(&expr.Activation{}); !null {
			a.value, a.valueConst = v, true
		}
	}
}

// compileMessage compiles the message templates of an action (or of a
// treatment, at prefix treatments.<i>.message.), and notes the customer
// attributes they read.
func (a *Action) compileMessage(st *catalog.Stack, address, prefix string, msg map[string]string, in Input) catalog.Problems {
	a.Message, a.Fields, a.CustomerAttrs = nil, nil, nil
	if len(msg) == 0 {
		return nil
	}
	var ps catalog.Problems
	env := in.Env(st.Name, catalog.Scope{Context: true, Journeys: true})
	a.Message = map[string]*expr.Template{}
	attrs := map[string]bool{}
	names := in.Layout.Names()
	for field, src := range msg {
		t, err := expr.CompileTemplate(src, env)
		if err != nil {
			ps = append(ps, catalog.Problem{Address: address, Message: fmt.Sprintf("%s%s: %v", prefix, field, err)})
			continue
		}
		a.Message[field] = t
		a.Fields = append(a.Fields, field)
		for _, slot := range t.Refs().Customer {
			attrs[names[slot]] = true
		}
	}
	sort.Strings(a.Fields)
	for name := range attrs {
		if name == expr.IDAttribute {
			continue
		}
		if ca := cattr(st, name); ca == nil || !ca.Sensitive {
			a.CustomerAttrs = append(a.CustomerAttrs, name)
		}
	}
	sort.Strings(a.CustomerAttrs)
	return ps
}

// treatments makes the treatments of action a: each a copy of a on its
// own channel, with its own message, model and, when set, value. The
// action falls due (has a Trigger) when one of its treatments delivers;
// only those treatments have a Trigger of their own.
func (c *Catalog) treatments(a *Action, st *catalog.Stack, o *deploy.Object, in Input) catalog.Problems {
	ac := o.Action
	var ps catalog.Problems
	a.Trigger, a.ModelKey = nil, ""
	for i, td := range ac.Treatments {
		ch := c.Channels[td.Channel]
		if ch == nil {
			continue // the catalog refused the deployment already
		}
		t := *a
		t.Treatments, t.Base, t.Treatment, t.Channel = nil, a, td.Name, ch
		t.ModelKey = TreatmentModelKey(a.Ref, td.Name)
		if td.Model != nil {
			t.modelSet = td.Model
		}
		prefix := fmt.Sprintf("treatments.%d.", i)
		if td.Value != "" {
			t.Value = in.Program(st.Name, o.Address, prefix+"value")
			a.Stack.reads(t.Value)
			t.constValue()
		}
		t.Trigger = nil
		if ch.Delivers && (ac.Trigger != nil || !alertAction(st.Doc, ac)) {
			t.Trigger = &Trigger{}
			if tr := ac.Trigger; tr != nil {
				t.Trigger.After = duration(tr.After)
				t.Trigger.Unless = append([]string(nil), tr.Unless...)
			}
			if a.Trigger == nil {
				a.Trigger = t.Trigger
			}
		}
		ps = append(ps, t.compileMessage(st, o.Address, prefix+"message.", td.Message, in)...)
		a.Treatments = append(a.Treatments, &t)
	}
	return ps
}

func cattr(st *catalog.Stack, name string) *deploy.CustomerAttribute {
	if o := st.Doc.Object("customer.attribute." + name); o != nil {
		return o.CustomerAttribute
	}
	return nil
}

// Bind gives every action its model from r, making models at the prior
// for actions that have none yet.
func (c *Catalog) Bind(r *models.Registry) {
	for _, b := range c.actions {
		for _, a := range b.Variants() {
			set := a.modelSet
			if set == nil {
				set = c.arbModel
			}
			r.Configure(a.ModelKey, ModelSettings(set))
			a.Model = r.Get(a.ModelKey)
			a.features = a.Model.UsesFeatures()
		}
	}
}

// ModelSettings are the models' settings of a model block; the defaults
// for nil.
func ModelSettings(m *deploy.Model) models.Settings {
	if m == nil {
		return models.Settings{}
	}
	s := models.Settings{HalfLifeResponses: m.HalfLifeResponses, Predictors: m.Predictors}
	if m.NoPredictors {
		s.Predictors = []string{}
	}
	if m.HalfLife != "" {
		s.HalfLife, _ = funcs.ParseDuration(m.HalfLife)
	}
	return s
}

// maxZones bounds the zone cache: profiles are input, and a name past it
// is looked up each time instead.
const maxZones = 4096

// zones caches time zones by name; nil for a name that is not one.
type zones struct {
	m sync.Map
	n atomic.Int64
}

func (z *zones) get(name string) *time.Location {
	if v, ok := z.m.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		loc = nil
	}
	if z.n.Add(1) <= maxZones {
		z.m.Store(name, loc)
	}
	return loc
}
