package lang

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/lang/schema"
)

// declareJourneys records every journey's name and stages before any
// expression is checked, so that journey.<name>.stage and stage references
// resolve whatever order the blocks are written in. A block with for_each
// or count declares one journey per instance. It returns the journeys in
// the order written, for decodeJourneys.
func (l *loader) declareJourneys(blocks []*hcl.Block) []*journeyDecl {
	var out []*journeyDecl
	labels := map[string]hcl.Range{}
	for _, b := range blocks {
		label := b.Labels[0]
		if !l.newLabel(labels, b, "journey") {
			continue
		}
		// Only the stage labels are read here; decodeJourneys reports
		// everything else about the body.
		c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "stage", LabelNames: []string{"name"}}}})
		var stages []string
		stageAt := map[string]int{}
		for _, sb := range c.Blocks {
			sn := sb.Labels[0]
			if _, dup := stageAt[sn]; dup || !identRe.MatchString(sn) {
				continue
			}
			stageAt[sn] = len(stages)
			stages = append(stages, sn)
		}
		for _, in := range l.instances(b.Body, fmt.Sprintf("journey %q", label)) {
			name := addrs.JourneyName(l.module, label, in.key)
			if prev, dup := l.s.journeys[name]; dup {
				l.add(errorf(rngPtr(labelRange(b)), "Duplicate journey", "journey %q was already declared at %s.", name, at(prev.Range)))
				continue
			}
			j := &journeyDecl{Name: name, Stages: stages, stageAt: stageAt, Range: b.DefRange, block: b, inst: in}
			l.s.journeys[name] = j
			out = append(out, j)
		}
	}
	return out
}

func (l *loader) decodeJourneys(decls []*journeyDecl) {
	sch := schema.Journey()
	for _, j := range decls {
		l.within(j.inst, func() { l.decodeJourney(j.block, j, sch) })
	}
}

func (l *loader) decodeJourney(b *hcl.Block, j *journeyDecl, sch *schema.Block) {
	name := j.Name
	c := l.content(b.Body, sch)
	jr := &deploy.Journey{Name: name, State: "active", Reentry: "never", Stages: j.Stages}
	var sens []string
	if a := c.Attributes["description"]; a != nil {
		jr.Description, _ = l.str(a, "description")
	}
	if a := c.Attributes["state"]; a != nil {
		jr.State, _ = l.enum(a, "state", []string{"active", "paused", "draining"})
	}
	if a := c.Attributes["reentry"]; a != nil {
		jr.Reentry, _ = l.enum(a, "reentry", []string{"never", "after_leaving"})
	}
	if a := c.Attributes["reentry_after"]; a != nil {
		jr.ReentryAfter, _, _ = l.duration(a, "reentry_after")
		if jr.Reentry == "never" {
			l.add(warnf(rngPtr(a.NameRange), "reentry_after has no effect",
				"journey %q has reentry = \"never\", so reentry_after is ignored; set reentry = \"after_leaving\" to let customers enter again.", name))
		}
	}
	var entries, goals []*hcl.Block
	stageBlocks := map[string]*hcl.Block{}
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "entry":
			entries = append(entries, nb)
		case "goal":
			goals = append(goals, nb)
		case "exit":
			if cr := l.criterion(nb, sch.Block("exit"), fmt.Sprintf("an exit of journey %q", name), fmt.Sprintf("exits.%d", len(jr.Exits)), &sens); cr != nil {
				jr.Exits = append(jr.Exits, *cr)
			}
		case "stage":
			sn := nb.Labels[0]
			if !l.checkIdent(sn, labelRange(nb), "stage") {
				continue
			}
			if prev, dup := stageBlocks[sn]; dup {
				l.add(errorf(rngPtr(labelRange(nb)), "Duplicate stage", "journey %q already has a stage %q, declared at %s.", name, sn, at(prev.DefRange)))
				continue
			}
			stageBlocks[sn] = nb
		}
	}
	if len(entries) == 0 {
		l.add(errorf(rngPtr(b.DefRange), "Missing entry block", "journey %q needs an entry block that says how customers enter it: an event, a condition, or both.", name))
	}
	for _, eb := range entries {
		if cr := l.criterion(eb, sch.Block("entry"), fmt.Sprintf("the entry of journey %q", name), "entry", &sens); cr != nil {
			jr.Entry = *cr
		}
	}
	for _, gb := range goals {
		gs := sch.Block("goal")
		cr := l.criterion(gb, gs, fmt.Sprintf("the goal of journey %q", name), "goal", &sens)
		if cr == nil {
			continue
		}
		g := &deploy.Goal{Criterion: *cr}
		gc, _, _ := gb.Body.PartialContent(l.bodySchema(gs))
		if a := gc.Attributes["within"]; a != nil {
			w, d, ok := l.duration(a, "goal.within")
			if ok && d <= 0 {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid duration", "goal.within must be longer than zero."))
			}
			g.Within = w
		}
		jr.Goal = g
	}
	if len(j.Stages) == 0 {
		l.add(errorf(rngPtr(b.DefRange), "Journey without stages", "journey %q needs at least one stage block: customers enter its first stage unless a later stage's entry matches.", name))
	}
	l.object(deploy.Object{Address: addrs.Address{Kind: addrs.Journey, Journey: name}.String(), Kind: deploy.KindJourney, Journey: jr, Sensitive: sens}, b.DefRange)

	for i, sn := range j.Stages {
		if sb, ok := stageBlocks[sn]; ok {
			l.decodeStage(sb, j, i, sch.Block("stage"))
		}
	}
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "action":
			l.decodeAction(nb, j, sch.Block("action"))
		case "kpi":
			l.decodeKPI(nb, j, jr.Goal != nil, sch.Block("kpi"))
		}
	}
	l.checkKPIActions(j)
}

