package engine

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
	"unique"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/expr"
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

// Timer kinds.
const (
	timerWithin  = "within"
	timerTimeout = "timeout"
	timerTrigger = "trigger" // an outbound action falling due
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
	last     time.Time
	runs     []*run
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

	// rec caches the profile laid out for expressions, for gen.
	rec    expr.Record
	recGen *compiled
	// scheduled is the due time of the customer's entry in its shard's
	// timer heap; zero when none.
	scheduled time.Time
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

func (c *customer) run(stack, journey string) *run {
	for _, r := range c.runs {
		if r.stack == stack && r.journey == journey {
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
// pipeline keeps; version 1 is read too.
const stateVersion = 2

var errCorruptState = errors.New("corrupt customer state")

func (c *customer) encode(b []byte) []byte {
	b = append(b, stateVersion)
	b = putTime(b, c.last)
	b = binary.AppendUvarint(b, uint64(len(c.profile)))
	for _, f := range c.profile {
		b = putString(b, f.name)
		b = events.AppendValue(b, f.v)
	}
	b = binary.AppendUvarint(b, uint64(len(c.runs)))
	for _, r := range c.runs {
		b = putString(b, r.stack)
		b = putString(b, r.journey)
		b = binary.AppendUvarint(b, r.n)
		b = putString(b, r.status)
		b = putString(b, r.stage)
		b = putTime(b, r.entered)
		b = putTime(b, r.stageAt)
		b = putTime(b, r.left)
		b = binary.AppendUvarint(b, uint64(len(r.timers)))
		for _, t := range r.timers {
			b = putString(b, t.kind)
			b = putTime(b, t.due)
			b = putString(b, t.action)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(c.timeline)))
	for _, t := range c.timeline {
		b = putTime(b, t.Time)
		b = putString(b, t.Stack)
		b = putString(b, t.Journey)
		b = binary.AppendUvarint(b, t.Run)
		b = putString(b, t.From)
		b = putString(b, t.To)
		b = putString(b, t.Reason)
		b = putBool(b, t.Late)
	}
	b = binary.AppendUvarint(b, uint64(len(c.contacts)))
	for _, ct := range c.contacts {
		b = putTime(b, ct.at)
		b = putString(b, ct.channel)
		b = putString(b, ct.action)
		b = binary.AppendUvarint(b, ct.key)
		b = putBool(b, ct.pending)
	}
	b = binary.AppendUvarint(b, uint64(len(c.ignores)))
	for _, ig := range c.ignores {
		b = putString(b, ig.action)
		b = binary.AppendUvarint(b, uint64(ig.n))
		b = putTime(b, ig.until)
	}
	b = binary.AppendUvarint(b, uint64(len(c.labels)))
	for _, l := range c.labels {
		b = putString(b, l.decision)
		b = putString(b, l.action)
		b = putBool(b, l.positive)
	}
	b = binary.AppendUvarint(b, uint64(len(c.contrib)))
	for _, m := range c.contrib {
		b = putString(b, m.model)
		for _, n := range []int{m.pos, m.neg, m.cpos, m.cneg} {
			b = binary.AppendUvarint(b, uint64(n))
		}
	}
	return b
}

func putBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func decodeCustomer(id string, data []byte) (*customer, error) {
	d := &rd{b: data}
	version := d.byte()
	if version != 1 && version != stateVersion {
		return nil, errCorruptState
	}
	c := &customer{id: id}
	c.last = d.time()
	for n := d.count(); n > 0 && !d.err; n-- {
		name := d.string()
		v, rest, err := events.ReadValue(d.b)
		if err != nil {
			return nil, errCorruptState
		}
		d.b = rest
		c.profile.set(name, v)
	}
	for n := d.count(); n > 0 && !d.err; n-- {
		r := &run{stack: d.istring(), journey: d.istring(), n: d.uvarint(), status: d.istring(), stage: d.istring()}
		r.entered, r.stageAt, r.left = d.time(), d.time(), d.time()
		for k := d.count(); k > 0 && !d.err; k-- {
			t := timer{kind: d.istring(), due: d.time()}
			if version >= 2 {
				t.action = d.istring()
			}
			r.timers = append(r.timers, t)
		}
		c.runs = append(c.runs, r)
	}
	for n := d.count(); n > 0 && !d.err; n-- {
		t := store.Transition{Time: d.time(), Stack: d.istring(), Journey: d.istring(), Run: d.uvarint(),
			From: d.istring(), To: d.istring(), Reason: d.istring(), Customer: id}
		t.Late = d.byte() == 1
		c.timeline = append(c.timeline, t)
	}
	if version >= 2 {
		for n := d.count(); n > 0 && !d.err; n-- {
			c.contacts = append(c.contacts, contact{at: d.time(), channel: d.istring(), action: d.istring(), key: d.uvarint(), pending: d.byte() == 1})
		}
		for n := d.count(); n > 0 && !d.err; n-- {
			c.ignores = append(c.ignores, ignores{action: d.istring(), n: int(d.uvarint()), until: d.time()})
		}
		for n := d.count(); n > 0 && !d.err; n-- {
			c.labels = append(c.labels, label{decision: d.string(), action: d.istring(), positive: d.byte() == 1})
		}
		for n := d.count(); n > 0 && !d.err; n-- {
			c.contrib = append(c.contrib, contribution{model: d.istring(), pos: int(d.uvarint()), neg: int(d.uvarint()), cpos: int(d.uvarint()), cneg: int(d.uvarint())})
		}
	}
	if d.err || len(d.b) != 0 {
		return nil, errCorruptState
	}
	return c, nil
}

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// putTime writes zero as 0, others as nanoseconds since 1970 plus one.
func putTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	n := t.UnixNano()
	if n >= 0 {
		n++
	}
	return binary.AppendVarint(b, n)
}

type rd struct {
	b   []byte
	err bool
}

func (d *rd) byte() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *rd) uvarint() uint64 {
	n, w := binary.Uvarint(d.b)
	if w <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[w:]
	return n
}

func (d *rd) count() uint64 {
	n := d.uvarint()
	if n > uint64(len(d.b)) || n > math.MaxInt32 {
		d.err = true
		return 0
	}
	return n
}

func (d *rd) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// istring reads a string that many customers share (names of stacks,
// journeys, stages, actions), interned so that a million customers hold
// one copy of each.
func (d *rd) istring() string {
	s := d.string()
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

func (d *rd) time() time.Time {
	n, w := binary.Varint(d.b)
	if w <= 0 {
		d.err, d.b = true, nil
		return time.Time{}
	}
	d.b = d.b[w:]
	switch {
	case n == 0:
		return time.Time{}
	case n > 0:
		n--
	}
	return time.Unix(0, n).UTC()
}
