package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
	"github.com/waymarkhq/waymark/runtime/store"
)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// growth returns the growth stack with the cart_recovery journey changed
// by mod and further stages added by more.
func growth(mod func(*deploy.Journey), more ...deploy.Stage) *deploy.Document {
	d := fixture.New("growth").Shared().CartRecovery(mod)
	for _, s := range more {
		d.Stage(s)
	}
	return d.Done()
}

// tick moves the event clock by an event of a bystander.
func tick(at time.Duration) *events.Event { return ev("ticket_opened", "bystander", at) }

func TestJourneyRules(t *testing.T) {
	cart := func(c string, at time.Duration, v int) *events.Event {
		return ev("cart_updated", c, at, "cart_value", v)
	}
	tests := []struct {
		name  string
		doc   *deploy.Document
		steps []*events.Event
		want  string // path of c1 in cart_recovery
	}{
		{"entry matches", growth(nil), []*events.Event{cart("c1", 0, 30)}, "entered:browsing@0s"},
		{"entry condition false", growth(nil), []*events.Event{cart("c1", 0, 10)}, ""},
		{"entry condition meets null", growth(nil), []*events.Event{ev("cart_updated", "c1", 0)}, ""},
		{"other event type does not enter", growth(nil), []*events.Event{ev("checkout_started", "c1", 0)}, ""},
		{
			"enter at the furthest matching stage",
			growth(func(j *deploy.Journey) { j.Stages = append(j.Stages, "big") },
				deploy.Stage{Journey: "cart_recovery", Name: "big", Index: 2, Entry: &deploy.Criterion{Event: "cart_updated", Condition: "event.cart_value > 100"}}),
			[]*events.Event{cart("c1", 0, 150)}, "entered:big@0s",
		},
		{
			"the entering event does nothing else",
			growth(func(j *deploy.Journey) {
				j.Goal = &deploy.Goal{Criterion: deploy.Criterion{Event: "cart_updated", Condition: "event.cart_value > 50"}}
			}),
			[]*events.Event{cart("c1", 0, 60), cart("c1", hour, 60)}, "entered:browsing@0s completed@1h0m0s",
		},
		{
			"goal, then exit ignored",
			growth(nil),
			[]*events.Event{cart("c1", 0, 30), ev("order_placed", "c1", hour), ev("ticket_opened", "c1", 2*hour)},
			"entered:browsing@0s completed@1h0m0s",
		},
		{"exit", growth(nil), []*events.Event{cart("c1", 0, 30), ev("ticket_opened", "c1", hour)}, "entered:browsing@0s exited@1h0m0s"},
		{
			"goal wins over an exit on the same event",
			growth(func(j *deploy.Journey) { j.Exits = []deploy.Criterion{{Event: "order_placed"}} }),
			[]*events.Event{cart("c1", 0, 30), ev("order_placed", "c1", hour)}, "entered:browsing@0s completed@1h0m0s",
		},
		{
			"stages move forward only, to the furthest match",
			growth(func(j *deploy.Journey) { j.Stages = append(j.Stages, "paying") },
				deploy.Stage{Journey: "cart_recovery", Name: "paying", Index: 2, Entry: &deploy.Criterion{Event: "cart_updated", Condition: "event.cart_value > 100"}}),
			[]*events.Event{cart("c1", 0, 30), cart("c1", hour, 500), ev("checkout_started", "c1", 2*hour)},
			"entered:browsing@0s moved:paying@1h0m0s",
		},
		{
			"reentry never",
			growth(func(j *deploy.Journey) { j.Reentry, j.ReentryAfter = "never", "" }),
			[]*events.Event{cart("c1", 0, 30), ev("order_placed", "c1", hour), cart("c1", 40*day, 30)},
			"entered:browsing@0s completed@1h0m0s",
		},
		{
			"reentry after leaving, once reentry_after has passed",
			growth(nil),
			[]*events.Event{cart("c1", 0, 30), ev("order_placed", "c1", hour), cart("c1", 2*hour, 30), cart("c1", 30*day+hour, 30)},
			"entered:browsing@0s completed@1h0m0s entered:browsing@721h0m0s",
		},
		{
			"goal.within runs out",
			growth(nil),
			[]*events.Event{cart("c1", 0, 30), tick(14 * day), tick(14*day + time.Second)},
			"entered:browsing@0s expired@336h0m0s",
		},
		{
			"a goal exactly at the end of within counts",
			growth(nil),
			[]*events.Event{cart("c1", 0, 30), ev("order_placed", "c1", 14*day), tick(15 * day)},
			"entered:browsing@0s completed@336h0m0s",
		},
		{
			"a timer fires before a later event of its customer",
			growth(nil),
			[]*events.Event{cart("c1", 0, 30), ev("order_placed", "c1", 14*day+time.Second)},
			"entered:browsing@0s expired@336h0m0s",
		},
		{
			"stage timeout leaves the journey",
			growth(nil),
			[]*events.Event{cart("c1", 0, 30), ev("checkout_started", "c1", hour), tick(3*hour + time.Second)},
			"entered:browsing@0s moved:checkout@1h0m0s timed_out@3h0m0s",
		},
		{
			"stage timeout moves to timeout_to",
			func() *deploy.Document {
				d := fixture.New("growth").Shared().CartRecovery(func(j *deploy.Journey) { j.Stages = append(j.Stages, "rescue") })
				d.Stage(deploy.Stage{Journey: "cart_recovery", Name: "rescue", Index: 2})
				for i := range d.Objects {
					if s := d.Objects[i].Stage; s != nil && s.Name == "checkout" {
						s.TimeoutTo = "rescue"
					}
				}
				return d.Done()
			}(),
			[]*events.Event{cart("c1", 0, 30), ev("checkout_started", "c1", hour), tick(4 * hour)},
			"entered:browsing@0s moved:checkout@1h0m0s timeout:rescue@3h0m0s",
		},
		{
			"late events are processed in arrival order and flagged",
			growth(nil),
			[]*events.Event{cart("c1", 2*hour, 30), ev("checkout_started", "c1", hour)},
			"entered:browsing@2h0m0s moved:checkout@2h0m0s(late)",
		},
		{
			"conditions without an event are checked on trait updates",
			growth(func(j *deploy.Journey) {
				j.Entry = deploy.Criterion{Condition: `customer.tier == "gold"`}
				j.Goal = &deploy.Goal{Criterion: deploy.Criterion{Condition: "customer.email_opt_in"}}
			}),
			[]*events.Event{
				{Customer: "c1", Time: t0, Traits: []events.Field{{Name: "tier", Value: events.Value{Kind: events.KindString, Str: "silver"}}}},
				{Customer: "c1", Time: t0.Add(hour), Traits: []events.Field{{Name: "tier", Value: events.Value{Kind: events.KindString, Str: "gold"}}}},
				ev("checkout_started", "c1", 2*hour, "trait:email_opt_in", true),
			},
			"entered:browsing@1h0m0s completed@2h0m0s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.deploy(tt.doc)
			for _, e := range tt.steps {
				h.send(e)
			}
			if got := h.path("c1", "cart_recovery"); got != tt.want {
				t.Errorf("path\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestFactsAreStored(t *testing.T) {
	h := newHarness(t, true)
	doc := fixture.New("growth").Shared().CartRecovery(nil).
		KPI(deploy.KPI{Journey: "cart_recovery", Name: "spend", Metric: deploy.Metric{Function: "average", Event: "cart_updated", Attribute: "cart_value"}, Window: "7d"}).
		KPI(deploy.KPI{Journey: "cart_recovery", Name: "tickets", Metric: deploy.Metric{Function: "rate", Event: "ticket_opened"}, Window: "7d"}).
		Done()
	h.deploy(doc)
	// c1 enters on a cart (counted after entering), updates it (counted
	// once), then leaves on a ticket (counted before leaving); c2's cart
	// of 10 enters nothing and is not counted.
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("cart_updated", "c2", 0, "cart_value", 10),
		ev("cart_updated", "c1", hour, "cart_value", 40), ev("ticket_opened", "c1", 2*hour))
	facts, err := h.st.Facts(context.Background(), nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, f := range facts {
		if f.Seq != uint64(i+1) {
			t.Fatalf("fact %d has seq %d", i, f.Seq)
		}
		var r analytics.Record
		if err := r.UnmarshalBinary(f.Data); err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Transition != nil:
			tr := r.Transition
			if tr.Customer != "c1" || tr.Run != 1 || !tr.Entered.Equal(t0) {
				t.Errorf("transition %+v", tr)
			}
			got = append(got, fmt.Sprintf("%s %s>%s @%s since %s", tr.Reason, tr.From, tr.To, tr.Time.Sub(t0), tr.Since.Sub(t0)))
		case r.Event != nil:
			e := r.Event
			got = append(got, fmt.Sprintf("event %s %s %v @%s", e.Customer, e.Type, e.Attributes, e.Time.Sub(t0)))
		default:
			t.Errorf("unexpected fact %+v", r)
		}
	}
	want := []string{
		"entered >browsing @0s since 0s",
		"event c1 cart_updated map[cart_value:30] @0s",
		"event c1 cart_updated map[cart_value:40] @1h0m0s",
		"event c1 ticket_opened map[] @2h0m0s",
		"exited browsing> @2h0m0s since 0s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("facts\n got %q\nwant %q", got, want)
	}
	if r := h.run("c1", "cart_recovery"); r.Status != StatusExited || r.N != 1 {
		t.Fatalf("run %+v", r)
	}
}

func TestStagesCount(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "a", 0, "cart_value", 30), ev("cart_updated", "b", 0, "cart_value", 30),
		ev("checkout_started", "b", hour), ev("cart_updated", "c", 0, "cart_value", 30), ev("ticket_opened", "c", hour))
	got := h.stageCounts()
	want := []StageCount{{"growth", "cart_recovery", "browsing", 1}, {"growth", "cart_recovery", "checkout", 1}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("counts %+v", got)
	}
	h.restart()
	if got := h.stageCounts(); len(got) != 2 || got[0] != want[0] {
		t.Fatalf("counts after restart %+v", got)
	}
}

func TestPausedAndDraining(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("checkout_started", "c1", hour))
	h.deploy(growth(func(j *deploy.Journey) { j.State = "paused" }))
	h.send(ev("cart_updated", "c2", 2*hour, "cart_value", 30), tick(5*hour))
	if p := h.path("c2", "cart_recovery"); p != "" {
		t.Fatalf("a paused journey took an entry: %s", p)
	}
	if r := h.run("c1", "cart_recovery"); r.Status != StatusActive {
		t.Fatalf("a paused journey's timer fired: %+v", r)
	}
	h.deploy(growth(func(j *deploy.Journey) { j.State = "draining" }))
	h.send(ev("cart_updated", "c3", 6*hour, "cart_value", 30), tick(7*hour))
	if p := h.path("c3", "cart_recovery"); p != "" {
		t.Fatalf("a draining journey took an entry: %s", p)
	}
	// The held timeout fires once the journey runs again, recorded no
	// earlier than the customer's own last time.
	if p := h.path("c1", "cart_recovery"); p != "entered:browsing@0s moved:checkout@1h0m0s timed_out@3h0m0s" {
		t.Fatalf("c1 after draining: %s", p)
	}
}

