package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// An alert's action record gives the named run a timer that falls due as
// a trigger: once per customer however often the record is read, across a
// restart, and only for a run still active in one of the action's stages.
// An action an alert names without a trigger block of its own is not due
// on entering its stages.
func TestAlertActions(t *testing.T) {
	f := 0.4
	doc := fixture.New("growth").Shared().CartRecovery(nil).Channel(emailChannel(nil)).Web().
		Action(deploy.Action{Journey: "cart_recovery", Name: "rescue", Channel: "email", Stages: []string{"checkout"}, Value: "1", Lever: 1}).
		KPI(deploy.KPI{Journey: "cart_recovery", Name: "dropoff", Window: "7d",
			Metric: deploy.Metric{Function: "dropoff", Stage: "checkout", Source: "dropoff(stage.checkout)"},
			Target: &deploy.Target{Below: &f, MinSamples: 1}, Alert: &deploy.Alert{Action: "rescue"}}).Done()
	cart := func(c string, at time.Duration) *events.Event {
		return ev("cart_updated", c, at, "cart_value", 30, "trait:email_opt_in", true, "trait:email", c+"@example.com")
	}
	h := newHarness(t, true)
	h.deploy(doc)
	h.trust(0.5)
	h.send(cart("c1", 0), ev("checkout_started", "c1", 10*time.Minute), // at checkout
		cart("c2", 0),                                                                                         // still browsing
		cart("c3", 0), ev("checkout_started", "c3", 10*time.Minute), ev("order_placed", "c3", 20*time.Minute), // done
		tick(time.Hour))
	if got := fmt.Sprint(h.sends()); got != "[]" {
		t.Fatalf("sends before the alert %s: the action falls due on entering its stage", got)
	}
	due := t0.Add(time.Hour)
	act := func(c string) []byte {
		return EncodeAlertAction(AlertAction{Customer: c, Stack: "growth", Journey: "cart_recovery", Run: 1, Action: "rescue", Due: due})
	}
	h.record(act("c1"), act("c2"), act("c3"), act("c1"), act("nobody"))
	h.restart()
	h.record(act("c1")) // read again after a restart
	h.send(tick(time.Hour + time.Second))
	if got, want := fmt.Sprint(h.sends()), "[c1:rescue@1h0m0s]"; got != want {
		t.Errorf("sends %s, want %s", got, want)
	}
	h.send(tick(2 * time.Hour))
	if got := fmt.Sprint(h.sends()); got != "[]" {
		t.Errorf("sends after %s, want none", got)
	}
}
