package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// stageKey names a stage of a journey of a stack, for counting customers.
type stageKey struct{ stack, journey, stage string }

// String is the key's form in the store's stage counts.
func (k stageKey) String() string { return k.stack + "\x00" + k.journey + "\x00" + k.stage }

func parseStageKey(s string) (stageKey, bool) {
	a, rest, ok1 := strings.Cut(s, "\x00")
	b, c, ok2 := strings.Cut(rest, "\x00")
	return stageKey{a, b, c}, ok1 && ok2
}

// work is what one shard does with one stretch of the log: the rules of
// runtime.md applied to its customers.
type work struct {
	sh      *shard
	cat     *compiled
	obs     Observer
	models  *models.Registry
	decided func(*decide.Decision)
	// noExplore ranks triggered decisions by the means (Options.NoExplore).
	noExplore bool
	// noTimeline keeps no timeline (Options.NoTimeline).
	noTimeline bool
	// act is reused from event to event.
	act expr.Activation
}

// event applies one event to its customer: traits first, then each
// journey of each stack, at most one transition per journey.
func (w *work) event(c *customer, ev *events.Event) {
	late := ev.Time.Before(c.last)
	t := ev.Time
	if late {
		t = c.last
	} else {
		c.last = t
	}
	if len(ev.Traits) > 0 {
		for _, f := range ev.Traits {
			if !c.consentTrait(f, t) {
				c.profile.set(f.Name, f.Value)
			}
		}
		c.rec = nil
	}
	c.dirty = true
	w.cancelUnless(c, ev.Type)
	var evRec expr.Record
	if l := w.cat.events[ev.Type]; l != nil {
		evRec = l.NewRecord()
		evRec[0] = expr.String(ev.ID)
		for _, f := range ev.Attributes {
			if slot, ok := l.Slot(f.Name); ok && slot > 0 {
				evRec[slot] = toExpr(f.Value)
			}
		}
	}
	for _, cs := range w.cat.stacks {
		w.activation(cs, c, evRec)
		reads := cs.reads[ev.Type]
		for i, cj := range cs.journeys {
			var kr kpiRead
			if reads != nil {
				kr = reads[i]
			}
			attrs, read := kr.attrs, kr.read
			// A KPI counts the event for a run in the journey before it
			// or after it: the one that reaches the goal and the one that
			// enters both count, once.
			counted := read && w.eventFact(c, cs, cj, ev, attrs, t)
			w.journey(cs, cj, c, ev.Type, t, late)
			if read && !counted {
				w.eventFact(c, cs, cj, ev, attrs, t)
			}
		}
	}
}

// activation fills w.act for the customer and a stack.
func (w *work) activation(cs *cstack, c *customer, evRec expr.Record) {
	a := &w.act
	a.Customer = c.record(w.cat)
	a.Event = evRec
	a.Segments = a.Segments[:0]
	a.Stages = a.Stages[:0]
	if cs.needStages {
		for _, cj := range cs.journeys {
			v := expr.NullValue()
			if r := c.journeyRun(w.cat, cs, cj); r != nil && r.status == StatusActive {
				v = expr.String(r.stage)
			}
			a.Stages = append(a.Stages, v)
		}
	}
	if cs.needSegments {
		for range cs.segments {
			a.Segments = append(a.Segments, expr.NullValue())
		}
		for _, i := range cs.order {
			if p := cs.segments[i]; p != nil {
				r, null := p.p.EvalBool(a)
				if null && p.p.OverBudget(a) {
					w.obs.OverBudget(p.name)
				} else if null {
					w.obs.NullCondition(p.name)
				}
				a.Segments[i] = expr.Bool(r)
			}
		}
	}
}

func (w *work) match(cr *ccrit, evType string) bool {
	if cr.event != "" && cr.event != evType {
		return false
	}
	if cr.cond == nil {
		return cr.event != ""
	}
	r, null := cr.cond.p.EvalBool(&w.act)
	if null && cr.cond.p.OverBudget(&w.act) {
		w.obs.OverBudget(cr.cond.name)
	} else if null {
		w.obs.NullCondition(cr.cond.name)
	}
	return r
}