func TestMovedBlocks(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("checkout_started", "c1", hour),
		ev("cart_updated", "c2", 0, "cart_value", 30))
	// checkout becomes pay (moved); browsing is removed without a move.
	d := fixture.New("growth").Shared().Journey(deploy.Journey{
		Name: "cart_recovery", Reentry: "after_leaving",
		Entry:  deploy.Criterion{Event: "cart_updated", Condition: "event.cart_value > 20"},
		Goal:   &deploy.Goal{Criterion: deploy.Criterion{Event: "order_placed"}, Within: "14d"},
		Stages: []string{"pay"},
	}).Stage(deploy.Stage{Journey: "cart_recovery", Name: "pay", Index: 0, Timeout: "4h"}).
		Move("journey.cart_recovery.stage.checkout", "journey.cart_recovery.stage.pay").Done()
	h.deploy(d)
	r := h.run("c1", "cart_recovery")
	if r.Status != StatusActive || r.Stage != "pay" || len(r.Timers) != 2 || !r.Timers[1].Due.Equal(t0.Add(5*hour)) {
		t.Fatalf("c1 after the move: %+v", r)
	}
	if r := h.run("c2", "cart_recovery"); r.Status != StatusRemoved {
		t.Fatalf("c2 after its stage was removed: %+v", r)
	}
	// A renamed journey keeps its customers.
	h.deploy(fixture.New("growth").Shared().Journey(deploy.Journey{
		Name: "recovery", Entry: deploy.Criterion{Event: "cart_updated"}, Stages: []string{"pay"},
	}).Stage(deploy.Stage{Journey: "recovery", Name: "pay", Index: 0}).Move("journey.cart_recovery", "journey.recovery").Done())
	if r := h.run("c1", "recovery"); r.Status != StatusActive || r.Stage != "pay" || len(r.Timers) != 0 {
		t.Fatalf("c1 after the journey was renamed: %+v", r)
	}
	if got := h.stageCounts(); len(got) != 1 || got[0].Journey != "recovery" || got[0].Customers != 1 {
		t.Fatalf("counts %+v", got)
	}
}

