package gen_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/internal/demo/sink"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// alertAction is the action the example's checkout dropoff alert triggers.
const alertAction = "growth/journey.cart_recovery.action.checkout_help_email"

// alertRun is what one replay of a stream raised: its alerts, in order of
// their ids, each with its KPI, state, value and event time, and the
// deliveries of the actions alerts triggered.
type alertRun struct {
	alerts  []string
	actions []string
}

// replayAlerts replays evs through a fresh real runtime in batches of
// batch events and returns the alerts raised and the actions they
// triggered, once the outbox has delivered them all.
func replayAlerts(t *testing.T, evs []gen.Event, batch int) alertRun {
	t.Helper()
	ctx := context.Background()
	c, sk := applyExample(t, rttest.StartSeeded(t, 1))
	for i := 0; i < len(evs); i += batch {
		var buf bytes.Buffer
		if err := gen.Write(&buf, evs[i:min(i+batch, len(evs))]); err != nil {
			t.Fatal(err)
		}
		res, err := c.SendEvents(ctx, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rejected) > 0 {
			t.Fatalf("%d events rejected, first: %+v", len(res.Rejected), res.Rejected[0])
		}
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Deliveries move from pending to delivered while they are listed:
	// wait until the outbox has sent them all, then list them.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		page, err := c.Deliveries(ctx, apiv1.DeliveryPending, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending after 2 minutes, first %+v", page[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out alertRun
	due := map[string]time.Time{}
	for _, st := range []apiv1.DeliveryState{apiv1.DeliveryPending, apiv1.DeliveryDelivered, apiv1.DeliveryFailed, apiv1.DeliveryCancelled} {
		after := ""
		for {
			page, err := c.Deliveries(ctx, st, after, 500)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page {
				if strings.HasPrefix(d.ID, "alert:") {
					due[d.ID] = d.Due
				} else if d.Address == alertAction {
					out.actions = append(out.actions, fmt.Sprintf("%s %s %s", d.CustomerID, d.Address, d.Due.Format(time.RFC3339)))
				}
			}
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	counts, err := sk.Wait(wctx, func(c sink.Counts) bool { return len(c.Alerts) >= len(due) })
	if err != nil {
		t.Fatalf("waiting for %d alerts: %v; got %+v", len(due), err, counts.Alerts)
	}
	for _, a := range counts.Alerts {
		out.alerts = append(out.alerts, fmt.Sprintf("%s %s %s %.4f", a.Key, due[a.Key].Format(time.RFC3339), a.State, a.Value))
	}
	sort.Strings(out.alerts)
	sort.Strings(out.actions)
	return out
}

// The alerts of a stream are a function of the stream alone: replayed in
// batches of 7, 500 and 10,000 events through a real runtime, it raises
// the same alerts, at the same event times, in the same order. The missed
// alert's action goes, once each, to customers who were at checkout at
// its time, as a recount of the stream has them, and to the same ones
// however the events were batched: the runtime acts on them in the state
// they were in at the alert's time.
func TestAlertsSameHoweverBatched(t *testing.T) {
	const day = 24 * time.Hour
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	evs := gen.Generate(gen.Options{Seed: 42, Start: start, Span: 14 * day, Customers: 1000,
		Incident: true, IncidentFrom: 5 * day, IncidentFor: 4 * day})
	runs := gen.Recount(evs, gen.CartRecovery(), time.Time{}).Runs
	var first alertRun
	for i, batch := range []int{10000, 500, 7} {
		got := replayAlerts(t, evs, batch)
		if i == 0 {
			first = got
			if len(got.alerts) == 0 {
				t.Fatal("no alerts: the stream tests nothing")
			}
		} else if fmt.Sprint(got.alerts) != fmt.Sprint(first.alerts) {
			t.Errorf("batches of %d: alerts\n%q\nwant (batches of 10000)\n%q", batch, got.alerts, first.alerts)
		}
		// The first alert is the missed one, which acts.
		var h time.Time
		if f := strings.Fields(got.alerts[0]); len(f) == 4 && f[2] == "missed" {
			h, _ = time.Parse(time.RFC3339, f[1])
		}
		at := atCheckout(runs, h)
		seen := map[string]bool{}
		for _, a := range got.actions {
			f := strings.Fields(a)
			if seen[f[0]] {
				t.Errorf("batches of %d: customer %s got the alert's action twice", batch, f[0])
			}
			seen[f[0]] = true
			if !at[f[0]] {
				t.Errorf("batches of %d: customer %s got the alert's action but was not at checkout at %s", batch, f[0], h)
			}
			// Due at the alert's time, or later when quiet hours deferred it.
			if due, err := time.Parse(time.RFC3339, f[2]); err != nil || due.Before(h) {
				t.Errorf("batches of %d: action %s due before the alert's time %s", batch, a, h)
			}
		}
		t.Logf("batches of %d: alerts %q; %d of the %d customers at checkout at %s got the action", batch, got.alerts, len(seen), len(at), h.Format(time.RFC3339))
		if len(seen) == 0 {
			t.Errorf("batches of %d: the missed alert acted on nobody", batch)
		}
		if i > 0 && fmt.Sprint(got.actions) != fmt.Sprint(first.actions) {
			t.Errorf("batches of %d: the alert's action was delivered to %d customers, want the same %d as in batches of 10000:\n%s", batch, len(got.actions), len(first.actions), diff(got.actions, first.actions))
		}
	}
}

// atCheckout returns the customers whose run was at checkout just before
// h, as the recount has them: reached before h, left at h or after.
func atCheckout(runs []gen.Run, h time.Time) map[string]bool {
	out := map[string]bool{}
	for _, r := range runs {
		for i, st := range r.Stages {
			if st != "checkout" || !r.Reached[i].Before(h) {
				continue
			}
			left := r.Ended
			if i+1 < len(r.Stages) {
				left = r.Reached[i+1]
			}
			if r.Outcome == gen.Active && i+1 == len(r.Stages) || !left.Before(h) {
				out[r.Customer] = true
			}
		}
	}
	return out
}

// diff lists what only a has (+) and only b has (-).
func diff(a, b []string) string {
	in := func(xs []string, x string) bool {
		for _, y := range xs {
			if x == y {
				return true
			}
		}
		return false
	}
	var out []string
	for _, x := range a {
		if !in(b, x) {
			out = append(out, "+ "+x)
		}
	}
	for _, x := range b {
		if !in(a, x) {
			out = append(out, "- "+x)
		}
	}
	return strings.Join(out, "\n")
}
