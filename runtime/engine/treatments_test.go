package engine

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// TestTreatmentTriggers: an outbound action with treatments falls due once
// and is sent as one treatment, the best that its channel lets through now:
// consent, limits and quiet hours are each treatment's channel's.
func TestTreatmentTriggers(t *testing.T) {
	quiet := func(start, end string) *deploy.QuietHours {
		return &deploy.QuietHours{Start: start, End: end, Timezone: "UTC", OnQuiet: "defer"}
	}
	doc := func(emailQuiet, smsQuiet *deploy.QuietHours, smsLimit *deploy.Limit) *deploy.Document {
		sms := deploy.Channel{Name: "sms", Provider: "webhook", Delivers: true, QuietHours: smsQuiet, Limit: smsLimit,
			Config: map[string]json.RawMessage{"url": json.RawMessage(`"http://127.0.0.1:1/sms"`)}}
		return fixture.New("growth").Shared().CartRecovery(nil).Web().
			Channel(emailChannel(func(c *deploy.Channel) { c.QuietHours = emailQuiet })).Channel(sms).
			Action(deploy.Action{Journey: "cart_recovery", Name: "nudge", Stages: []string{"browsing", "checkout"}, Trigger: after("12h"),
				Treatments: []deploy.Treatment{
					{Name: "email", Channel: "email", Message: map[string]string{"subject": "Your cart", "body": "Still there?"}},
					{Name: "sms", Channel: "sms", Message: map[string]string{"text": "Still there?"}},
				}}).Done()
	}
	// t0 is 10:00 UTC: nudge is due at 22:00.
	cart := func(optIn bool) *events.Event {
		return ev("cart_updated", "c1", 0, "cart_value", 30, "trait:email_opt_in", optIn, "trait:email", "c1@example.com")
	}
	tests := []struct {
		name  string
		doc   *deploy.Document
		steps []*events.Event
		want  string
	}{
		{"the first treatment at a tie", doc(nil, nil, nil), []*events.Event{cart(true), tick(13 * time.Hour)},
			"[c1:nudge(email on email)@12h0m0s]"},
		{"no consent on one channel", doc(nil, nil, nil), []*events.Event{cart(false), tick(13 * time.Hour)},
			"[c1:nudge(sms on sms)@12h0m0s]"},
		{"quiet hours on one channel do not hold the other back", doc(quiet("21:00", "08:00"), nil, nil),
			[]*events.Event{cart(true), tick(13 * time.Hour)}, "[c1:nudge(sms on sms)@12h0m0s]"},
		{"quiet on both: decided again when the first quiet hours end", doc(quiet("21:00", "08:00"), quiet("21:30", "07:00"), nil),
			[]*events.Event{cart(true), tick(20 * time.Hour), tick(21*time.Hour + time.Second)}, "[c1:nudge(sms on sms)@21h0m0s]"},
		{"a channel's limit", doc(nil, nil, &deploy.Limit{Max: 0, Per: "1d"}), []*events.Event{cart(false), tick(13 * time.Hour)}, "[]"},
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