// criterion decodes an entry, goal, exit or stage entry block. goal's
// within is read by the caller.
// sens collects the path of the condition when it inlines a sensitive value.
func (l *loader) criterion(b *hcl.Block, sch *schema.Block, what, path string, sens *[]string) *deploy.Criterion {
	c := l.content(b.Body, sch)
	cr := &deploy.Criterion{}
	ok := true
	if a := c.Attributes["event"]; a != nil {
		r, good := l.staticRef(a.Expr, "event", what+"'s event", 2)
		if good {
			if _, declared := l.s.events[r.Name]; !declared {
				l.undeclared(r, "", keys(l.s.events))
				good = false
			}
		}
		if good {
			cr.Event = r.Name
		}
		ok = ok && good
	}
	if a := c.Attributes["condition"]; a != nil {
		if !ok {
			return nil // the condition's event scope is unknown
		}
		sc := l.s.rtScope("the condition of "+what, scopeOpts{event: cr.Event, segments: true, journeys: true})
		r := l.runtimeExpr(a.Expr, sc, cty.Bool)
		if r == nil {
			return nil
		}
		cr.Condition = r.Source
		if r.Sensitive {
			*sens = append(*sens, path+".condition")
		}
	}
	if c.Attributes["event"] == nil && c.Attributes["condition"] == nil {
		l.add(errorf(rngPtr(b.DefRange), "Empty "+b.Type+" block", "%s needs an event, a condition, or both.", capitalize(what)))
		return nil
	}
	if !ok {
		return nil
	}
	return cr
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func (l *loader) decodeStage(b *hcl.Block, j *journeyDecl, index int, sch *schema.Block) {
	name := b.Labels[0]
	st := &deploy.Stage{Journey: j.Name, Name: name, Index: index}
	var sens []string
	c := l.content(b.Body, sch)
	if a := c.Attributes["description"]; a != nil {
		st.Description, _ = l.str(a, "description")
	}
	if a := c.Attributes["timeout"]; a != nil {
		t, d, ok := l.duration(a, "timeout")
		if ok && d <= 0 {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid duration", "timeout must be longer than zero."))
		}
		st.Timeout = t
	}
	if a := c.Attributes["timeout_to"]; a != nil {
		if r, ok := l.staticRef(a.Expr, "stage", "timeout_to", 2); ok {
			if to, ok := l.journeyStage(j, r); ok {
				if to <= index {
					l.add(errorf(rngPtr(r.Range), "Invalid timeout_to",
						"Customers only move forward: timeout_to of stage %q must name a later stage of journey %q, and %q comes %s.", name, j.Name, r.Name, map[bool]string{true: "before it", false: "at the same place"}[to < index]))
				} else {
					st.TimeoutTo = r.Name
				}
			}
		}
		if c.Attributes["timeout"] == nil {
			l.add(errorf(rngPtr(a.NameRange), "timeout_to without timeout", "Stage %q names a timeout_to stage but has no timeout.", name))
		}
	}
	for _, eb := range c.Blocks {
		st.Entry = l.criterion(eb, sch.Block("entry"), fmt.Sprintf("the entry of stage %q", name), "entry", &sens)
	}
	addr := addrs.Address{Kind: addrs.Stage, Journey: j.Name, Name: name}.String()
	l.object(deploy.Object{Address: addr, Kind: deploy.KindStage, Stage: st, Sensitive: sens}, b.DefRange)
}

func (l *loader) decodeAction(b *hcl.Block, j *journeyDecl, sch *schema.Block) {
	label := b.Labels[0]
	if !l.checkIdent(label, labelRange(b), "action") {
		return
	}
	for _, in := range l.instances(b.Body, fmt.Sprintf("action %q of journey %q", label, j.Name)) {
		l.within(in, func() { l.decodeActionInstance(b, j, addrs.Instance(label, in.key), sch) })
	}
}

func (l *loader) decodeActionInstance(b *hcl.Block, j *journeyDecl, name string, sch *schema.Block) {
	what := fmt.Sprintf("action %q", name)
	ac := &deploy.Action{Journey: j.Name, Name: name, Value: "1", Lever: 1}
	addr := addrs.Address{Kind: addrs.Action, Journey: j.Name, Name: name}.String()
	obj := deploy.Object{Address: addr, Kind: deploy.KindAction, Action: ac}
	c := l.content(b.Body, sch)
	var ch *channelDecl
	if a := c.Attributes["channel"]; a != nil {
		if r, ok := l.staticRef(a.Expr, "channel", "channel", 2); ok {
			if d, declared := l.s.channels[r.Name]; declared {
				ac.Channel = r.Name
				ch = d
			} else {
				l.undeclared(r, "", keys(l.s.channels))
			}
		}
	}
	if a := c.Attributes["stages"]; a != nil {
		refs, _ := l.staticRefs(a.Expr, "stage", "stages")
		for _, r := range refs {
			if _, ok := l.journeyStage(j, r); ok {
				ac.Stages = append(ac.Stages, r.Name)
			}
		}
		if len(refs) == 0 {
			l.add(errorf(rngPtr(a.Expr.Range()), "No stages", "%s must list at least one stage of journey %q in which it is a candidate.", capitalize(what), j.Name))
		}
	}
	if a := c.Attributes["description"]; a != nil {
		ac.Description, _ = l.str(a, "description")
	}
	if a := c.Attributes["eligible"]; a != nil {
		sc := l.s.rtScope("the eligible condition of "+what, scopeOpts{context: true, segments: true, journeys: true})
		if r := l.runtimeExpr(a.Expr, sc, cty.Bool); r != nil {
			ac.Eligible = r.Source
			if r.Sensitive {
				obj.Sensitive = append(obj.Sensitive, "eligible")
			}
		}
	}
	if a := c.Attributes["value"]; a != nil {
		sc := l.s.rtScope("the value of "+what, scopeOpts{context: true, segments: true, journeys: true})
		if r := l.runtimeExpr(a.Expr, sc, cty.Number); r != nil {
			ac.Value = r.Source
			if r.Sensitive {
				obj.Sensitive = append(obj.Sensitive, "value")
			}
		}
	}
	if a := c.Attributes["lever"]; a != nil {
		if f, ok := l.number(a, "lever"); ok {
			if f < 0 {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid lever", "lever must be a number ≥ 0; got %s.", strconv.FormatFloat(f, 'g', -1, 64)))
			} else {
				ac.Lever = f
			}
		}
	}
	if a := c.Attributes["transactional"]; a != nil {
		ac.Transactional, _ = l.boolean(a, "transactional")
	}
	var messageBlock, triggerBlock *hcl.Block
	var treatments []*hcl.Block
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "treatment":
			treatments = append(treatments, nb)
		case "trigger":
			ac.Trigger = l.trigger(nb, sch.Block("trigger"))
			triggerBlock = nb
			if ch != nil && ch.Schema != nil && !ch.Schema.Delivers {
				l.add(errorf(rngPtr(nb.DefRange), "Trigger on an inbound channel",
					"%s is on channel %q, which is answered through the decide API and never sends; a trigger has no meaning there. Remove the trigger, or use a channel whose provider delivers.", capitalize(what), ch.Name))
			}
		case "limit":
			ac.Limit = l.limit(nb, sch.Block("limit"))
		case "suppress":
			ac.Suppress = l.suppress(nb, sch.Block("suppress"))
		case "model":
			ac.Model = l.model(nb, sch.Block("model"))
		case "message":
			messageBlock = nb
		}
	}
	ac.Treatments = l.actionTreatments(b, c, treatments, triggerBlock, messageBlock, what, &obj, sch.Block("treatment"))
	if ch != nil && ch.Schema != nil && len(treatments) == 0 {
		ac.Message = l.message(messageBlock, ch, what, b.DefRange, &obj)
	}
	if eb := firstBlock(c.Blocks, "experiment"); eb != nil && len(treatments) > 0 {
		l.add(errorf(rngPtr(eb.DefRange), "Experiment on an action with treatments",
			"%s has treatments, and an experiment's variants cannot yet vary them; put the experiment on an action with one channel, or compare the treatments through their models.", capitalize(what)))
	} else if eb != nil {
		l.decodeExperiment(eb, j, ch, ac, &obj, sch)
	}
	l.object(obj, b.DefRange)
}