// journey makes at most one transition of the customer in one journey.
func (w *work) journey(cs *cstack, cj *cjourney, c *customer, evType string, t time.Time, late bool) {
	j := cj.j
	r := c.journeyRun(w.cat, cs, cj)
	if r == nil || r.status != StatusActive {
		if j.State != catalog.StateActive || !w.match(&cj.entry, evType) {
			return
		}
		if r != nil && (j.Reentry != "after_leaving" || t.Sub(r.left) < j.ReentryAfter) {
			return
		}
		stage := 0
		for i := len(cj.stages) - 1; i > 0; i-- {
			if cr := cj.stages[i]; cr != nil && w.match(cr, evType) {
				stage = i
				break
			}
		}
		if r == nil {
			r = &run{stack: cs.st.Name, journey: j.Name}
			c.addRun(w.cat, cj, r)
		}
		r.n++
		r.status = StatusActive
		r.stage = j.Stages[stage].Name
		r.entered, r.stageAt, r.left = t, t, time.Time{}
		w.setTimers(j, c.id, r, -1)
		w.sh.count(stageKey{r.stack, r.journey, r.stage}, 1)
		w.record(c, r, "", r.stage, ReasonEntered, t, t, late)
		return
	}
	if cj.goal != nil && w.match(cj.goal, evType) {
		w.end(c, r, StatusCompleted, ReasonCompleted, t, late)
		return
	}
	for i := range cj.exits {
		if w.match(&cj.exits[i], evType) {
			w.end(c, r, StatusExited, ReasonExited, t, late)
			return
		}
	}
	cur := j.Stage(r.stage)
	for i := len(cj.stages) - 1; i > cur; i-- {
		if cr := cj.stages[i]; cr != nil && w.match(cr, evType) {
			w.move(c, r, j, i, ReasonMoved, t, late)
			return
		}
	}
}

// keepTriggers is the from stage of setTimers when the run did not move:
// trigger timers are kept where their actions still apply, none is added.
const keepTriggers = -2

// setTimers derives the run's timers from its journey, the run having come
// to its stage from stage index from (-1 when it entered). The trigger of
// an outbound action starts when the run enters the first of its stages
// and is kept while the run moves between them; it goes when the run
// leaves them. The trigger's delay is the customer's variant's when the
// action's experiment sets one.
func (w *work) setTimers(j *catalog.Journey, customer string, r *run, from int) {
	// Made in scratch, as they are derived from the old ones, then copied
	// over them: one array per run, reused from stage to stage.
	ts := w.derivedTimers(j, customer, r, from, w.sh.timerScratch[:0])
	r.timers = append(r.timers[:0], ts...)
	w.sh.timerScratch = ts[:0]
}

// derivedTimers appends to ts the timers of setTimers.
func (w *work) derivedTimers(j *catalog.Journey, customer string, r *run, from int, ts []timer) []timer {
	if j.Goal != nil && j.Within > 0 {
		ts = append(ts, timer{kind: timerWithin, due: r.entered.Add(j.Within)})
	}
	cur := j.Stage(r.stage)
	if cur >= 0 && j.Stages[cur].Timeout > 0 {
		ts = append(ts, timer{kind: timerTimeout, due: r.stageAt.Add(j.Stages[cur].Timeout)})
	}
	dj := w.cat.decJourney(r.stack, j.Index)
	if dj == nil {
		return ts
	}
	for _, t := range r.timers {
		if t.kind != timerTrigger {
			continue
		}
		if a := dj.Action(t.action); a != nil && a.Trigger != nil && a.InStage(cur) {
			ts = append(ts, t)
		}
	}
	if from == keepTriggers {
		return ts
	}
	for _, a := range dj.Actions {
		if a.Trigger != nil && a.InStage(cur) && !a.InStage(from) {
			ts = append(ts, timer{kind: timerTrigger, due: r.stageAt.Add(a.TriggerAfter(customer)), action: a.Name})
		}
	}
	return ts
}

// decJourney returns the decisioning view of a stack's journey.
func (c *compiled) decJourney(stack string, index int) *decide.Journey {
	cs := c.byName[stack]
	if cs == nil || c.dec == nil {
		return nil
	}
	js := c.dec.Stacks[cs.index].Journeys
	if index < 0 || index >= len(js) {
		return nil
	}
	return js[index]
}