func TestTimersSurviveRestart(t *testing.T) {
	for _, eventClock := range []bool{true, false} {
		h := newHarness(t, eventClock)
		h.deploy(growth(nil))
		h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("checkout_started", "c1", hour))
		h.restart()
		if eventClock {
			h.send(tick(4 * hour))
		} else {
			h.clock.Set(t0.Add(3*hour + time.Minute))
			h.sync()
		}
		if p := h.path("c1", "cart_recovery"); p != "entered:browsing@0s moved:checkout@1h0m0s timed_out@3h0m0s" {
			t.Fatalf("event clock %v: path after restart %s", eventClock, p)
		}
	}
}

func TestWallClockTimers(t *testing.T) {
	h := newHarness(t, false)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("checkout_started", "c1", hour))
	h.clock.Set(t0.Add(2*hour + 59*time.Minute))
	h.sync()
	if r := h.run("c1", "cart_recovery"); r.Status != StatusActive {
		t.Fatalf("fired early: %+v", r)
	}
	h.clock.Set(t0.Add(3*hour + 10*time.Minute))
	h.sync()
	if p := h.path("c1", "cart_recovery"); p != "entered:browsing@0s moved:checkout@1h0m0s timed_out@3h0m0s" {
		t.Fatalf("path %s", p)
	}
}