func (l *loader) trigger(b *hcl.Block, sch *schema.Block) *deploy.Trigger {
	c := l.content(b.Body, sch)
	t := &deploy.Trigger{}
	if a := c.Attributes["after"]; a != nil {
		t.After, _, _ = l.duration(a, "trigger.after")
	}
	if a := c.Attributes["unless"]; a != nil {
		refs, _ := l.staticRefs(a.Expr, "event", "trigger.unless")
		for _, r := range refs {
			if _, ok := l.s.events[r.Name]; !ok {
				l.undeclared(r, "", keys(l.s.events))
				continue
			}
			t.Unless = append(t.Unless, r.Name)
		}
	}
	return t
}

func (l *loader) suppress(b *hcl.Block, sch *schema.Block) *deploy.Suppress {
	c := l.content(b.Body, sch)
	s := &deploy.Suppress{}
	ok1, ok2 := false, false
	if a := c.Attributes["after_ignores"]; a != nil {
		s.AfterIgnores, ok1 = l.wholeNumber(a, "suppress.after_ignores", 1)
	}
	if a := c.Attributes["for"]; a != nil {
		s.For, _, ok2 = l.duration(a, "suppress.for")
	}
	if !ok1 || !ok2 {
		return nil
	}
	return s
}

// model reads a model block: a half-life in time or in responses, not
// both, and the predictors.
func (l *loader) model(b *hcl.Block, sch *schema.Block) *deploy.Model {
	c := l.content(b.Body, sch)
	m := &deploy.Model{}
	ok := true
	hl, hr := c.Attributes["half_life"], c.Attributes["half_life_responses"]
	if hl != nil && hr != nil {
		l.add(errorf(rngPtr(hr.Range), "Two half-lives",
			"A model forgets by time (half_life) or by responses (half_life_responses), not both; remove one."))
		ok = false
	}
	if hl != nil {
		s, d, good := l.duration(hl, "model.half_life")
		switch {
		case !good:
			ok = false
		case d < time.Hour:
			l.add(errorf(rngPtr(hl.Expr.Range()), "Half-life too short",
				"model.half_life is at least 1h, so that a model keeps enough responses to learn from; got %s.", s))
			ok = false
		default:
			m.HalfLife = s
		}
	}
	if hr != nil {
		n, good := l.wholeNumber(hr, "model.half_life_responses", 100)
		ok = ok && good
		m.HalfLifeResponses = n
	}
	if a := c.Attributes["predictors"]; a != nil {
		if v := l.typedValue(a, cty.List(cty.String), "model.predictors"); v != cty.NilVal {
			m.NoPredictors = v.LengthInt() == 0
			for _, e := range v.AsValueSlice() {
				s := e.AsString()
				if !strings.HasPrefix(s, "customer.") && !strings.HasPrefix(s, "stage.") && !strings.HasPrefix(s, "context.") {
					l.add(errorf(rngPtr(a.Expr.Range()), "Invalid predictor",
						"model.predictors names customer.<attribute>, stage.<stack>/<journey> or context.<key>; got %q.", s))
					ok = false
					continue
				}
				m.Predictors = append(m.Predictors, s)
			}
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return m
}

// message checks an action's message block against its channel provider's
// message schema.
func (l *loader) message(b *hcl.Block, ch *channelDecl, what string, actionRange hcl.Range, obj *deploy.Object) map[string]string {
	ps := ch.Schema
	if !ps.Delivers {
		if b != nil {
			l.add(errorf(rngPtr(b.DefRange), "Message on an inbound channel",
				"%s is on channel %q, which is answered through the decide API: the caller renders what it shows, so a message block has no meaning here.", capitalize(what), ch.Name))
		}
		return nil
	}
	if b == nil {
		var required []string
		for _, a := range ps.Message {
			if a.Required {
				required = append(required, a.Name)
			}
		}
		if len(required) > 0 {
			l.add(errorf(rngPtr(actionRange), "Missing message block",
				"%s is on channel %q, whose provider %s needs a message block with %s.", capitalize(what), ch.Name, ps.Provider, quoteList(required)))
		}
		return nil
	}
	attrs, diags := b.Body.JustAttributes()
	l.addAll(diags)
	out := map[string]string{}
	values := map[string]cty.Value{}
	ranges := map[string]hcl.Range{}
	var names []string
	for _, a := range ps.Message {
		names = append(names, a.Name)
	}
	for _, an := range keys(attrs) {
		a := attrs[an]
		sa := ps.MessageAttribute(an)
		if sa == nil {
			l.add(errorf(rngPtr(a.NameRange), "Unsupported argument",
				"An argument named %q is not expected here: messages of provider %s take %s.%s", an, ps.Provider, quoteList(names), suggest(an, names)))
			continue
		}
		ranges[an] = a.Expr.Range()
		sc := l.s.rtScope(fmt.Sprintf("message.%s of %s", an, what), scopeOpts{context: true, journeys: true})
		r := l.template(a.Expr, sc)
		if r == nil {
			continue
		}
		out[an] = r.Source
		values[an] = cty.UnknownVal(cty.String)
		if r.Constant {
			values[an] = cty.StringVal(r.Source)
		}
		if r.Sensitive || sa.Sensitive {
			obj.Sensitive = append(obj.Sensitive, "message."+an)
		}
	}
	for _, sa := range ps.Message {
		if sa.Required && attrs[sa.Name] == nil {
			l.add(errorf(rngPtr(b.DefRange), "Missing required argument", "Messages of provider %s need %q: %s", ps.Provider, sa.Name, sa.Description))
		}
	}
	l.checks = append(l.checks, providerCheck{
		call: func() ([]provschema.Diagnostic, error) {
			return l.opts.Providers.ValidateMessage(l.ctx, ch.Schema.Provider, ps.Provider, values)
		},
		provider: ps.Provider, block: b.DefRange, ranges: ranges,
	})
	return out
}

func (l *loader) decodeKPI(b *hcl.Block, j *journeyDecl, hasGoal bool, sch *schema.Block) {
	name := b.Labels[0]
	if !l.checkIdent(name, labelRange(b), "kpi") {
		return
	}
	k := &deploy.KPI{Journey: j.Name, Name: name}
	c := l.content(b.Body, sch)
	ok := true
	if a := c.Attributes["metric"]; a != nil {
		m, good := l.metric(a, j, name, hasGoal)
		k.Metric, ok = m, good
	}
	if a := c.Attributes["window"]; a != nil {
		w, d, good := l.duration(a, "window")
		if good && d < time.Hour {
			l.add(errorf(rngPtr(a.Expr.Range()), "Window too short", "A KPI window must be at least 1h: the runtime keeps its aggregates by the hour."))
			good = false
		}
		k.Window, ok = w, ok && good
	}
	var alertBlock *hcl.Block
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "target":
			k.Target = l.target(nb, sch.Block("target"))
		case "alert":
			alertBlock = nb
			k.Alert = l.alert(nb, name, sch.Block("alert"))
		}
	}
	if alertBlock != nil && k.Target == nil && !hasBlock(c.Blocks, "target") {
		l.add(errorf(rngPtr(alertBlock.DefRange), "Alert without target", "KPI %q has an alert but no target: an alert fires when the KPI leaves its target, so add a target block.", name))
	}
	if !ok {
		return
	}
	addr := addrs.Address{Kind: addrs.KPI, Journey: j.Name, Name: name}.String()
	l.object(deploy.Object{Address: addr, Kind: deploy.KindKPI, KPI: k}, b.DefRange)
}