// cancelUnless cancels the triggers that an event of type evType cancels.
func (w *work) cancelUnless(c *customer, evType string) {
	if len(w.cat.unless[evType]) == 0 {
		return
	}
	for _, r := range c.runs {
		if r.status != StatusActive {
			continue
		}
		var dj *decide.Journey
		kept := r.timers[:0]
		for _, t := range r.timers {
			if t.kind == timerTrigger {
				if dj == nil {
					if cs := w.cat.byName[r.stack]; cs != nil {
						if j := cs.st.Journey(r.journey); j != nil {
							dj = w.cat.decJourney(r.stack, j.Index)
						}
					}
				}
				if a := dj.Action(t.action); a != nil && a.Trigger != nil && slices.Contains(a.Trigger.Unless, evType) {
					c.dirty = true
					continue
				}
			}
			kept = append(kept, t)
		}
		r.timers = kept
	}
}

func (w *work) move(c *customer, r *run, j *catalog.Journey, to int, reason string, t time.Time, late bool) {
	from, since := r.stage, r.stageAt
	w.sh.count(stageKey{r.stack, r.journey, from}, -1)
	r.stage, r.stageAt = j.Stages[to].Name, t
	w.sh.count(stageKey{r.stack, r.journey, r.stage}, 1)
	w.setTimers(j, c.id, r, j.Stage(from))
	w.record(c, r, from, r.stage, reason, t, since, late)
}

func (w *work) end(c *customer, r *run, status, reason string, t time.Time, late bool) {
	w.sh.count(stageKey{r.stack, r.journey, r.stage}, -1)
	r.status, r.left, r.timers = status, t, nil
	w.record(c, r, r.stage, "", reason, t, r.stageAt, late)
	r.sent = nil // counted by the transition that ends the run
}

// record keeps a transition of run r at t, which reached from at since:
// in the customer's timeline (unless Options.NoTimeline) and as a fact
// for analytics.
func (w *work) record(c *customer, r *run, from, to, reason string, t, since time.Time, late bool) {
	at := &analytics.Transition{Time: t, Stack: r.stack, Journey: r.journey,
		Customer: c.id, Run: r.n, From: from, To: to, Reason: reason, Entered: r.entered, Since: since}
	if to == "" && len(r.sent) > 0 {
		// The run's first send of each action, for the KPIs attributed
		// to one (conversion(action.<name>)).
		at.Sent = make([]analytics.Sent, len(r.sent))
		for i, x := range r.sent {
			at.Sent[i] = analytics.Sent{Action: x.action, Time: x.at}
		}
	}
	w.sh.fact(t, analytics.Record{Transition: at})
	if !w.noTimeline {
		c.timeline = append(c.timeline, store.Transition{Time: t, Stack: r.stack, Journey: r.journey, Customer: c.id, Run: r.n,
			From: from, To: to, Reason: reason, Late: late})
		if len(c.timeline) > 2*timelineLen {
			c.timeline = append(c.timeline[:0], c.recent()...)
		}
	}
	c.dirty = true
	w.sh.trans[transKey{r.stack, r.journey, reason}]++
}

// held reports whether a journey's timers are held: it is paused.
func (c *compiled) held(stack, journey string) bool {
	if len(c.paused) == 0 {
		return false // as a rule: no lookup per run and timer
	}
	return c.paused[stack][journey]
}

// timerOrder orders timers due at one instant: goal.within, then a stage
// timeout, then triggers, so that a customer leaving a stage at the instant
// an action falls due there is not sent it.
func timerOrder(kind string) int {
	switch kind {
	case timerWithin:
		return 0
	case timerTimeout:
		return 1
	}
	return 2
}

