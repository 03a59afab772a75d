package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/runtime/events"
)

var (
	identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	clockRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// ValidStackName reports whether name can name a stack.
func ValidStackName(name string) bool { return identRe.MatchString(name) && len(name) <= 128 }

type checker struct {
	stack   string
	schemas map[string]*provschema.Schema
	doc     *deploy.Document
	ps      Problems
	exprs   []Expression
}

func (c *checker) add(addr, format string, args ...any) {
	c.ps = append(c.ps, Problem{addr, fmt.Sprintf(format, args...)})
}

func (c *checker) duration(addr, attr, s string, positive bool) time.Duration {
	if s == "" {
		return 0
	}
	d, err := funcs.ParseDuration(s)
	if err != nil {
		c.add(addr, "%s: %v", attr, err)
		return 0
	}
	if positive && d <= 0 {
		c.add(addr, "%s must be longer than zero", attr)
	}
	return d
}

func (c *checker) event(addr, attr, name string) {
	if name == "" {
		return
	}
	if o := c.doc.Object("event." + name); o == nil || o.Kind != deploy.KindEvent {
		c.add(addr, "%s names event type %q, which this deployment does not declare", attr, name)
	}
}

// expr records a runtime expression to check once every stack's
// declarations are known.
func (c *checker) expr(addr, attr, src string, sc Scope) {
	if src == "" {
		return
	}
	sens := false
	if o := c.doc.Object(addr); o != nil {
		sens = o.IsSensitive(attr)
	}
	c.exprs = append(c.exprs, Expression{Stack: c.stack, Address: addr, Attr: attr, Source: src, Scope: sc, Sensitive: sens})
}

// Scopes of the runtime expressions, as the language gives them.
var (
	scopeCustomer = Scope{Segments: true, Journeys: true}
	scopeDecide   = Scope{Context: true, Segments: true, Journeys: true}
)

func buildStack(name string, d Deployed, schemas map[string]*provschema.Schema) (*Stack, []Expression, Problems) {
	c := &checker{stack: name, doc: d.Doc, schemas: schemas}
	st := &Stack{Name: name, Serial: d.Serial, Doc: d.Doc}
	if d.Doc.FormatVersion != deploy.FormatVersion {
		c.add("", "format_version %d is not supported (this runtime reads %d)", d.Doc.FormatVersion, deploy.FormatVersion)
	}
	if d.Doc.Stack != name {
		c.add("", "the document is for stack %q, not %q", d.Doc.Stack, name)
	}
	stages := map[string]map[string]*deploy.Stage{}
	seen := map[string]bool{}
	for i := range d.Doc.Objects {
		o := &d.Doc.Objects[i]
		if seen[o.Address] {
			c.add(o.Address, "the deployment has two objects at this address")
			continue
		}
		seen[o.Address] = true
		a, err := addrs.Parse(o.Address)
		if err != nil {
			c.add(o.Address, "%v", err)
			continue
		}
		if string(a.Kind) != string(o.Kind) {
			c.add(o.Address, "the address is of a %s but the object is of kind %q", a.Kind, o.Kind)
			continue
		}
		if err := checkBody(o); err != nil {
			c.add(o.Address, "%v", err)
			continue
		}
		switch o.Kind {
		case deploy.KindCustomerAttribute:
			c.customerAttribute(o, a)
		case deploy.KindEvent:
			c.eventType(o, a)
		case deploy.KindChannel:
			c.channel(o, a)
		case deploy.KindSegment:
			if o.Segment.Name != a.Name {
				c.add(o.Address, "the segment is named %q", o.Segment.Name)
			}
			if o.Segment.Condition == "" {
				c.add(o.Address, "condition is empty")
			}
			c.expr(o.Address, "condition", o.Segment.Condition, scopeCustomer)
			st.Segments = append(st.Segments, o.Segment)
		case deploy.KindStage:
			if o.Stage.Journey != a.Journey || o.Stage.Name != a.Name {
				c.add(o.Address, "the stage is named %q of journey %q", o.Stage.Name, o.Stage.Journey)
				continue
			}
			if stages[a.Journey] == nil {
				stages[a.Journey] = map[string]*deploy.Stage{}
			}
			stages[a.Journey][a.Name] = o.Stage
		case deploy.KindAction:
			c.action(o, a)
		case deploy.KindKPI:
			c.kpi(o, a)
		case deploy.KindArbitration:
			ar := o.Arbitration
			if ar.MaxActions < 0 || ar.MaxOutbound < 0 {
				c.add(o.Address, "max_actions and max_outbound must not be negative")
			}
			if ar.ControlGroup < 0 || ar.ControlGroup > 1 {
				c.add(o.Address, "control_group must be a share between 0 and 1")
			}
			if !(ar.Holdout >= 0 && ar.Holdout <= 1) {
				c.add(o.Address, "holdout must be a share between 0 and 1")
			}
			c.limit(o.Address, ar.Limit)
			c.expr(o.Address, "priority", ar.Priority, Scope{Context: true, Segments: true, Journeys: true, Priority: true, Want: WantNumber})
		}
	}
	for i := range d.Doc.Objects {
		o := &d.Doc.Objects[i]
		if o.Kind == deploy.KindJourney && o.Journey != nil {
			if j := c.journey(o, stages[o.Journey.Name]); j != nil {
				st.Journeys = append(st.Journeys, j)
			}
		}
	}
	for jn, ss := range stages {
		if d.Doc.Object(addrs.JourneyAddress(jn)) == nil {
			for sn := range ss {
				c.add(addrs.Address{Kind: addrs.Stage, Journey: jn, Name: sn}.String(), "the stage belongs to journey %q, which this deployment does not declare", jn)
			}
		}
	}
	sort.Slice(st.Journeys, func(i, j int) bool { return st.Journeys[i].Name < st.Journeys[j].Name })
	for i, j := range st.Journeys {
		j.Index = i
	}
	sort.Slice(st.Segments, func(i, j int) bool { return st.Segments[i].Name < st.Segments[j].Name })
	for _, m := range d.Doc.Moves {
		from, err1 := addrs.Parse(m.From)
		to, err2 := addrs.Parse(m.To)
		switch {
		case err1 != nil:
			c.add("", "moved: %v", err1)
		case err2 != nil:
			c.add("", "moved: %v", err2)
		case from.Kind != to.Kind:
			c.add("", "moved from %s to %s: both must be of the same kind", m.From, m.To)
		case from.Kind != addrs.Journey && from.Kind != addrs.Stage && from.Kind != addrs.Action:
			c.add("", "moved from %s: only journeys, stages and actions can be moved", m.From)
		case d.Doc.Object(m.To) == nil:
			c.add("", "moved to %s, which this deployment does not declare", m.To)
		case from.Kind == addrs.Journey:
			st.Moves = append(st.Moves, Move{Journey: true, FromJourney: from.Journey, ToJourney: to.Journey})
		case from.Kind == addrs.Action:
			st.Moves = append(st.Moves, Move{Action: true, FromJourney: from.Journey, ToJourney: to.Journey, FromAction: from.Name, ToAction: to.Name})
		case from.Kind == addrs.Stage:
			st.Moves = append(st.Moves, Move{FromJourney: from.Journey, ToJourney: to.Journey, FromStage: from.Name, ToStage: to.Name})
		}
	}
	return st, c.exprs, c.ps
}

func (c *checker) customerAttribute(o *deploy.Object, a addrs.Address) {
	ca := o.CustomerAttribute
	if ca.Name != a.Name {
		c.add(o.Address, "the attribute is named %q", ca.Name)
	}
	if ca.Name == "id" {
		c.add(o.Address, "customer.id always exists and cannot be declared")
	}
	c.attrType(o.Address, ca.Type, ca.Default)
}

func (c *checker) attrType(addr, typ string, def []byte) {
	k, ok := events.ParseKind(typ)
	if !ok {
		c.add(addr, "type %q is not one of string, number, bool, list(string)", typ)
		return
	}
	if _, err := defaultValue(def, k); err != nil {
		c.add(addr, "%v", err)
	}
}

func (c *checker) eventType(o *deploy.Object, a addrs.Address) {
	ev := o.Event
	if ev.Name != a.Name {
		c.add(o.Address, "the event type is named %q", ev.Name)
	}
	names := map[string]bool{}
	for _, at := range ev.Attributes {
		if !identRe.MatchString(at.Name) {
			c.add(o.Address, "attribute name %q is not an identifier", at.Name)
		}
		if names[at.Name] {
			c.add(o.Address, "attribute %q is declared twice", at.Name)
		}
		names[at.Name] = true
		c.attrType(o.Address+".attribute."+at.Name, at.Type, at.Default)
	}
	for _, al := range ev.Aliases {
		if al == "" {
			c.add(o.Address, "an alias is empty")
		}
	}
}

func (c *checker) channel(o *deploy.Object, a addrs.Address) {
	ch := o.Channel
	if ch.Name != a.Name {
		c.add(o.Address, "the channel is named %q", ch.Name)
	}
	if ch.Provider == "" {
		c.add(o.Address, "provider is empty")
	}
	c.expr(o.Address, "consent", ch.Consent, scopeCustomer)
	// Only a recipient (an address to deliver to) may carry a sensitive
	// value; without the provider's schema, any per-delivery attribute.
	sch := c.schemas[ch.Source]
	recipients := map[string]bool{}
	if sch != nil {
		recipients = deploy.Recipients(sch)
		for _, msg := range deploy.CheckChannel(ch, sch) {
			c.add(o.Address, "%s", msg)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ch.PerDelivery)) {
		c.expr(o.Address, k, ch.PerDelivery[k], Scope{Segments: true, Journeys: true, Sensitive: sch == nil || recipients[k], Want: WantAny})
	}
	c.limit(o.Address, ch.Limit)
	if r := ch.Rate; r != nil {
		if r.Max < 1 {
			c.add(o.Address, "rate max must be at least 1")
		}
		if r.Per == "" {
			c.add(o.Address, "rate per is empty")
		}
		c.duration(o.Address, "rate per", r.Per, true)
	}
	if q := ch.QuietHours; q != nil {
		if !clockRe.MatchString(q.Start) || !clockRe.MatchString(q.End) {
			c.add(o.Address, "quiet_hours start and end must be times of day such as \"21:00\"")
		}
		if _, err := time.LoadLocation(q.Timezone); err != nil || q.Timezone == "" {
			c.add(o.Address, "quiet_hours timezone %q is not an IANA time zone", q.Timezone)
		}
		if q.OnQuiet != "defer" && q.OnQuiet != "drop" {
			c.add(o.Address, "quiet_hours on_quiet must be \"defer\" or \"drop\"")
		}
	}
}

func (c *checker) limit(addr string, l *deploy.Limit) {
	if l == nil {
		return
	}
	if l.Max < 0 {
		c.add(addr, "limit max must not be negative")
	}
	c.duration(addr, "limit per", l.Per, true)
}

func (c *checker) journey(o *deploy.Object, stages map[string]*deploy.Stage) *Journey {
	jr := o.Journey
	addr := o.Address
	if addrs.JourneyAddress(jr.Name) != addr {
		c.add(addr, "the journey is named %q", jr.Name)
		return nil
	}
	j := &Journey{Stack: c.stack, Name: jr.Name, State: jr.State, Reentry: jr.Reentry}
	switch j.State {
	case "":
		j.State = StateActive
	case StateActive, StatePaused, StateDraining:
	default:
		c.add(addr, "state %q is not one of active, paused, draining", jr.State)
	}
	switch j.Reentry {
	case "":
		j.Reentry = "never"
	case "never", "after_leaving":
	default:
		c.add(addr, "reentry %q is not one of never, after_leaving", jr.Reentry)
	}
	j.ReentryAfter = c.duration(addr, "reentry_after", jr.ReentryAfter, false)
	if jr.Entry.Event == "" && jr.Entry.Condition == "" {
		c.add(addr, "entry needs an event, a condition, or both")
	}
	j.Entry = c.criterion(addr, "entry", jr.Entry)
	if jr.Goal != nil {
		g := c.criterion(addr, "goal", jr.Goal.Criterion)
		j.Goal = &g
		j.Within = c.duration(addr, "goal.within", jr.Goal.Within, true)
	}
	for i, e := range jr.Exits {
		j.Exits = append(j.Exits, c.criterion(addr, fmt.Sprintf("exits.%d", i), e))
	}
	if len(jr.Stages) == 0 {
		c.add(addr, "the journey has no stages")
	}
	for i, sn := range jr.Stages {
		sa := addr + ".stage." + sn
		s, ok := stages[sn]
		if !ok {
			c.add(addr, "stage %q is listed but not deployed as %s", sn, sa)
			continue
		}
		if s.Index != i {
			c.add(sa, "the stage has index %d but is listed at %d", s.Index, i)
		}
		st := &Stage{Name: sn, Index: i, TimeoutTo: -1}
		if s.Entry != nil {
			e := c.criterion(sa, "entry", *s.Entry)
			st.Entry = &e
		}
		st.Timeout = c.duration(sa, "timeout", s.Timeout, true)
		if s.TimeoutTo != "" {
			to := -1
			for k, n := range jr.Stages {
				if n == s.TimeoutTo {
					to = k
				}
			}
			switch {
			case to < 0:
				c.add(sa, "timeout_to names stage %q, which journey %q does not have", s.TimeoutTo, jr.Name)
			case to <= i:
				c.add(sa, "timeout_to must name a later stage; customers only move forward")
			case s.Timeout == "":
				c.add(sa, "timeout_to without timeout")
			}
			st.TimeoutTo = to
		}
		j.Stages = append(j.Stages, st)
	}
	for sn := range stages {
		if j.Stage(sn) < 0 {
			c.add(addr+".stage."+sn, "the stage is deployed but journey %q does not list it", jr.Name)
		}
	}
	return j
}

func (c *checker) criterion(addr, attr string, cr deploy.Criterion) Criterion {
	c.event(addr, attr+".event", cr.Event)
	c.expr(addr, attr+".condition", cr.Condition, Scope{Event: cr.Event, Segments: true, Journeys: true})
	return Criterion{Event: cr.Event, Condition: cr.Condition, Address: addr, Attr: attr}
}

// neverSends reports whether every channel of ac (its own, or its
// treatments') is declared and never sends.
func (c *checker) neverSends(ac *deploy.Action) bool {
	chans := ac.Channels()
	for _, name := range chans {
		ch := c.doc.Object("channel." + name)
		if ch == nil || ch.Channel == nil || ch.Channel.Delivers {
			return false
		}
	}
	return len(chans) > 0
}

func (c *checker) action(o *deploy.Object, a addrs.Address) {
	ac := o.Action
	if ac.Journey != a.Journey || ac.Name != a.Name {
		c.add(o.Address, "the action is named %q of journey %q", ac.Name, ac.Journey)
	}
	if len(ac.Treatments) > 0 {
		c.treatments(o)
	} else if ch := c.doc.Object("channel." + ac.Channel); ch == nil {
		c.add(o.Address, "channel %q is not declared by this deployment", ac.Channel)
	} else if ac.Trigger != nil && ch.Channel != nil && !ch.Channel.Delivers {
		c.add(o.Address, "trigger on channel %q, which never sends (inbound)", ac.Channel)
	}
	if len(ac.Stages) == 0 {
		c.add(o.Address, "stages is empty")
	}
	for _, s := range ac.Stages {
		if c.doc.Object(addrs.Address{Kind: addrs.Stage, Journey: ac.Journey, Name: s}.String()) == nil {
			c.add(o.Address, "stages names %q, which journey %q does not have", s, ac.Journey)
		}
	}
	if t := ac.Trigger; t != nil {
		c.duration(o.Address, "trigger.after", t.After, false)
		for _, u := range t.Unless {
			c.event(o.Address, "trigger.unless", u)
		}
	}
	if ch := c.doc.Object("channel." + ac.Channel); ch != nil && ch.Channel != nil {
		if sch := c.schemas[ch.Channel.Source]; sch != nil {
			for _, msg := range deploy.CheckMessage(ac, sch) {
				c.add(o.Address, "%s", msg)
			}
		}
	}
	// Message templates are rendered for each customer and may not carry
	// a sensitive value: only a channel's recipient may.
	for _, k := range slices.Sorted(maps.Keys(ac.Message)) {
		c.expr(o.Address, "message."+k, ac.Message[k], Scope{Context: true, Journeys: true, Template: true})
	}
	c.expr(o.Address, "eligible", ac.Eligible, scopeDecide)
	if ac.Value == "" {
		c.add(o.Address, "value is empty")
	}
	c.expr(o.Address, "value", ac.Value, Scope{Context: true, Segments: true, Journeys: true, Want: WantNumber})
	if ac.Lever < 0 {
		c.add(o.Address, "lever must be ≥ 0")
	}
	c.limit(o.Address, ac.Limit)
	c.experiment(o.Address, ac)
	if s := ac.Suppress; s != nil {
		if s.AfterIgnores < 1 {
			c.add(o.Address, "suppress after_ignores must be at least 1")
		}
		c.duration(o.Address, "suppress for", s.For, true)
	}
}

func (c *checker) kpi(o *deploy.Object, a addrs.Address) {
	k := o.KPI
	if k.Journey != a.Journey || k.Name != a.Name {
		c.add(o.Address, "the KPI is named %q of journey %q", k.Name, k.Journey)
	}
	c.duration(o.Address, "window", k.Window, true)
	if _, ok := deploy.LookupKPIFunc(k.Metric.Function); !ok {
		c.add(o.Address, "metric %q is not a KPI function", k.Metric.Function)
	}
	m := k.Metric
	journey := c.doc.Object("journey." + k.Journey)
	if journey == nil || journey.Journey == nil {
		c.add(o.Address, "journey %q is not declared by this deployment", k.Journey)
	}
	switch m.Function {
	case "conversion", "time_to_goal":
		if journey != nil && journey.Journey != nil && journey.Journey.Goal == nil {
			c.add(o.Address, "metric %s needs a journey goal, which journey %q does not have", m.Function, k.Journey)
		}
	}
	switch m.Function {
	case "dropoff", "time_in_stage":
		if c.doc.Object("journey."+k.Journey+".stage."+m.Stage) == nil {
			c.add(o.Address, "metric %s names stage %q, which journey %q does not have", m.Function, m.Stage, k.Journey)
		}
	}
	if m.Action != "" {
		ao := c.doc.Object(addrs.Address{Kind: addrs.Action, Journey: k.Journey, Name: m.Action}.String())
		switch {
		case m.Function != deploy.KPIConversion:
			c.add(o.Address, "metric %s takes no action", m.Function)
		case ao == nil || ao.Action == nil:
			c.add(o.Address, "metric %s names action %q, which journey %q does not have", m.Function, m.Action, k.Journey)
		case c.neverSends(ao.Action):
			c.add(o.Address, "metric %s names action %q, whose channels never send (inbound)", m.Function, m.Action)
		}
	}
	switch m.Function {
	case "rate", "average", "nps":
		ev := c.doc.Object("event." + m.Event)
		if ev == nil || ev.Event == nil {
			c.add(o.Address, "metric %s names event type %q, which this deployment does not declare", m.Function, m.Event)
		} else if m.Function != "rate" {
			found := false
			for _, at := range ev.Event.Attributes {
				if at.Name == m.Attribute {
					found = true
					if at.Type != "number" {
						c.add(o.Address, "metric %s needs a number attribute, but event %q attribute %q is %s", m.Function, m.Event, m.Attribute, at.Type)
					}
				}
			}
			if !found {
				c.add(o.Address, "metric %s names attribute %q, which event %q does not have", m.Function, m.Attribute, m.Event)
			}
		}
	}
	switch m.Function {
	case "time_in_stage", "time_to_goal":
		if m.Quantile == nil || !(*m.Quantile > 0 && *m.Quantile < 1) {
			c.add(o.Address, "metric %s needs a quantile between 0 and 1 (exclusive), such as 0.9", m.Function)
		}
	default:
		if m.Quantile != nil {
			c.add(o.Address, "metric %s takes no quantile", m.Function)
		}
	}
	if t := k.Target; t != nil && (t.Above == nil) == (t.Below == nil) {
		c.add(o.Address, "target needs exactly one of above and below")
	}
	if k.Alert != nil && k.Target == nil {
		c.add(o.Address, "alert needs a target")
	}
	if al := k.Alert; al != nil {
		if al.Channel == "" && al.Action == "" {
			c.add(o.Address, "alert needs a channel or an action")
		}
		if al.Cooldown != "" {
			c.duration(o.Address, "alert cooldown", al.Cooldown, false)
		}
		if al.Hysteresis < 0 {
			c.add(o.Address, "alert hysteresis must not be negative")
		}
		if al.Action != "" {
			ao := c.doc.Object(addrs.Address{Kind: addrs.Action, Journey: k.Journey, Name: al.Action}.String())
			if ao == nil || ao.Action == nil {
				c.add(o.Address, "alert action %q is not an action of journey %q", al.Action, k.Journey)
			}
		}
	}
}