// A replay gives the same figures however the stream is batched.
func TestBatchingDoesNotChangeOutcomes(t *testing.T) {
	stream := func() []*events.Event {
		var out []*events.Event
		for i := 0; i < 40; i++ {
			c := []string{"a", "b", "c", "d"}[i%4]
			at := time.Duration(i) * 37 * time.Minute
			switch i % 5 {
			case 0, 1:
				out = append(out, ev("cart_updated", c, at, "cart_value", 30))
			case 2:
				out = append(out, ev("checkout_started", c, at))
			case 3:
				out = append(out, ev("order_placed", c, at+3*hour))
			default:
				out = append(out, tick(at))
			}
		}
		return out
	}
	paths := func(batched bool) string {
		h := newHarness(t, true)
		h.deploy(growth(nil))
		evs := stream()
		if batched {
			h.send(evs...)
		} else {
			for _, e := range evs {
				h.send(e)
			}
		}
		h.send(tick(40 * day))
		out := ""
		for _, c := range []string{"a", "b", "c", "d"} {
			out += c + ": " + h.path(c, "cart_recovery") + "\n"
		}
		return out
	}
	one, many := paths(true), paths(false)
	if one != many {
		t.Fatalf("one batch:\n%s\nevent by event:\n%s", one, many)
	}
}

func TestErase(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:tier", "gold"))
	if _, err := h.st.Append(context.Background(), []store.LogRecord{{Partition: store.PartitionOf("c1"), Arrival: t0, Data: EncodeErase("c1")}}); err != nil {
		t.Fatal(err)
	}
	h.e.Notify()
	h.sync()
	if _, ok, _ := h.e.Customer(context.Background(), "c1"); ok {
		t.Fatal("the customer is still there")
	}
	if _, err := h.st.Customer(context.Background(), "c1"); err == nil {
		t.Fatal("the customer is still stored")
	}
	if got := h.stageCounts(); len(got) != 0 {
		t.Fatalf("counts %+v", got)
	}
}