// fire fires the customer's timers due before limit (at or before it when
// inclusive), earliest first; at one instant in timerOrder. Each transition is recorded at its timer's due time, or at the
// customer's last time if that is later (a timer held while its journey was
// paused).
func (w *work) fire(c *customer, limit time.Time, inclusive bool) {
	// due holds the earliest timer due of each run that has one, a heap
	// with the next to fire (ties by the order of the runs) on top,
	// worked out again only for the runs a firing may have changed: the
	// run fired, or every run after a trigger, which fires its fellows'
	// timers too.
	n := len(c.runs)
	due := w.dueTimers(c, limit, inclusive, w.sh.due[:0])
	defer func() { w.sh.due = due[:0] }()
	heapDue(due)
	for len(due) > 0 {
		r, tm := c.runs[due[0].run], due[0].tm
		t := tm.due
		if t.Before(c.last) {
			t = c.last
		} else {
			c.last = t
		}
		cs := w.cat.byName[r.stack]
		j := cs.st.Journey(r.journey)
		all := false
		switch tm.kind {
		case timerTrigger, timerAlert:
			w.trigger(c, tm.due, t, r, tm)
			// trigger consumes the timers it fires; one it could not match
			// with its action must still go, or this loop would pick it
			// again for ever.
			r.dropTimer(tm)
			all = true
		case timerWithin:
			w.end(c, r, StatusExpired, ReasonExpired, t, false)
		case timerTimeout:
			st := j.Stages[j.Stage(r.stage)]
			if st.TimeoutTo >= 0 {
				w.move(c, r, j, st.TimeoutTo, ReasonTimeout, t, false)
			} else {
				w.end(c, r, StatusTimedOut, ReasonTimedOut, t, false)
			}
		}
		switch {
		case all || len(c.runs) != n:
			n = len(c.runs)
			due = w.dueTimers(c, limit, inclusive, due[:0])
			heapDue(due)
		default:
			if x, ok := w.dueTimer(r, limit, inclusive); ok {
				due[0] = runDue{due[0].run, timerOrder(x.kind), x}
			} else {
				last := len(due) - 1
				due[0] = due[last]
				due = due[:last]
			}
			downDue(due, 0)
		}
	}
}

// runDue is the earliest timer due of the run at index run, with its
// timerOrder.
type runDue struct {
	run, order int
	tm         timer
}

// before reports whether d fires before e, as earlierTimer; at one
// instant and order, the earlier run first.
func (d *runDue) before(e *runDue) bool {
	c := d.tm.due.Compare(e.tm.due)
	return c < 0 || c == 0 && (d.order < e.order || d.order == e.order && d.run < e.run)
}

// heapDue orders due as a heap, the first to fire (before) on top.
func heapDue(due []runDue) {
	for i := len(due)/2 - 1; i >= 0; i-- {
		downDue(due, i)
	}
}

// downDue moves due[i] down the heap to its place.
func downDue(due []runDue, i int) {
	for {
		k := 2*i + 1
		if k >= len(due) {
			return
		}
		if k+1 < len(due) && due[k+1].before(&due[k]) {
			k++
		}
		if !due[k].before(&due[i]) {
			return
		}
		due[i], due[k] = due[k], due[i]
		i = k
	}
}

// dueTimers appends to due the earliest timer due of each of the
// customer's runs that has one, in the order of the runs.
func (w *work) dueTimers(c *customer, limit time.Time, inclusive bool, due []runDue) []runDue {
	for i, r := range c.runs {
		if x, ok := w.dueTimer(r, limit, inclusive); ok {
			due = append(due, runDue{i, timerOrder(x.kind), x})
		}
	}
	return due
}

// dueTimer returns the earliest of the run's timers due before limit (at
// or before it when inclusive), the first in timerOrder at one instant;
// false for none, or for a run that is not active or whose journey is
// held.
func (w *work) dueTimer(r *run, limit time.Time, inclusive bool) (timer, bool) {
	if len(r.timers) == 0 || r.status != StatusActive || w.cat.held(r.stack, r.journey) {
		return timer{}, false
	}
	best := -1
	for i := range r.timers {
		x := &r.timers[i]
		if x.due.After(limit) || (!inclusive && x.due.Equal(limit)) {
			continue
		}
		if best < 0 || earlierTimer(x, &r.timers[best]) {
			best = i
		}
	}
	if best < 0 {
		return timer{}, false
	}
	return r.timers[best], true
}

// earlierTimer reports whether x fires before y: it is due earlier, or at
// the same instant and before it in timerOrder.
func earlierTimer(x, y *timer) bool {
	c := x.due.Compare(y.due)
	return c < 0 || c == 0 && timerOrder(x.kind) < timerOrder(y.kind)
}

