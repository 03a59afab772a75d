package engine

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"time"

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
)

type customer struct {
	id      string
	profile map[string]events.Value
	// last is the timestamp of the last event processed.
	last     time.Time
	runs     []*run
	timeline []store.Transition

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
	for name, v := range c.profile {
		if slot, ok := l.Slot(name); ok && slot > 0 {
			rec[slot] = toExpr(v)
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

// The state encoding. Version 1.
const stateVersion = 1

var errCorruptState = errors.New("corrupt customer state")

func (c *customer) encode(b []byte) []byte {
	b = append(b, stateVersion)
	b = putTime(b, c.last)
	names := make([]string, 0, len(c.profile))
	for n := range c.profile {
		names = append(names, n)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		b = putString(b, n)
		b = events.AppendValue(b, c.profile[n])
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
		if t.Late {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

func decodeCustomer(id string, data []byte) (*customer, error) {
	d := &rd{b: data}
	if d.byte() != stateVersion {
		return nil, errCorruptState
	}
	c := &customer{id: id, profile: map[string]events.Value{}}
	c.last = d.time()
	for n := d.count(); n > 0 && !d.err; n-- {
		name := d.string()
		v, rest, err := events.ReadValue(d.b)
		if err != nil {
			return nil, errCorruptState
		}
		d.b = rest
		c.profile[name] = v
	}
	for n := d.count(); n > 0 && !d.err; n-- {
		r := &run{stack: d.string(), journey: d.string(), n: d.uvarint(), status: d.string(), stage: d.string()}
		r.entered, r.stageAt, r.left = d.time(), d.time(), d.time()
		for k := d.count(); k > 0 && !d.err; k-- {
			r.timers = append(r.timers, timer{kind: d.string(), due: d.time()})
		}
		c.runs = append(c.runs, r)
	}
	for n := d.count(); n > 0 && !d.err; n-- {
		t := store.Transition{Time: d.time(), Stack: d.string(), Journey: d.string(), Run: d.uvarint(),
			From: d.string(), To: d.string(), Reason: d.string(), Customer: id}
		t.Late = d.byte() == 1
		c.timeline = append(c.timeline, t)
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