// alert decodes a KPI's alert block; nil when it has errors. Its action
// is checked against the journey's actions once all are decoded
// (checkKPIActions).
func (l *loader) alert(b *hcl.Block, kpi string, sch *schema.Block) *deploy.Alert {
	ac := l.content(b.Body, sch)
	al := &deploy.Alert{}
	ok := true
	if a := ac.Attributes["channel"]; a != nil {
		r, good := l.staticRef(a.Expr, "channel", "alert.channel", 2)
		if good {
			d, declared := l.s.channels[r.Name]
			switch {
			case !declared:
				l.undeclared(r, "", keys(l.s.channels))
				good = false
			case d.Schema != nil && !d.Schema.Delivers:
				l.add(errorf(rngPtr(r.Range), "Alert on an inbound channel", "Channel %q never sends, so it cannot carry an alert; use a channel such as a webhook or email.", r.Name))
				good = false
			}
		}
		al.Channel, ok = r.Name, ok && good
	}
	if a := ac.Attributes["action"]; a != nil {
		r, good := l.staticRef(a.Expr, "action", "alert.action", 2)
		al.Action, ok = r.Name, ok && good
		l.kpiActions = append(l.kpiActions, kpiAction{kpi: kpi, action: r.Name, rng: r.Range})
	}
	if a := ac.Attributes["cooldown"]; a != nil {
		c, d, good := l.duration(a, "alert.cooldown")
		if good && d < 0 {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid duration", "alert.cooldown cannot be negative."))
			good = false
		}
		if good && d > 0 {
			al.Cooldown = c
		}
		ok = ok && good
	}
	if a := ac.Attributes["hysteresis"]; a != nil {
		h, good := l.number(a, "alert.hysteresis")
		if good && h < 0 {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid hysteresis", "alert.hysteresis is a margin in the KPI's unit: 0 or more, not %v.", h))
			good = false
		}
		al.Hysteresis, ok = h, ok && good
	}
	if ok && al.Channel == "" && al.Action == "" {
		l.add(errorf(rngPtr(b.DefRange), "Alert without channel or action", "The alert of KPI %q neither sends (channel = channel.<name>) nor acts (action = action.<name>): give it one or both.", kpi))
		ok = false
	}
	if !ok {
		return nil
	}
	return al
}