// reconcile brings the customer's runs of stack in line with a new
// deployment of it: runs follow moved blocks, those whose journey or stage
// is gone leave the journey (removed, at t), and timers follow the new
// durations. A journey that leaves paused fires its held timers on the
// next event or clock tick.
func (w *work) reconcile(c *customer, stack string, moves []catalog.Move, t time.Time) {
	cs := w.cat.byName[stack]
	c.byGen = nil // runs are renamed and dropped below
	kept := c.runs[:0]
	for _, r := range c.runs {
		if r.stack != stack {
			kept = append(kept, r)
			continue
		}
		jname, sname := r.journey, r.stage
		for _, m := range moves {
			if m.Journey && m.FromJourney == jname {
				jname = m.ToJourney
			}
		}
		for _, m := range moves {
			if !m.Journey && !m.Action && (m.FromJourney == r.journey || m.FromJourney == jname) && m.FromStage == sname {
				sname = m.ToStage
			}
		}
		// A moved action keeps its pending trigger and the contacts that
		// count against its limits.
		for _, m := range moves {
			if !m.Action || (m.FromJourney != r.journey && m.FromJourney != jname) {
				continue
			}
			for i := range r.timers {
				if r.timers[i].kind == timerTrigger && r.timers[i].action == m.FromAction {
					r.timers[i].action = m.ToAction
					c.dirty = true
				}
			}
			for i := range r.sent {
				if r.sent[i].action == m.FromAction {
					r.sent[i].action = m.ToAction
					c.dirty = true
				}
			}
			from := addrs.Address{Kind: addrs.Action, Journey: r.journey, Name: m.FromAction}.InStack(stack)
			to := addrs.Address{Kind: addrs.Action, Journey: jname, Name: m.ToAction}.InStack(stack)
			for i := range c.contacts {
				if c.contacts[i].action == from {
					c.contacts[i].action = to
					c.dirty = true
				}
			}
		}
		var j *catalog.Journey
		if cs != nil {
			j = cs.st.Journey(jname)
		}
		if j == nil || (r.status == StatusActive && j.Stage(sname) < 0) {
			if r.status == StatusActive {
				w.end(c, r, StatusRemoved, ReasonRemoved, t, false)
			}
			if j == nil {
				c.dirty = true
				continue // its journey is gone: so is the customer's history in it
			}
			kept = append(kept, r)
			continue
		}
		if jname != r.journey && c.run(stack, jname) != nil {
			// The target journey already has a run: keep that one.
			if r.status == StatusActive {
				w.end(c, r, StatusRemoved, ReasonRemoved, t, false)
			}
			c.dirty = true
			continue
		}
		if r.status == StatusActive && (jname != r.journey || sname != r.stage) {
			w.sh.count(stageKey{r.stack, r.journey, r.stage}, -1)
			w.sh.count(stageKey{r.stack, jname, sname}, 1)
			c.dirty = true
		}
		if jname != r.journey || sname != r.stage {
			c.dirty = true
		}
		r.journey, r.stage = jname, sname
		if r.status == StatusActive {
			before := append([]timer(nil), r.timers...)
			w.setTimers(j, c.id, r, keepTriggers)
			if !sameTimers(before, r.timers) {
				c.dirty = true
			}
		}
		kept = append(kept, r)
	}
	for i := len(kept); i < len(c.runs); i++ {
		c.runs[i] = nil
	}
	c.runs = kept
	c.byGen = nil
	if len(moves) > 0 && (len(c.contrib) > 0 || len(c.labels) > 0) {
		// What the customer taught a moved action's model is the moved
		// model's, for erasure to take out.
		rename := movedModel(stack, moves)
		for i := range c.contrib {
			if to, ok := rename(c.contrib[i].model); ok {
				c.contrib[i].model, c.dirty = to, true
			}
		}
		for i := range c.labels {
			if to, ok := rename(c.labels[i].action + "@"); ok {
				c.labels[i].action, c.dirty = strings.TrimSuffix(to, "@"), true
			}
		}
	}
}

func sameTimers(a, b []timer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].kind != b[i].kind || !a[i].due.Equal(b[i].due) {
			return false
		}
	}
	return true
}

// dropTimer removes tm from the run's timers if it is still there.
func (r *run) dropTimer(tm timer) {
	for i, x := range r.timers {
		if x == tm {
			r.timers = append(r.timers[:i], r.timers[i+1:]...)
			return
		}
	}
}
