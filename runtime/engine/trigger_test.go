package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store"
)

func emailChannel(mod func(*deploy.Channel)) deploy.Channel {
	ch := deploy.Channel{Name: "email", Provider: "smtp", Delivers: true, Consent: "customer.email_opt_in",
		PerDelivery: map[string]string{"to": "customer.email"},
		Config:      map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "from": json.RawMessage(`"shop@example.com"`)}}
	if mod != nil {
		mod(&ch)
	}
	return ch
}

// outbound is the growth stack with the email and web channels and the
// given actions of cart_recovery (email, at both stages, by default).
func outbound(ch func(*deploy.Channel), actions ...deploy.Action) *deploy.Document {
	d := fixture.New("growth").Shared().CartRecovery(nil).Channel(emailChannel(ch)).Web()
	for _, a := range actions {
		a.Journey = "cart_recovery"
		if a.Channel == "" {
			a.Channel = "email"
		}
		if a.Stages == nil {
			a.Stages = []string{"browsing", "checkout"}
		}
		d.Action(a)
	}
	return d.Done()
}

func after(d string, unless ...string) *deploy.Trigger {
	return &deploy.Trigger{After: d, Unless: unless}
}

func TestTriggers(t *testing.T) {
	remind := deploy.Action{Name: "remind", Trigger: after("1h", "order_placed")}
	cart := func(c string, at time.Duration) *events.Event {
		return ev("cart_updated", c, at, "cart_value", 30, "trait:email_opt_in", true, "trait:email", c+"@example.com")
	}
	tests := []struct {
		name  string
		doc   *deploy.Document
		steps []*events.Event
		want  string // the sends, "customer:action@due"
	}{
		{"due after trigger.after", outbound(nil, remind), []*events.Event{cart("c1", 0), tick(time.Hour + time.Second)}, "[c1:remind@1h0m0s]"},
		{
			"customers due at one instant get a delivery each", outbound(nil, remind),
			[]*events.Event{cart("c1", 0), cart("c2", 0), tick(time.Hour + time.Second)}, "[c1:remind@1h0m0s c2:remind@1h0m0s]",
		},
		{"not before", outbound(nil, remind), []*events.Event{cart("c1", 0), tick(59 * time.Minute)}, "[]"},
		{
			"moving between its stages keeps the timer", outbound(nil, remind),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", 30*time.Minute), tick(time.Hour + time.Second)}, "[c1:remind@1h0m0s]",
		},
		{
			"leaving its stages cancels it",
			outbound(nil, deploy.Action{Name: "remind", Stages: []string{"browsing"}, Trigger: after("1h")}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", 30*time.Minute), tick(2 * time.Hour)}, "[]",
		},
		{
			"entering a later one of its stages starts it",
			outbound(nil, deploy.Action{Name: "remind", Stages: []string{"checkout"}, Trigger: after("1h")}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", 30*time.Minute), tick(2 * time.Hour)}, "[c1:remind@1h30m0s]",
		},
		{"the goal cancels it", outbound(nil, remind), []*events.Event{cart("c1", 0), ev("order_placed", "c1", 30*time.Minute), tick(2 * time.Hour)}, "[]"},
		{"an exit cancels it", outbound(nil, remind), []*events.Event{cart("c1", 0), ev("ticket_opened", "c1", 30*time.Minute), tick(2 * time.Hour)}, "[]"},
		{
			"an unless event cancels it",
			outbound(nil, deploy.Action{Name: "remind", Trigger: after("1h", "checkout_started")}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", 30*time.Minute), tick(2 * time.Hour)}, "[]",
		},
		{"without a trigger it is due on entering", outbound(nil, deploy.Action{Name: "welcome"}), []*events.Event{cart("c1", 0), tick(time.Second)}, "[c1:welcome@0s]"},
		{
			"and only once while the customer stays in its stages", outbound(nil, deploy.Action{Name: "welcome"}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", time.Hour), tick(5 * time.Hour)}, "[c1:welcome@0s]",
		},
		{
			"actions due together are ranked: max_outbound go",
			outbound(nil, deploy.Action{Name: "big", Value: "2", Trigger: after("1h")}, deploy.Action{Name: "small", Value: "1", Trigger: after("1h")}),
			[]*events.Event{cart("c1", 0), tick(2 * time.Hour)}, "[c1:big@1h0m0s]",
		},
		{
			"no consent, no send", outbound(nil, remind),
			[]*events.Event{ev("cart_updated", "c1", 0, "cart_value", 30), tick(2 * time.Hour)}, "[]",
		},
		{
			// t0 is 10:00 UTC: due at 22:00, sent at 08:00.
			"quiet hours defer to their end",
			outbound(func(c *deploy.Channel) {
				c.QuietHours = &deploy.QuietHours{Start: "21:00", End: "08:00", Timezone: "UTC", OnQuiet: "defer"}
			}, deploy.Action{Name: "remind", Trigger: after("12h")}),
			[]*events.Event{cart("c1", 0), ev("cart_updated", "c1", 13*time.Hour, "cart_value", 5), tick(22*time.Hour + time.Second)}, "[c1:remind@22h0m0s]",
		},
		{
			"quiet hours drop with on_quiet = drop",
			outbound(func(c *deploy.Channel) {
				c.QuietHours = &deploy.QuietHours{Start: "21:00", End: "08:00", Timezone: "UTC", OnQuiet: "drop"}
			}, deploy.Action{Name: "remind", Trigger: after("12h")}),
			[]*events.Event{cart("c1", 0), tick(30 * time.Hour)}, "[]",
		},
		{
			"a pending send counts against the limits",
			outbound(func(c *deploy.Channel) { c.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
				deploy.Action{Name: "first", Stages: []string{"browsing"}}, deploy.Action{Name: "second", Stages: []string{"checkout"}}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", time.Hour), tick(2 * time.Hour)}, "[c1:first@0s]",
		},
		{
			"a transactional send skips a reached cap",
			outbound(func(c *deploy.Channel) { c.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
				deploy.Action{Name: "first", Stages: []string{"browsing"}}, deploy.Action{Name: "receipt", Stages: []string{"checkout"}, Transactional: true}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", time.Hour), tick(2 * time.Hour)}, "[c1:first@0s c1:receipt@1h0m0s]",
		},
		{
			"a transactional send does not count toward the cap",
			outbound(func(c *deploy.Channel) { c.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
				deploy.Action{Name: "receipt", Stages: []string{"browsing"}, Transactional: true}, deploy.Action{Name: "second", Stages: []string{"checkout"}}),
			[]*events.Event{cart("c1", 0), ev("checkout_started", "c1", time.Hour), tick(2 * time.Hour)}, "[c1:receipt@0s c1:second@1h0m0s]",
		},
		{
			"quiet hours do not defer a transactional send",
			outbound(func(c *deploy.Channel) {
				c.QuietHours = &deploy.QuietHours{Start: "21:00", End: "08:00", Timezone: "UTC", OnQuiet: "defer"}
			}, deploy.Action{Name: "receipt", Trigger: after("12h"), Transactional: true}),
			[]*events.Event{cart("c1", 0), tick(12*time.Hour + time.Second)}, "[c1:receipt@12h0m0s]",
		},
		{
			"a transactional send needs no marketing consent",
			outbound(nil, deploy.Action{Name: "receipt", Transactional: true}),
			[]*events.Event{ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email", "c1@example.com"), tick(time.Second)}, "[c1:receipt@0s]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.deploy(tt.doc)
			h.trust(0.5)
			for _, e := range tt.steps {
				h.send(e)
			}
			if got := fmt.Sprint(h.sends()); got != tt.want {
				t.Errorf("sends %s, want %s", got, tt.want)
			}
		})
	}
}

// A deferred send's decisions are recorded: the deferral, then the send.
func TestTriggerDecisions(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(func(c *deploy.Channel) {
		c.QuietHours = &deploy.QuietHours{Start: "21:00", End: "08:00", Timezone: "UTC", OnQuiet: "defer"}
	}, deploy.Action{Name: "big", Value: "2", Trigger: after("12h")}, deploy.Action{Name: "small", Value: "1", Trigger: after("12h")}))
	h.trust(0.5)
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", true), tick(21*time.Hour))
	ds := h.decisions()
	if len(ds) != 1 || !ds[0].Trigger || !ds[0].Deferred.Equal(t0.Add(22*time.Hour)) || ds[0].Chosen != 0 ||
		ds[0].Candidates[0].Reason != decide.QuietHours || ds[0].Candidates[1].Reason != decide.QuietHours {
		t.Fatalf("the deferral: %+v", ds)
	}
	h.send(tick(22*time.Hour + time.Second))
	ds = h.decisions()
	if len(ds) != 1 || ds[0].Chosen != 1 || ds[0].Candidates[0].Action.Name != "big" || ds[0].Candidates[1].Reason != decide.RankedOut {
		t.Fatalf("the send: %+v", ds)
	}
	entries, err := h.st.Deliveries(context.Background(), store.DeliveryPending, "", 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox %v %v", entries, err)
	}
	it, _ := delivery.Decode(entries[0])
	if it.Decision != ds[0].ID || it.Run != 1 || it.Key != delivery.Key("growth", "c1", "cart_recovery", 1, "journey.cart_recovery.action.big", t0.Add(22*time.Hour)) {
		t.Fatalf("entry %+v", it)
	}
}

// A moved action keeps its pending trigger; without the moved block the
// renamed action is a new one, and the customer, already in its stages,
// never falls due for it.
func TestMovedActionKeepsTrigger(t *testing.T) {
	for _, tt := range []struct {
		name  string
		moved bool
		want  string
	}{
		{"moved", true, "[c1:nudge@1h30m0s c1:remind@1h0m0s]"},
		{"renamed without moved", false, "[c1:remind@1h0m0s]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.deploy(outbound(nil,
				deploy.Action{Name: "remind", Trigger: after("1h")},
				deploy.Action{Name: "later", Trigger: after("90m")}))
			h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", true, "trait:email", "c1@example.com"),
				tick(time.Hour+time.Second))
			// remind has been sent and later is pending: both are renamed.
			d := outbound(nil,
				deploy.Action{Name: "again", Trigger: after("1h")},
				deploy.Action{Name: "nudge", Trigger: after("90m")})
			if tt.moved {
				d.Moves = []deploy.Move{
					{From: "journey.cart_recovery.action.remind", To: "journey.cart_recovery.action.again"},
					{From: "journey.cart_recovery.action.later", To: "journey.cart_recovery.action.nudge"},
				}
			}
			h.deploy(d)
			h.send(tick(3 * time.Hour))
			if got := fmt.Sprint(h.sends()); got != tt.want {
				t.Errorf("sends %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTriggerSurvivesRestart(t *testing.T) {
	h := newHarness(t, false)
	h.deploy(outbound(nil, deploy.Action{Name: "remind", Trigger: after("1h")}))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", true))
	h.restart()
	h.clock.Set(t0.Add(time.Hour + time.Second))
	h.sync()
	if got := fmt.Sprint(h.sends()); got != "[c1:remind@1h0m0s]" {
		t.Fatalf("sends after restart %s", got)
	}
	// The decision id and the key come out the same when the log is replayed.
	if ds := h.decisions(); len(ds) != 1 || ds[0].ID != decide.DerivedID(t0.Add(time.Hour), "c1\x00email\x00"+delivery.Key("growth", "c1", "cart_recovery", 1, "journey.cart_recovery.action.remind", t0.Add(time.Hour))) {
		t.Fatalf("decisions %+v", ds)
	}
}

func TestResponses(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(nil,
		deploy.Action{Name: "banner", Channel: "web", Stages: []string{"browsing"}, Limit: &deploy.Limit{Max: 2, Per: "1d"},
			Suppress: &deploy.Suppress{AfterIgnores: 2, For: "7d"}}))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30))
	ref := "growth/journey.cart_recovery.action.banner"
	decideWeb := func() *decide.Decision {
		d, err := h.e.Decide(context.Background(), DecideRequest{Customer: "c1", Channel: "web"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	respond := func(d *decide.Decision, outcome string) {
		h.record(EncodeResponse(Response{Customer: "c1", Decision: d.ID, Action: ref, Channel: "web", Outcome: outcome}))
	}
	model := h.e.Models().Get(decide.ModelKey(ref, "web"))
	d1 := decideWeb()
	if d1.Chosen != 1 {
		t.Fatalf("first decision %+v", d1)
	}
	respond(d1, OutcomeImpression)
	respond(d1, OutcomeIgnored)
	if st := model.Stats(); st.Evidence != 1 || st.Positives != 0 {
		t.Fatalf("after one ignore: %+v", st)
	}
	// A click after the ignore turns the label positive; a second click
	// of the same decision teaches nothing more.
	respond(d1, OutcomeClicked)
	respond(d1, OutcomeConverted)
	if st := model.Stats(); st.Evidence != 1 || st.Positives != 1 {
		t.Fatalf("after the clicks: %+v", st)
	}
	// The impression was a contact: one more reaches the limit of 2.
	d2 := decideWeb()
	respond(d2, OutcomeImpression)
	if d := decideWeb(); d.Chosen != 0 || d.Candidates[0].Reason != decide.LimitReached {
		t.Fatalf("after two impressions: %+v", d.Candidates)
	}
	// Two ignored in a row suppress the action for 7 days (the click
	// started the count again).
	h.send(tick(25 * time.Hour))
	respond(d2, OutcomeIgnored)
	if d := decideWeb(); d.Chosen != 1 {
		t.Fatalf("suppressed after one ignore: %+v", d.Candidates)
	}
	d3 := decideWeb()
	respond(d3, OutcomeIgnored)
	if d := decideWeb(); d.Chosen != 0 || d.Candidates[0].Reason != decide.Suppressed {
		t.Fatalf("after two ignores in a row: %+v", d.Candidates)
	}
	h.send(tick(25*time.Hour + 7*day))
	if d := decideWeb(); d.Chosen != 1 {
		t.Fatalf("still suppressed after 7 days: %+v", d.Candidates)
	}
	if st := model.Stats(); st.Evidence != 3 || st.Positives != 1 {
		t.Fatalf("model %+v", st)
	}
	// What the customer taught the model survives a restart, and erasure
	// takes it out again.
	h.restart()
	model = h.e.Models().Get(decide.ModelKey(ref, "web"))
	if st := model.Stats(); st.Evidence != 3 || st.Positives != 1 {
		t.Fatalf("model after restart %+v", st)
	}
	if d := decideWeb(); d.Chosen != 1 {
		t.Fatalf("after restart: %+v", d.Candidates)
	}
	h.send(ev("cart_updated", "c2", 26*time.Hour+7*day, "cart_value", 30))
	d4, _ := h.e.Decide(context.Background(), DecideRequest{Customer: "c2", Channel: "web"})
	h.record(EncodeResponse(Response{Customer: "c2", Decision: d4.ID, Action: ref, Channel: "web", Outcome: OutcomeAccepted, Control: true}))
	h.record(EncodeErase("c1"))
	if st := model.Stats(); st.Evidence != 1 || st.Positives != 1 || st.Control != 1 {
		t.Fatalf("model after c1 was erased %+v", st)
	}
	h.restart()
	model = h.e.Models().Get(decide.ModelKey(ref, "web"))
	if st := model.Stats(); st.Evidence != 1 {
		t.Fatalf("erasure did not last: %+v", st)
	}
	// A customer no event named, decided for, teaches the model too, and
	// takes it back when erased.
	h.record(EncodeResponse(Response{Customer: "anon", Decision: "d-anon", Action: ref, Channel: "web", Outcome: OutcomeRejected}))
	if st := model.Stats(); st.Evidence != 2 {
		t.Fatalf("after an unknown customer's response: %+v", st)
	}
	h.record(EncodeErase("anon"))
	if st := model.Stats(); st.Evidence != 1 {
		t.Fatalf("after the unknown customer was erased: %+v", st)
	}
}

// A delivery's outcome confirms its pending contact, or takes it back.
func TestDeliveryOutcomes(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(func(c *deploy.Channel) { c.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
		deploy.Action{Name: "first", Stages: []string{"browsing"}}, deploy.Action{Name: "second", Stages: []string{"checkout"}}))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", true), tick(time.Second))
	h.mu.Lock()
	entries := append([]store.Delivery(nil), h.enqueued...)
	h.mu.Unlock()
	if len(entries) != 1 {
		t.Fatalf("enqueued %v", entries)
	}
	it, _ := delivery.Decode(entries[0])
	h.sends()
	h.record(EncodeDeliveryOutcome(DeliveryOutcome{Customer: "c1", Key: it.Key, Action: it.Ref(), Channel: "email", Outcome: delivery.OutcomeFailed}))
	h.send(ev("checkout_started", "c1", time.Hour), tick(2*time.Hour))
	if got := fmt.Sprint(h.sends()); got != "[c1:second@1h0m0s]" {
		t.Fatalf("after the first send failed: %s", got)
	}
	h.record(EncodeDeliveryOutcome(DeliveryOutcome{Customer: "c1", Key: "unknown", Action: it.Ref(), Channel: "email", Outcome: delivery.OutcomeDelivered}))
	s := h.e.shardOf("c1")
	s.mu.Lock()
	contacts := append([]contact(nil), s.customers["c1"].contacts...)
	s.mu.Unlock()
	if len(contacts) != 2 || !contacts[0].pending || contacts[1].pending || contacts[1].action != it.Ref() {
		t.Fatalf("contacts %+v", contacts)
	}
	// A bounce reported later takes the delivered contact back.
	h.record(EncodeDeliveryOutcome(DeliveryOutcome{Customer: "c1", Key: "unknown", Action: it.Ref(), Channel: "email", Outcome: delivery.OutcomeBounced}))
	s.mu.Lock()
	n := len(s.customers["c1"].contacts)
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d contacts after the bounce", n)
	}
}

// Message templates are compiled with the deployment: one that does not
// compile refuses it, with the action's address.
func TestMessageTemplatesCompile(t *testing.T) {
	for _, tt := range []struct {
		subject string
		want    string
	}{
		{"${customer.tier}, hello", ""},
		{"${customer.tierr}, hello", "journey.cart_recovery.action.remind: message.subject"},
		{"${event.cart_value}", "journey.cart_recovery.action.remind: message.subject"},
	} {
		doc := outbound(nil, deploy.Action{Name: "remind", Message: map[string]string{"subject": tt.subject, "body": "hi"}})
		cat, ps := catalog.Build(map[string]catalog.Deployed{"growth": {Serial: 1, Doc: doc}}, "growth")
		if len(ps) == 0 {
			_, ps = Compile(cat)
		}
		if got := fmt.Sprint(ps); (tt.want == "") != (len(ps) == 0) || !strings.Contains(got, tt.want) {
			t.Errorf("%q: problems %v, want %q", tt.subject, ps, tt.want)
		}
	}
}

// TestActionFacts: an action that falls due is recorded for analytics as
// decided with the commit that adds its delivery, and its delivery's
// outcome and the customer's response follow it; a restart adds nothing.
func TestActionFacts(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(nil, deploy.Action{Name: "remind", Trigger: after("1h")}))
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", true, "trait:email", "c1@example.com"),
		tick(time.Hour+time.Second))
	ds := h.decisions()
	if len(ds) != 1 {
		t.Fatalf("decisions %d", len(ds))
	}
	h.enqueued = nil
	if facts := DecisionFacts(ds[0]); facts != nil {
		t.Fatalf("a triggered decision's facts are the engine's to commit, got %d from DecisionFacts", len(facts))
	}
	key := delivery.Key("growth", "c1", "cart_recovery", 1, "journey.cart_recovery.action.remind", t0.Add(time.Hour))
	h.record(EncodeDeliveryOutcome(DeliveryOutcome{Customer: "c1", Key: key, Action: "growth/journey.cart_recovery.action.remind", Channel: "email", Outcome: delivery.OutcomeDelivered, Due: t0.Add(time.Hour)}),
		EncodeResponse(Response{Customer: "c1", Decision: ds[0].ID, Action: "growth/journey.cart_recovery.action.remind", Channel: "email", Outcome: OutcomeClicked}))
	h.restart()
	var got []string
	for _, r := range h.records() {
		switch {
		case r.Decision != nil:
			d := r.Decision
			got = append(got, fmt.Sprintf("decided %s/%s %s on %s id=%v", d.Stack, d.Journey, d.Action, d.Channel, d.DecisionID == ds[0].ID))
		case r.Delivery != nil:
			got = append(got, fmt.Sprintf("%s %s/%s %s @%s", r.Delivery.Outcome, r.Delivery.Stack, r.Delivery.Journey, r.Delivery.Action, r.Delivery.Time.Sub(t0)))
		case r.Response != nil:
			got = append(got, fmt.Sprintf("%s %s/%s %s", r.Response.Outcome, r.Response.Stack, r.Response.Journey, r.Response.Action))
		}
	}
	want := "[decided growth/cart_recovery remind on email id=true delivered growth/cart_recovery remind @1h0m0s clicked growth/cart_recovery remind]"
	if fmt.Sprint(got) != want {
		t.Fatalf("facts\n got %v\nwant %s", got, want)
	}
}

func TestSplitRef(t *testing.T) {
	for _, tt := range []struct{ ref, want string }{
		{"growth/journey.cart_recovery.action.remind", "growth cart_recovery remind true"},
		{"growth/journey.a.b.action.c", "growth a.b c true"},
		{"growth/channel.email", "   false"},
		{"journey.x.action.y", "   false"},
		{"growth/journey.x.action.", "   false"},
	} {
		s, j, n, ok := splitRef(tt.ref)
		if got := fmt.Sprint(s, " ", j, " ", n, " ", ok); got != tt.want {
			t.Errorf("splitRef(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

// An unsubscribed response turns the channel's consent off for the
// customer, lastingly: nothing is decided, triggered or rendered for them
// on it, whatever the channel's consent expression says, until a trait
// consent.<channel> = true turns it on again.
func TestUnsubscribe(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(nil, deploy.Action{Name: "remind", Trigger: after("1h")}))
	h.trust(0.5)
	ref := "growth/journey.cart_recovery.action.remind"
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", true, "trait:email", "c1@example.com"),
		ev("cart_updated", "c2", 0, "cart_value", 30, "trait:email_opt_in", true, "trait:email", "c2@example.com"))
	h.send(tick(time.Hour + time.Second))
	h.mu.Lock()
	queued := append([]store.Delivery(nil), h.enqueued...)
	h.mu.Unlock()
	if got := fmt.Sprint(h.sends()); got != "[c1:remind@1h0m0s c2:remind@1h0m0s]" {
		t.Fatalf("sends %s", got)
	}
	ds := h.decisions()
	optOuts := func(id string) string {
		c, ok, err := h.e.Customer(context.Background(), id)
		if err != nil || !ok {
			t.Fatalf("customer %s: %v %v", id, ok, err)
		}
		var out []string
		for _, o := range c.OptOuts {
			out = append(out, fmt.Sprintf("%s:%s@%s", o.Channel, o.Source, o.Since.Sub(t0)))
		}
		return fmt.Sprint(out)
	}
	decideEmail := func(id string) decide.Reason {
		d, err := h.e.Decide(context.Background(), DecideRequest{Customer: id, Channel: "email"})
		if err != nil || len(d.Candidates) != 1 {
			t.Fatalf("decide: %+v %v", d, err)
		}
		return d.Candidates[0].Reason
	}
	if len(ds) != 2 || decideEmail("c1") != decide.Kept {
		t.Fatalf("decisions %+v", ds)
	}
	var dc1 string
	for _, d := range ds {
		if d.Customer == "c1" {
			dc1 = d.ID
		}
	}
	h.send(tick(2 * time.Hour))
	h.record(EncodeResponse(Response{Customer: "c1", Decision: dc1, Action: ref, Channel: "email", Outcome: OutcomeUnsubscribed}))
	if got := optOuts("c1"); got != "[email:unsubscribed@2h0m0s]" {
		t.Fatalf("c1 opt-outs %s", got)
	}
	if got := optOuts("c2"); got != "[]" {
		t.Fatalf("c2 opt-outs %s", got)
	}
	// A second unsubscribe keeps the first's time.
	h.send(tick(3 * time.Hour))
	h.record(EncodeResponse(Response{Customer: "c1", Decision: dc1, Action: ref, Channel: "email", Outcome: OutcomeUnsubscribed}))
	h.restart()
	if got := optOuts("c1"); got != "[email:unsubscribed@2h0m0s]" {
		t.Fatalf("c1 opt-outs after a restart %s", got)
	}
	if r := decideEmail("c1"); r != decide.NoConsent {
		t.Fatalf("c1 decided on email after unsubscribing: %s", r)
	}
	// A delivery queued before the unsubscribe is cancelled when it would
	// be rendered; another customer's is not.
	for _, e := range queued {
		it, err := delivery.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.e.Render(context.Background(), it)
		var ce *delivery.CancelError
		if cancelled := errors.As(err, &ce); cancelled != (it.Customer == "c1") {
			t.Fatalf("render for %s: %v", it.Customer, err)
		}
	}
	// A trigger falling due on the channel is dropped for no consent.
	h.send(ev("cart_updated", "c3", 4*time.Hour, "cart_value", 30, "trait:email_opt_in", true))
	h.record(EncodeResponse(Response{Customer: "c3", Decision: "d-other", Action: ref, Channel: "email", Outcome: OutcomeUnsubscribed}))
	h.send(tick(6 * time.Hour))
	if got := fmt.Sprint(h.sends()); got != "[]" {
		t.Fatalf("sends after unsubscribing %s", got)
	}
	if ds := h.decisions(); len(ds) != 1 || ds[0].Chosen != 0 || ds[0].Candidates[0].Reason != decide.NoConsent {
		t.Fatalf("the triggered decision after unsubscribing %+v", ds)
	}
	// consent.email = true turns it on again; false off, as from a trait.
	h.send(ev("cart_updated", "c3", 8*time.Hour, "cart_value", 30, "trait:consent.email", true))
	if got, r := optOuts("c3"), decideEmail("c3"); got != "[]" || r != decide.Kept {
		t.Fatalf("after consent.email = true: %s %s", got, r)
	}
	c, _, _ := h.e.Customer(context.Background(), "c3")
	if _, kept := c.Profile["consent.email"]; kept {
		t.Fatal("the consent trait was kept in the profile")
	}
	h.send(ev("cart_updated", "c3", 9*time.Hour, "cart_value", 30, "trait:consent.email", false))
	if got, r := optOuts("c3"), decideEmail("c3"); got != "[email:trait@9h0m0s]" || r != decide.NoConsent {
		t.Fatalf("after consent.email = false: %s %s", got, r)
	}
}