// kpiAction is a KPI's reference to an action of its journey: its
// alert's action, or the action its metric is attributed to (metric set),
// checked once the journey's actions are decoded.
type kpiAction struct {
	kpi, action string
	rng         hcl.Range
	metric      bool
}

// checkKPIActions checks the actions that journey j's KPIs name: the
// action of an alert must be one of j whose stages include the stage the
// KPI measures, the action of conversion(action.<name>) one of j that
// delivers.
func (l *loader) checkKPIActions(j *journeyDecl) {
	pending := l.kpiActions
	l.kpiActions = nil
	if len(pending) == 0 {
		return
	}
	actions := map[string]*deploy.Action{}
	kpis := map[string]*deploy.KPI{}
	for i := range l.cfg.Document.Objects {
		o := &l.cfg.Document.Objects[i]
		switch {
		case o.Action != nil && o.Action.Journey == j.Name:
			actions[o.Action.Name] = o.Action
		case o.KPI != nil && o.KPI.Journey == j.Name:
			kpis[o.KPI.Name] = o.KPI
		}
	}
	names := slices.Sorted(maps.Keys(actions))
	for _, p := range pending {
		ac := actions[p.action]
		if ac == nil && p.metric {
			l.add(errorf(rngPtr(p.rng), "Undeclared action", "Journey %q has no action %q for KPI %q to measure: conversion(action.<name>) names an action of its own journey (%s).%s",
				j.Name, p.action, p.kpi, strings.Join(names, ", "), suggest(p.action, names)))
			continue
		}
		if ac == nil {
			l.add(errorf(rngPtr(p.rng), "Undeclared action", "Journey %q has no action %q for the alert of KPI %q to trigger: an alert acts with an action of its own journey (%s).",
				j.Name, p.action, p.kpi, strings.Join(names, ", ")))
			continue
		}
		if p.metric {
			if ch, ok := l.neverSends(ac); ok {
				l.add(errorf(rngPtr(p.rng), "Action that never sends",
					"KPI %q measures who converted after action %q was sent, but the action is on channel %q, which is answered through the decide API and never sends; name an action on a channel whose provider delivers.",
					p.kpi, p.action, ch))
			}
			continue
		}
		k := kpis[p.kpi]
		if k == nil || k.Metric.Stage == "" {
			continue
		}
		if !slices.Contains(ac.Stages, k.Metric.Stage) {
			l.add(errorf(rngPtr(p.rng), "Alert action outside the KPI's stage",
				"KPI %q measures stage %q, whose customers its alert would act on, but action %q is offered only in %s: add stage.%s to its stages or pick another action.",
				p.kpi, k.Metric.Stage, p.action, strings.Join(ac.Stages, ", "), k.Metric.Stage))
		}
	}
}

