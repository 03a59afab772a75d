package decide_test

import (
	"encoding/json"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

const nudge = "growth/journey.cart_recovery.action.nudge"

// treated renders a decision by treatment: chosen ones in order, then
// every dropped one with its reason.
func treated(d *decide.Decision) string {
	out := ""
	for i, c := range d.Candidates {
		if out != "" {
			out += " "
		}
		out += c.Action.Treatment
		if i >= d.Chosen {
			out += ":" + c.Reason.String()
		}
	}
	return out
}

// TestTreatments: the treatments of an action are its candidates, each
// filtered by its own channel's consent, caps and quiet hours and ranked
// by its own model; the action's limit counts across them and at most one
// of them is chosen.
func TestTreatments(t *testing.T) {
	sms := deploy.Channel{Name: "sms", Provider: "webhook", Delivers: true, Config: map[string]json.RawMessage{"url": json.RawMessage(`"http://127.0.0.1:1/sms"`)}}
	quiet := func(ch *deploy.Channel) {
		ch.QuietHours = &deploy.QuietHours{Start: "00:00", End: "23:59", Timezone: "UTC", OnQuiet: "defer"}
	}
	tests := []struct {
		name    string
		email   func(*deploy.Channel)
		action  func(*deploy.Action)
		profile []any
		inbound bool // decide on web instead of the due nudge
		prepare func(*decide.Subject)
		want    string
	}{
		{name: "a tie goes by name", profile: []any{"email_opt_in", true}, want: "email sms:ranked_out"},
		{name: "no consent on one channel", want: "sms email:no_consent"},
		{name: "quiet hours on one channel", email: quiet, profile: []any{"email_opt_in", true}, want: "sms email:quiet_hours"},
		{name: "a treatment's own value", profile: []any{"email_opt_in", true},
			action: func(a *deploy.Action) { a.Treatments[1].Value = "3" }, want: "sms email:ranked_out"},
		{name: "the action's limit counts every treatment", profile: []any{"email_opt_in", true},
			action: func(a *deploy.Action) { a.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
			prepare: func(s *decide.Subject) {
				s.Contacts = []decide.Contact{{At: t0.Add(-hour), Channel: "sms", Action: nudge}}
			},
			want: "email:limit sms:limit"},
		{name: "one treatment of an action on one channel", inbound: true, want: "card banner:ranked_out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fixture.New("growth").Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).Web().Channel(email(tt.email)).Channel(sms)
			a := deploy.Action{Journey: "cart_recovery", Name: "nudge", Stages: []string{"checkout"}, Treatments: []deploy.Treatment{
				{Name: "email", Channel: "email", Message: map[string]string{"subject": "Your cart", "body": "Still there?"}},
				{Name: "sms", Channel: "sms", Message: map[string]string{"text": "Still there?"}},
			}}
			if tt.action != nil {
				tt.action(&a)
			}
			d.Action(a)
			d.Action(deploy.Action{Journey: "cart_recovery", Name: "promo", Stages: []string{"checkout"}, Treatments: []deploy.Treatment{
				{Name: "banner", Channel: "web"}, {Name: "card", Channel: "web", Value: "2"},
			}})
			c, _ := build(t, d.Done())
			sub := customer(c, "c1", "checkout", tt.profile...)
			if tt.prepare != nil {
				tt.prepare(sub)
			}
			req := &decide.Request{ID: "d1", Now: t0, Due: c.Action(nudge).Variants(), Limit: 3}
			if tt.inbound {
				req = &decide.Request{ID: "d1", Channel: "web", Now: t0, Limit: 3}
			}
			dec, err := decide.Decide(c, sub, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := treated(dec); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if quietEmail := tt.email != nil; quietEmail == dec.Deferred.IsZero() {
				t.Fatalf("deferred until %v", dec.Deferred)
			}
			// The record keeps the treatments.
			r, err := decide.Decode(dec.Encode(), func(string, int64, int) string { return "a" })
			if err != nil {
				t.Fatal(err)
			}
			for i, rc := range r.Candidates {
				if rc.Treatment != dec.Candidates[i].Action.Treatment || rc.Reason != dec.Candidates[i].Reason {
					t.Fatalf("record candidate %d: %+v", i, rc)
				}
			}
		})
	}
}
