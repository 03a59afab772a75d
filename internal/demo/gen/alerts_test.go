package gen_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/internal/demo/sink"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

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
	addr := rttest.Start(t)
	sk, err := sink.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	_, smtpPort, _ := net.SplitHostPort(sk.SMTPAddr)
	cfg, diags := lang.Load(ctx, "../../../examples/cart-recovery", lang.Options{
		Vars:      []lang.VarArg{{Name: "smtp_port", Value: smtpPort}, {Name: "ops_webhook_url", Value: "http://" + sk.HTTPAddr + "/hooks/growth"}},
		Providers: builtin.Schemas("0.1.0"),
		Builtin: func(name string) (string, bool) {
			for _, n := range builtin.Names {
				if n == name {
					return builtin.Source(n), true
				}
			}
			return "", false
		},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	c := client.New(addr, "", nil)
	if _, err := c.Deploy(ctx, "growth", 0, cfg.Document); err != nil {
		t.Fatal(err)
	}
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
				} else if strings.HasPrefix(d.DecisionID, "alert:") {
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

// The alerts of a stream, and the actions they trigger, are a function of
// the stream alone: replayed in batches of 7, 500 and 10,000 events
// through a real runtime, it raises the same alerts, at the same event
// times, in the same order.
func TestAlertsSameHoweverBatched(t *testing.T) {
	const day = 24 * time.Hour
	start := time.Now().UTC().Truncate(time.Hour).Add(-28 * day)
	evs := gen.Generate(gen.Options{Seed: 42, Start: start, Span: 28 * day, Customers: 6000,
		Incident: true})
	var first alertRun
	for i, batch := range []int{10000, 500, 7} {
		got := replayAlerts(t, evs, batch)
		t.Logf("batches of %d: %d alerts %q, %d actions", batch, len(got.alerts), got.alerts, len(got.actions))
		if i == 0 {
			first = got
			if len(got.alerts) == 0 {
				t.Fatal("no alerts: the stream tests nothing")
			}
			continue
		}
		if fmt.Sprint(got.alerts) != fmt.Sprint(first.alerts) {
			t.Errorf("batches of %d: alerts\n%q\nwant (batches of 10000)\n%q", batch, got.alerts, first.alerts)
		}
		if fmt.Sprint(got.actions) != fmt.Sprint(first.actions) {
			t.Errorf("batches of %d: %d alert actions, want %d as in batches of 10000", batch, len(got.actions), len(first.actions))
		}
	}
}