// neverSends reports whether every channel of action ac (its own, or its
// treatments') is known never to send, and names one. A channel whose
// provider's schema is unknown is taken to send.
func (l *loader) neverSends(ac *deploy.Action) (string, bool) {
	chans := ac.Channels()
	for _, name := range chans {
		d := l.s.channels[name]
		if d == nil || d.Schema == nil || d.Schema.Delivers {
			return "", false
		}
	}
	if len(chans) == 0 {
		return "", false
	}
	return chans[0], true
}

func hasBlock(blocks hcl.Blocks, typ string) bool { return firstBlock(blocks, typ) != nil }

func (l *loader) metric(a *hcl.Attribute, j *journeyDecl, kpi string, hasGoal bool) (deploy.Metric, bool) {
	call, diags := hcl.ExprCall(a.Expr)
	if diags.HasErrors() {
		l.add(errorf(rngPtr(a.Expr.Range()), "Invalid metric",
			"metric must be a call of one of the KPI functions: %s.", deploy.KPISignatures("")))
		return deploy.Metric{}, false
	}
	fn, known := deploy.LookupKPIFunc(call.Name)
	if !known {
		var names []string
		for _, f := range deploy.KPIFuncs() {
			names = append(names, f.Name)
		}
		names = slices.Compact(sortedStrings(names)) // a function with two forms, as conversion, is named once
		l.add(errorf(rngPtr(call.NameRange), "Unknown metric function", "%q is not a KPI function; the KPI functions are %s.%s", call.Name, quoteList(names), suggest(call.Name, names)))
		return deploy.Metric{}, false
	}
	if f, ok := deploy.LookupKPICall(call.Name, len(call.Arguments)); ok {
		fn = f
	} else {
		var counts, usages []string
		for _, f := range deploy.KPIOverloads(call.Name) {
			counts = append(counts, strconv.Itoa(len(f.Params)))
			usages = append(usages, f.Usage)
		}
		l.add(errorf(rngPtr(call.ArgsRange), "Wrong number of arguments", "%s takes %s argument(s): %s.", call.Name, strings.Join(counts, " or "), strings.Join(usages, " or ")))
		return deploy.Metric{}, false
	}
	if fn.NeedsGoal && !hasGoal {
		l.add(errorf(rngPtr(a.Expr.Range()), "Metric needs a goal", "%s measures reaching the goal, but journey %q has no goal block.", call.Name, j.Name))
		return deploy.Metric{}, false
	}
	m := deploy.Metric{Function: call.Name}
	args := ""
	for i, p := range fn.Params {
		arg := call.Arguments[i]
		if i > 0 {
			args += ", "
		}
		switch p {
		case 's':
			r, ok := l.staticRef(arg, "stage", call.Name+"'s argument", 2)
			if !ok {
				return m, false
			}
			if _, ok := l.journeyStage(j, r); !ok {
				return m, false
			}
			m.Stage = r.Name
			args += "stage." + r.Name
		case 'e', 'a':
			parts := 2
			if p == 'a' {
				parts = 3
			}
			r, ok := l.staticRef(arg, "event", call.Name+"'s argument", parts)
			if !ok {
				return m, false
			}
			ev, declared := l.s.events[r.Name]
			if !declared {
				l.undeclared(r, "", keys(l.s.events))
				return m, false
			}
			m.Event = r.Name
			args += "event." + r.Name
			if p == 'a' {
				at, has := ev.Attrs[r.Attr]
				if !has {
					l.add(errorf(rngPtr(r.Range), "Unsupported attribute", "event %q has no attribute %q.%s", r.Name, r.Attr, l.suggestName(r.Attr, func() []string { return keys(ev.Attrs) })))
					return m, false
				}
				if at.Type != cty.Number {
					l.add(errorf(rngPtr(r.Range), "Metric needs a number", "%s needs a number attribute, but event %q attribute %q is %s.", call.Name, r.Name, r.Attr, typeName(at.Type)))
					return m, false
				}
				m.Attribute = r.Attr
				args += "." + r.Attr
			}
		case 'c':
			r, ok := l.staticRef(arg, "action", call.Name+"'s argument", 2)
			if !ok {
				return m, false
			}
			// Whether the journey has the action, and whether it
			// delivers, is known once its actions are decoded
			// (checkKPIActions).
			l.kpiActions = append(l.kpiActions, kpiAction{kpi: kpi, action: r.Name, rng: r.Range, metric: true})
			m.Action = r.Name
			args += "action." + r.Name
		case 'q':
			v := l.configValue(arg, call.Name+"'s quantile")
			if v == cty.NilVal {
				return m, false
			}
			q, err := convertPlain(v, cty.Number)
			if err != nil || q.IsNull() || !q.IsKnown() {
				l.add(errorf(rngPtr(arg.Range()), "Invalid quantile", "The quantile must be a number between 0 and 1, such as 0.9."))
				return m, false
			}
			f, _ := q.AsBigFloat().Float64()
			if f <= 0 || f >= 1 {
				l.add(errorf(rngPtr(arg.Range()), "Invalid quantile", "Quantiles are written between 0 and 1 (0.5 for the median, 0.9 for p90); got %s.", strconv.FormatFloat(f, 'g', -1, 64)))
				return m, false
			}
			m.Quantile = &f
			args += strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	m.Source = call.Name + "(" + args + ")"
	return m, true
}

func (l *loader) target(b *hcl.Block, sch *schema.Block) *deploy.Target {
	c := l.content(b.Body, sch)
	t := &deploy.Target{MinSamples: 30}
	above, below := c.Attributes["above"], c.Attributes["below"]
	if (above == nil) == (below == nil) {
		l.add(errorf(rngPtr(b.DefRange), "Invalid target", "A target has exactly one of above and below."))
		return nil
	}
	if above != nil {
		f, ok := l.number(above, "target.above")
		if !ok {
			return nil
		}
		t.Above = &f
	}
	if below != nil {
		f, ok := l.number(below, "target.below")
		if !ok {
			return nil
		}
		t.Below = &f
	}
	if a := c.Attributes["min_samples"]; a != nil {
		n, ok := l.wholeNumber(a, "target.min_samples", 1)
		if !ok {
			return nil
		}
		t.MinSamples = n
	}
	return t
}

// firstBlock is the first of blocks of type typ, nil for none.
func firstBlock(blocks hcl.Blocks, typ string) *hcl.Block {
	for _, b := range blocks {
		if b.Type == typ {
			return b
		}
	}
	return nil
}
