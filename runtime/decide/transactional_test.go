package decide_test

import (
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// A transactional action skips the marketing policies (the channel's and
// the arbitration's caps, quiet hours, the channel's consent) and does not
// count toward the caps; its own eligible, limit and suppress still hold,
// and it is sent besides max_outbound, whatever the control group and the
// global holdout.
func TestTransactional(t *testing.T) {
	const (
		receipt = "growth/journey.cart_recovery.action.receipt"
		remind  = "growth/journey.cart_recovery.action.remind"
	)
	night := time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)
	contact := func(ref string) decide.Contact {
		return decide.Contact{At: t0.Add(-hour), Channel: "email", Action: ref}
	}
	tests := []struct {
		name string
		// arb changes the arbitration; receipt the transactional action.
		arb      func(*deploy.Arbitration)
		receipt  func(*deploy.Action)
		optIn    bool
		now      time.Time
		contacts []decide.Contact
		muted    bool
		optedOut bool // unsubscribed from email
		want     string
		deferred bool
	}{
		{name: "both pass", optIn: true, now: t0,
			want: receipt + " " + remind},
		{name: "the channel's cap is reached", optIn: true, now: t0, contacts: []decide.Contact{contact("growth/journey.other.action.x")},
			want: receipt + " " + remind + ":limit"},
		{name: "the arbitration's cap is reached", optIn: true, now: t0,
			arb:      func(a *deploy.Arbitration) { a.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
			contacts: []decide.Contact{{At: t0.Add(-hour), Channel: "web", Action: "growth/journey.other.action.y"}},
			want:     receipt + " " + remind + ":limit"},
		{name: "a transactional contact does not count toward the caps", optIn: true, now: t0,
			arb:      func(a *deploy.Arbitration) { a.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
			contacts: []decide.Contact{contact(receipt)},
			want:     receipt + " " + remind},
		{name: "no marketing consent", optIn: false, now: t0,
			want: receipt + " " + remind + ":no_consent"},
		{name: "an unsubscribe stops only the marketing send", optIn: true, now: t0, optedOut: true,
			want: receipt + " " + remind + ":no_consent"},
		{name: "quiet hours defer only the marketing send", optIn: true, now: night,
			want: receipt + " " + remind + ":quiet_hours", deferred: true},
		{name: "its own limit holds", optIn: true, now: t0, contacts: []decide.Contact{contact(receipt)},
			receipt: func(a *deploy.Action) { a.Limit = &deploy.Limit{Max: 1, Per: "1d"} },
			want:    remind + " " + receipt + ":limit"},
		{name: "its eligible holds", optIn: true, now: t0,
			receipt: func(a *deploy.Action) { a.Eligible = `customer.tier == "gold"` },
			want:    remind + " " + receipt + ":not_eligible"},
		{name: "its suppression holds", optIn: true, now: t0, muted: true,
			receipt: func(a *deploy.Action) { a.Suppress = &deploy.Suppress{AfterIgnores: 1, For: "7d"} },
			want:    remind + " " + receipt + ":suppressed"},
		{name: "the control group gets it too", optIn: true, now: t0,
			arb:  func(a *deploy.Arbitration) { a.ControlGroup = 1 },
			want: receipt + " " + remind},
		{name: "the global holdout gets it too", optIn: true, now: t0,
			arb:  func(a *deploy.Arbitration) { a.Holdout = 1 },
			want: receipt + " " + remind + ":holdout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := deploy.Action{Journey: "cart_recovery", Name: "receipt", Channel: "email", Stages: []string{"checkout"}, Value: "1", Transactional: true}
			if tt.receipt != nil {
				tt.receipt(&rc)
			}
			arb := deploy.Arbitration{MaxOutbound: 1}
			if tt.arb != nil {
				tt.arb(&arb)
			}
			doc := fixture.New("growth").Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).Web().
				Channel(email(func(c *deploy.Channel) {
					c.Limit = &deploy.Limit{Max: 1, Per: "1d"}
					c.QuietHours = &deploy.QuietHours{Start: "21:00", End: "08:00", Timezone: "UTC", OnQuiet: "defer"}
				})).
				Action(rc).
				Action(deploy.Action{Journey: "cart_recovery", Name: "remind", Channel: "email", Stages: []string{"checkout"}, Value: "100"}).
				Arbitration(arb).Done()
			c, _ := build(t, doc)
			sub := customer(c, "c1", "checkout", "email_opt_in", tt.optIn, "tier", "silver")
			sub.Contacts = tt.contacts
			if tt.optedOut {
				sub.OptedOut = []string{"email"}
			}
			if tt.muted {
				sub.Suppressed = []decide.Suppression{{Action: receipt, Until: tt.now.Add(day)}}
			}
			due := []*decide.Action{c.Action(remind), c.Action(receipt)}
			d, err := decide.Decide(c, sub, &decide.Request{Now: tt.now, Due: due})
			if err != nil {
				t.Fatal(err)
			}
			if got := reasons(d); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
			if got := !d.Deferred.IsZero(); got != tt.deferred {
				t.Errorf("deferred %v, want %v", d.Deferred, tt.deferred)
			}
		})
	}
}

// In a decide answer, transactional actions come first, within its most.
func TestTransactionalFirstInAnswer(t *testing.T) {
	doc := stack("growth",
		deploy.Action{Name: "notice", Value: "1", Transactional: true},
		deploy.Action{Name: "offer", Value: "100"},
	).Arbitration(deploy.Arbitration{Limit: &deploy.Limit{Max: 1, Per: "1d"}}).Done()
	c, _ := build(t, doc)
	for _, tt := range []struct {
		limit    int
		contacts []decide.Contact
		want     string
	}{
		{1, nil, "growth/journey.cart_recovery.action.notice growth/journey.cart_recovery.action.offer:ranked_out"},
		{2, nil, "growth/journey.cart_recovery.action.notice growth/journey.cart_recovery.action.offer"},
		{2, []decide.Contact{{At: t0.Add(-hour), Channel: "web", Action: "growth/journey.cart_recovery.action.offer"}},
			"growth/journey.cart_recovery.action.notice growth/journey.cart_recovery.action.offer:limit"},
	} {
		sub := customer(c, "c1", "checkout")
		sub.Contacts = tt.contacts
		d, err := decide.Decide(c, sub, &decide.Request{Channel: "web", Now: t0, Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if got := reasons(d); got != tt.want {
			t.Errorf("limit %d: got %s\nwant %s", tt.limit, got, tt.want)
		}
	}
}