func TestCustomerStateRoundTrip(t *testing.T) {
	c := &customer{id: "c1", profile: profileOf(map[string]events.Value{"tier": {Kind: events.KindString, Str: "gold"}, "n": {Kind: events.KindNumber, Num: 2}}),
		last: t0.Add(hour),
		runs: []*run{{stack: "growth", journey: "cart", n: 2, status: StatusActive, stage: "browsing", entered: t0, stageAt: t0,
			timers: []timer{{kind: timerWithin, due: t0.Add(day)}, {kind: timerTrigger, due: t0.Add(hour), action: "remind"}}}, {stack: "growth", journey: "other", n: 1, status: StatusExpired, left: t0}},
		timeline: []store.Transition{{Time: t0, Stack: "growth", Journey: "cart", Customer: "c1", Run: 2, To: "browsing", Reason: ReasonEntered, Late: true}},
		contacts: []contact{{at: t0, channel: "email", action: "growth/journey.cart.action.remind", key: 7, pending: true}, {at: t0.Add(hour), channel: "web", action: "growth/journey.cart.action.banner"}},
		ignores:  []ignores{{action: "growth/journey.cart.action.banner", n: 2, until: t0.Add(day)}},
		labels:   []label{{decision: "0123", action: "growth/journey.cart.action.banner", positive: true}},
		contrib:  []contribution{{model: "growth/journey.cart.action.banner@web", pos: 1, neg: 2, cpos: 3, cneg: 4}},
		optOuts:  []optOut{{channel: "email", at: t0.Add(day), source: OptOutResponse}, {channel: "sms", at: t0, source: OptOutTrait}},
	}
	b := c.encode(nil)
	got, err := decodeCustomer("c1", b)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.encode(nil)) != string(b) {
		t.Fatal("state does not round trip")
	}
	if got.runs[0].timers[0].due != t0.Add(day) || !got.timeline[0].Late || got.profile[1].v.Str != "gold" ||
		got.runs[0].timers[1].action != "remind" || !got.contacts[0].pending || got.contrib[0].cneg != 4 ||
		!got.optedOut("sms") || got.optOuts[0].at != t0.Add(day) || got.optOuts[0].source != OptOutResponse {
		t.Fatalf("decoded %+v", got)
	}
	// State written by version 1, before triggers and contacts, still reads.
	v1 := []byte{1}
	v1 = wire.AppendTime(v1, c.last)
	v1 = append(v1, 0) // no profile
	v1 = append(v1, 1)
	r := c.runs[0]
	for _, x := range []string{r.stack, r.journey} {
		v1 = wire.AppendString(v1, x)
	}
	v1 = append(v1, byte(r.n))
	v1 = wire.AppendString(wire.AppendString(v1, r.status), r.stage)
	v1 = wire.AppendTime(wire.AppendTime(wire.AppendTime(v1, r.entered), r.stageAt), r.left)
	v1 = append(v1, 1)
	v1 = wire.AppendTime(wire.AppendString(v1, timerWithin), t0.Add(day))
	v1 = append(v1, 0) // no timeline
	old, err := decodeCustomer("c1", v1)
	if err != nil || len(old.runs) != 1 || old.runs[0].timers[0].due != t0.Add(day) || old.runs[0].stage != "browsing" {
		t.Fatalf("version 1: %+v %v", old, err)
	}
	for i := range b {
		if _, err := decodeCustomer("c1", b[:i]); err == nil {
			t.Fatalf("state cut at %d decoded", i)
		}
	}
}

// A clock record moves the event clock with no event: the timers due
// before its time fire, those due at or after it wait, and no customer
// appears for it.
func TestClockRecord(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("checkout_started", "c1", hour))
	advance := func(at time.Duration) {
		t.Helper()
		if _, err := h.st.Append(context.Background(), []store.LogRecord{ClockRecord(t0.Add(at), h.clock.Now())}); err != nil {
			t.Fatal(err)
		}
		h.e.Notify()
		h.sync()
	}
	advance(3 * hour) // the checkout timeout is due at 3h: not before
	if r := h.run("c1", "cart_recovery"); r.Status != StatusActive {
		t.Fatalf("a timer due at the clock's time fired: %+v", r)
	}
	advance(3*hour + time.Nanosecond)
	if p := h.path("c1", "cart_recovery"); p != "entered:browsing@0s moved:checkout@1h0m0s timed_out@3h0m0s" {
		t.Fatalf("after the clock passed the timeout: %s", p)
	}
	if got := h.e.Now(); !got.Equal(t0.Add(3*hour + time.Nanosecond)) {
		t.Fatalf("engine clock %s", got)
	}
	if _, err := Record([]byte{tagClock}, "", t0); err == nil {
		t.Fatal("Record made a clock record without its time")
	}
}

// EachRun gives each run's stack, journey, status and stage as Customer
// has them, for a customer in memory and one read back from the store.
func TestEachRun(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.send(ev("cart_updated", "b", 0, "cart_value", 30), ev("checkout_started", "b", hour))
	check := func(when string) {
		t.Helper()
		c, _, _ := h.e.Customer(context.Background(), "b")
		var want, got []string
		for _, r := range c.Runs {
			want = append(want, r.Stack+" "+r.Journey+" "+r.Status+" "+r.Stage)
		}
		ok, err := h.e.EachRun(context.Background(), "b", func(stack, journey, status, stage string) {
			got = append(got, stack+" "+journey+" "+status+" "+stage)
		})
		slices.Sort(got)
		slices.Sort(want)
		if !ok || err != nil || len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("%s: EachRun %v (%v, %v), Customer %v", when, got, ok, err, want)
		}
		if ok, err := h.e.EachRun(context.Background(), "nobody", func(string, string, string, string) {}); ok || err != nil {
			t.Fatalf("%s: a customer never seen: %v, %v", when, ok, err)
		}
	}
	check("in memory")
	h.restart()
	check("after a restart")
}
