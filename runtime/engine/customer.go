package engine

import (
	"cmp"
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Run statuses. A run is a customer's pass through a journey.
const (
	StatusActive    = "active"
	StatusCompleted = "completed"
	StatusExited    = "exited"
	StatusExpired   = "expired"
	StatusTimedOut  = "timed_out"
	StatusRemoved   = "removed"
)

// Transition reasons, as recorded.
const (
	ReasonEntered   = "entered"
	ReasonMoved     = "moved"
	ReasonTimeout   = "timeout" // moved on by a stage timeout with timeout_to
	ReasonCompleted = "completed"
	ReasonExited    = "exited"
	ReasonExpired   = "expired"
	ReasonTimedOut  = "timed_out"
	ReasonRemoved   = "removed" // the deployment removed its journey or stage
	ReasonRenamed   = "renamed" // a moved block renamed its journey or stage
)

// timelineLen is how many transitions a customer keeps with its state.
const timelineLen = 16

// recent is the customer's timeline: its last timelineLen transitions.
func (c *customer) recent() []store.Transition {
	return c.timeline[max(0, len(c.timeline)-timelineLen):]
}

// Timer kinds.
const (
	timerWithin  = "within"
	timerTimeout = "timeout"
	timerTrigger = "trigger" // an outbound action falling due
	timerAlert   = "alert"   // an action a KPI alert triggered (alertaction.go)
)

// Bounds of what a customer keeps for the decision pipeline.
const (
	maxContacts = 128
	maxLabels   = 32
	// minContactAge is how long contacts are kept even when no limit looks
	// back that far, so that a limit deployed later sees recent history.
	minContactAge = 7 * 24 * time.Hour
)

type customer struct {
	id      string
	profile profile
	// last is the timestamp of the last event processed.
	last time.Time
	runs []*run
	// timeline holds the customer's latest transitions, the last
	// timelineLen of them (recent) theirs: up to twice as many are kept,
	// so that the oldest are dropped once per timelineLen appends, not
	// at every one.
	timeline []store.Transition
	// contacts are recent contacts, oldest first.
	contacts []contact
	// ignores count ignored contacts in a row, per action.
	ignores []ignores
	// labels are the recent responses the models learnt from, one per
	// decision and action.
	labels []label
	// contrib is what the customer's responses added to each model, so
	// that erasure takes it out again.
	contrib []contribution
	// optOuts are the channels the customer unsubscribed from (consent
	// off), sorted by channel (consent.go).
	optOuts []optOut

	// byJourney indexes runs by their journey's index in byGen, ordered
	// by it, once a customer has more than indexRuns runs; dropped when
	// reconcile renames or removes runs.
	byJourney []runAt
	byGen     *compiled

	// rec caches the profile laid out for expressions, for gen.
	rec    expr.Record
	recGen *compiled
	// scheduled is the due time of the customer's entry in its shard's
	// timer heap; zero when none.
	scheduled time.Time
	// elem is the customer's place in its shard's cache.
	elem *list.Element
	// storedDue is the due time of the customer's timer as the store
	// holds it (or will, once the commit numbered gen is written).
	storedDue time.Time
	gen       uint64
	// dirty is set when the state changed since the last commit; queued
	// when the customer is in its shard's list of those to commit.
	dirty, queued bool
}

type run struct {
	stack, journey string
	n              uint64
	status         string
	stage          string
	entered        time.Time
	stageAt        time.Time
	left           time.Time
	timers         []timer
	// sent holds, while the run is active, its first send of each action
	// (the delivery queued for it), in order: the transition that ends the
	// run carries them to analytics, for conversion(action.<name>).
	sent []sent
}

// sent is a run's first send of an action.
type sent struct {
	action string // its name in the journey
	at     time.Time
}

// maxSent bounds the actions a run remembers sending.
const maxSent = 32

// noteSent remembers that the run sent action at t, unless it has sent it
// before.
func (r *run) noteSent(action string, t time.Time) {
	for _, x := range r.sent {
		if x.action == action {
			return
		}
	}
	if len(r.sent) < maxSent {
		r.sent = append(r.sent, sent{action, t})
	}
}

type timer struct {
	kind string
	due  time.Time
	// action is the action's name, for a trigger.
	action string
}

// contact is a delivery, or an impression on an inbound channel.
type contact struct {
	at      time.Time
	channel string
	action  string // ref
	// key is a hash of the delivery's idempotency key; 0 for an
	// impression. pending is set until the delivery is made.
	key     uint64
	pending bool
}

type ignores struct {
	action string // ref
	n      int
	until  time.Time // suppressed until then
}

type label struct {
	decision string
	action   string // ref
	positive bool
}

// contribution counts the positive and negative responses a customer gave
// a model, outside and inside the control group.
type contribution struct {
	model                string
	pos, neg, cpos, cneg int
}

// runAt is a run under its journey's index in a compiled catalog.
type runAt struct {
	j int
	r *run
}

// indexRuns is how many runs a customer has before lookups by journey go
// through an index instead of a scan.
const indexRuns = 8

// journeyRun is the customer's run of journey cj of stack cs in cat, as
// run(cs.st.Name, cj.j.Name) is, without scanning every run of a customer
// who is in many journeys.
func (c *customer) journeyRun(cat *compiled, cs *cstack, cj *cjourney) *run {
	if len(c.runs) <= indexRuns {
		return c.run(cs.st.Name, cj.j.Name)
	}
	if c.byGen != cat {
		c.indexRuns(cat)
	}
	if i, ok := c.runIndex(cj.index); ok {
		return c.byJourney[i].r
	}
	return nil
}

// runIndex is where journey j's run is in byJourney, or would be: a
// binary search, written out since it runs for every journey an event
// is matched against.
func (c *customer) runIndex(j int) (int, bool) {
	lo, hi := 0, len(c.byJourney)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.byJourney[m].j < j {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(c.byJourney) && c.byJourney[lo].j == j
}

// indexRuns builds byJourney for cat. Where two runs name one journey the
// first counts, as for run.
func (c *customer) indexRuns(cat *compiled) {
	c.byJourney = c.byJourney[:0]
	for _, r := range c.runs {
		if cj := cat.journeys[r.stack][r.journey]; cj != nil {
			c.byJourney = append(c.byJourney, runAt{cj.index, r})
		}
	}
	slices.SortStableFunc(c.byJourney, func(a, b runAt) int { return cmp.Compare(a.j, b.j) })
	c.byJourney = slices.CompactFunc(c.byJourney, func(a, b runAt) bool { return a.j == b.j })
	c.byGen = cat
}

// addRun appends a new run of journey cj in cat, keeping the index.
func (c *customer) addRun(cat *compiled, cj *cjourney, r *run) {
	c.runs = append(c.runs, r)
	if c.byGen != cat {
		return // built when needed
	}
	if i, ok := c.runIndex(cj.index); !ok {
		c.byJourney = slices.Insert(c.byJourney, i, runAt{cj.index, r})
	}
}

func (c *customer) run(stack, journey string) *run {
	for _, r := range c.runs {
		if r.journey == journey && r.stack == stack { // journeys differ more often
			return r
		}
	}
	return nil
}

// nextDue is the earliest timer of the customer's active runs; paused
// reports whether a journey is held (skip).
func (c *customer) nextDue(held func(stack, journey string) bool) time.Time {
	var next time.Time
	for _, r := range c.runs {
		if r.status != StatusActive || held(r.stack, r.journey) {
			continue
		}
		for _, t := range r.timers {
			if next.IsZero() || t.due.Before(next) {
				next = t.due
			}
		}
	}
	return next
}

// record returns the profile laid out for cat, rebuilding it when stale.
func (c *customer) record(cat *compiled) expr.Record {
	if c.recGen == cat && c.rec != nil {
		return c.rec
	}
	l := cat.customer
	rec := l.NewRecord()
	rec[0] = expr.String(c.id)
	for _, f := range c.profile {
		if slot, ok := l.Slot(f.name); ok && slot > 0 {
			rec[slot] = toExpr(f.v)
		}
	}
	for name, a := range cat.cat.Schema.Customer {
		if slot, ok := l.Slot(name); ok && slot > 0 && rec[slot].IsNull() {
			rec[slot] = toExpr(a.Default)
		}
	}
	c.rec, c.recGen = rec, cat
	return rec
}

func toExpr(v events.Value) expr.Value {
	switch v.Kind {
	case events.KindString:
		return expr.String(v.Str)
	case events.KindNumber:
		return expr.Number(v.Num)
	case events.KindBool:
		return expr.Bool(v.Bool)
	case events.KindList:
		return expr.List(v.List)
	}
	return expr.NullValue()
}

// The state encoding. Version 2 adds trigger timers and what the decision
// pipeline keeps; version 3 the channels unsubscribed from; version 4 each
// run's first sends (run.sent). Versions 1 to 3 are read too: their runs
// have sent nothing that an attributed KPI will count.
const stateVersion = 4

var errCorruptState = errors.New("corrupt customer state")

func (c *customer) encode(b []byte) []byte {
	b = append(b, stateVersion)
	b = wire.AppendTime(b, c.last)
	b = binary.AppendUvarint(b, uint64(len(c.profile)))
	for _, f := range c.profile {
		b = wire.AppendString(b, f.name)
		b = events.AppendValue(b, f.v)
	}
	b = binary.AppendUvarint(b, uint64(len(c.runs)))
	for _, r := range c.runs {
		b = wire.AppendString(b, r.stack)
		b = wire.AppendString(b, r.journey)
		b = binary.AppendUvarint(b, r.n)
		b = wire.AppendString(b, r.status)
		b = wire.AppendString(b, r.stage)
		b = wire.AppendTime(b, r.entered)
		b = wire.AppendTime(b, r.stageAt)
		b = wire.AppendTime(b, r.left)
		b = binary.AppendUvarint(b, uint64(len(r.timers)))
		for _, t := range r.timers {
			b = wire.AppendString(b, t.kind)
			b = wire.AppendTime(b, t.due)
			b = wire.AppendString(b, t.action)
		}
		b = binary.AppendUvarint(b, uint64(len(r.sent)))
		for _, x := range r.sent {
			b = wire.AppendString(b, x.action)
			b = wire.AppendTime(b, x.at)
		}
	}
	recent := c.recent()
	b = binary.AppendUvarint(b, uint64(len(recent)))
	for _, t := range recent {
		b = wire.AppendTime(b, t.Time)
		b = wire.AppendString(b, t.Stack)
		b = wire.AppendString(b, t.Journey)
		b = binary.AppendUvarint(b, t.Run)
		b = wire.AppendString(b, t.From)
		b = wire.AppendString(b, t.To)
		b = wire.AppendString(b, t.Reason)
		b = putBool(b, t.Late)
	}
	b = binary.AppendUvarint(b, uint64(len(c.contacts)))
	for _, ct := range c.contacts {
		b = wire.AppendTime(b, ct.at)
		b = wire.AppendString(b, ct.channel)
		b = wire.AppendString(b, ct.action)
		b = binary.AppendUvarint(b, ct.key)
		b = putBool(b, ct.pending)
	}
	b = binary.AppendUvarint(b, uint64(len(c.ignores)))
	for _, ig := range c.ignores {
		b = wire.AppendString(b, ig.action)
		b = binary.AppendUvarint(b, uint64(ig.n))
		b = wire.AppendTime(b, ig.until)
	}
	b = binary.AppendUvarint(b, uint64(len(c.labels)))
	for _, l := range c.labels {
		b = wire.AppendString(b, l.decision)
		b = wire.AppendString(b, l.action)
		b = putBool(b, l.positive)
	}
	b = binary.AppendUvarint(b, uint64(len(c.contrib)))
	for _, m := range c.contrib {
		b = wire.AppendString(b, m.model)
		for _, n := range []int{m.pos, m.neg, m.cpos, m.cneg} {
			b = binary.AppendUvarint(b, uint64(n))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(c.optOuts)))
	for _, o := range c.optOuts {
		b = wire.AppendString(b, o.channel)
		b = wire.AppendTime(b, o.at)
		b = wire.AppendString(b, o.source)
	}
	return b
}

func putBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// openCustomer decodes a customer as stored, opening a sealed state.
func (e *Engine) openCustomer(ctx context.Context, sc store.Customer) (*customer, error) {
	data := sc.Data
	if len(data) > 0 && data[0] == TagSealed {
		if e.opts.OpenState == nil {
			return nil, errors.New("the state is sealed and the engine has no key to open it")
		}
		var err error
		if data, err = e.opts.OpenState(ctx, sc.ID, data); err != nil {
			return nil, err
		}
	}
	return decodeCustomer(sc.ID, data)
}

// withCap returns s with room for n more elements (n bounded by what is
// left to read), so that a decode appends without growing it step by step.
func withCap[T any](s []T, n uint64) []T { return slices.Grow(s, int(n)) }

func decodeCustomer(id string, data []byte) (*customer, error) {
	d := &wire.Reader{B: data}
	version := d.Byte()
	if version < 1 || version > stateVersion {
		return nil, errCorruptState
	}
	c := &customer{id: id}
	c.last = d.Time()
	for n := d.Count(); n > 0 && !d.Err; n-- {
		name := d.String()
		v, rest, err := events.ReadValue(d.B)
		if err != nil {
			return nil, errCorruptState
		}
		d.B = rest
		c.profile.set(name, v)
	}
	n := d.Count()
	c.runs = withCap(c.runs, n)
	for ; n > 0 && !d.Err; n-- {
		r := &run{stack: d.Intern(), journey: d.Intern(), n: d.Uvarint(), status: d.Intern(), stage: d.Intern()}
		r.entered, r.stageAt, r.left = d.Time(), d.Time(), d.Time()
		k := d.Count()
		r.timers = withCap(r.timers, k)
		for ; k > 0 && !d.Err; k-- {
			t := timer{kind: d.Intern(), due: d.Time()}
			if version >= 2 {
				t.action = d.Intern()
			}
			r.timers = append(r.timers, t)
		}
		if version >= 4 {
			k := d.Count()
			r.sent = withCap(r.sent, k)
			for ; k > 0 && !d.Err; k-- {
				r.sent = append(r.sent, sent{action: d.Intern(), at: d.Time()})
			}
		}
		c.runs = append(c.runs, r)
	}
	n = d.Count()
	c.timeline = withCap(c.timeline, n)
	for ; n > 0 && !d.Err; n-- {
		t := store.Transition{Time: d.Time(), Stack: d.Intern(), Journey: d.Intern(), Run: d.Uvarint(),
			From: d.Intern(), To: d.Intern(), Reason: d.Intern(), Customer: id}
		t.Late = d.Byte() == 1
		c.timeline = append(c.timeline, t)
	}
	if version >= 2 {
		for n := d.Count(); n > 0 && !d.Err; n-- {
			c.contacts = append(c.contacts, contact{at: d.Time(), channel: d.Intern(), action: d.Intern(), key: d.Uvarint(), pending: d.Byte() == 1})
		}
		for n := d.Count(); n > 0 && !d.Err; n-- {
			c.ignores = append(c.ignores, ignores{action: d.Intern(), n: int(d.Uvarint()), until: d.Time()})
		}
		for n := d.Count(); n > 0 && !d.Err; n-- {
			c.labels = append(c.labels, label{decision: d.String(), action: d.Intern(), positive: d.Byte() == 1})
		}
		for n := d.Count(); n > 0 && !d.Err; n-- {
			c.contrib = append(c.contrib, contribution{model: d.Intern(), pos: int(d.Uvarint()), neg: int(d.Uvarint()), cpos: int(d.Uvarint()), cneg: int(d.Uvarint())})
		}
	}
	if version >= 3 {
		for n := d.Count(); n > 0 && !d.Err; n-- {
			c.optOuts = append(c.optOuts, optOut{channel: d.Intern(), at: d.Time(), source: d.Intern()})
		}
	}
	if d.Err || len(d.B) != 0 {
		return nil, errCorruptState
	}
	return c, nil
}
