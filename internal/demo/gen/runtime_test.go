package gen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/internal/demo/sink"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// TestMain lets the test binary serve the built-in providers when the
// in-process runtime re-executes it to deliver, as the waymark binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "__provider" {
		os.Exit(command.Main(context.Background(), os.Args[1:], cmdutil.System()))
	}
	os.Exit(m.Run())
}

// The runtime's analytics of a generated stream, replayed through a real
// runtime (HTTP, durable log, engine, timers on the event clock), match an
// independent recount of the same stream by the journey's rules; the
// payment incident in the stream makes the checkout dropoff KPI leave its
// target and come back, and each change arrives once as a webhook through
// the real webhook provider, as the emails do through the smtp provider.
func TestRuntimeAnalyticsMatchRecount(t *testing.T) {
	ctx := context.Background()
	addr := rttest.Start(t)
	c, sk := applyExample(t, addr)

	const day = 24 * time.Hour
	start := time.Now().UTC().Truncate(time.Hour).Add(-21 * day)
	evs := gen.Generate(gen.Options{Seed: 7, Start: start, Span: 21 * day, Customers: 2000,
		Incident: true, IncidentFrom: 3 * day, IncidentFor: 4 * day})
	for i := 0; i < len(evs); i += 5000 {
		var buf bytes.Buffer
		if err := gen.Write(&buf, evs[i:min(i+5000, len(evs))]); err != nil {
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

	// The engine processes acknowledged events asynchronously: sync waits
	// until it has processed every one, fired the timers due and fed
	// analytics, whose alerts are then in the outbox.
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	rep := report(t, addr)

	rules := gen.CartRecovery()
	out := gen.Recount(evs, rules, time.Time{})
	want := out.Totals(rep.From, rep.Now)
	got := gen.Totals{Entries: int(rep.Totals.Entries), Completed: int(rep.Totals.Completed), Exited: int(rep.Totals.Exited),
		Expired: int(rep.Totals.Expired), TimedOut: int(rep.Totals.TimedOut), Active: int(rep.Active)}
	if got != want {
		t.Errorf("totals: runtime %+v, recount %+v", got, want)
	}
	addsUp(t, "", rep)
	for i, f := range out.Funnel(rules, rep.From, rep.Now) {
		g := rep.Funnel[i]
		if (gen.StageCounts{Reached: int(g.Reached), MovedOn: int(g.MovedOn), Completed: int(g.Completed), Dropped: int(g.Dropped),
			StillThere: int(g.StillThere)}) != f {
			t.Errorf("stage %s: runtime %+v, recount %+v", g.Stage, g, f)
		}
	}
	t.Logf("runtime %+v, recount %+v", got, want)
	if want.Entries < 100 {
		t.Errorf("only %d entries in the window: the stream is too thin to test anything", want.Entries)
	}

	kpis := map[string]apiv1.KPI{}
	for _, k := range rep.KPIs {
		kpis[k.Name] = k
	}
	aov := kpis["average_order_value"]
	mean, n, ok := out.AverageGoalAmount(rep.From, rep.Now)
	if !ok || aov.Value == nil || math.Abs(*aov.Value-mean) > 1e-9*mean || aov.Samples != int64(n) {
		t.Errorf("average_order_value: runtime %v over %d, recount %v over %d", ptr(aov.Value), aov.Samples, mean, n)
	}
	if tr := kpis["ticket_rate"]; tr.Value == nil || *tr.Value <= 0 || *tr.Value >= 1 || tr.Samples < 100 {
		t.Errorf("ticket_rate: %v over %d samples", ptr(tr.Value), tr.Samples)
	}

	// Every alert raised is delivered once: the incident makes the dropoff
	// miss its target, its end makes it meet it again. Deliveries may
	// arrive in any order; the alert ids count the changes.
	// Sync put the alerts in the outbox; they may queue behind the
	// emails (over a thousand, slow under -race on a loaded machine):
	// wait for them as long as the test may run.
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Minute)
	}
	wctx, cancel := context.WithDeadline(ctx, deadline.Add(-10*time.Second))
	defer cancel()
	counts, err := sk.Wait(wctx, func(c sink.Counts) bool { return len(c.Alerts) >= 2 })
	if err != nil {
		t.Errorf("waiting for two alerts: %v; got %+v", err, counts.Alerts)
	}
	sort.Slice(counts.Alerts, func(i, j int) bool { return counts.Alerts[i].Key < counts.Alerts[j].Key })
	var states []string
	for i, a := range counts.Alerts {
		if want := fmt.Sprintf("alert:growth/journey.cart_recovery.kpi.checkout_dropoff#%d", i+1); a.Key != want {
			t.Errorf("alert key %q, want %q", a.Key, want)
		}
		if a.KPI != "checkout_dropoff" || a.Target != 0.4 {
			t.Errorf("alert %+v", a)
		}
		if (a.State == "missed") != (a.Value > 0.4) {
			t.Errorf("alert %+v: its state does not match its value", a)
		}
		states = append(states, a.State)
	}
	if fmt.Sprint(states) != "[missed met]" {
		t.Errorf("alerts %v, want [missed met]", states)
	}
	if counts.Duplicates != 0 {
		t.Errorf("%d deliveries repeated", counts.Duplicates)
	}

	// Emails reach the SMTP sink, and the report counts actions decided
	// and delivered on the email channel.
	var email apiv1.ActionReport
	for _, ch := range rep.Channels {
		if ch.Channel == "email" {
			email = ch
		}
	}
	if email.Decided == 0 || counts.Emails == 0 {
		t.Errorf("email: %d decided in the window, %d emails received", email.Decided, counts.Emails)
	}
	t.Logf("alerts %v, emails %d, email channel %+v", states, counts.Emails, email)

	// Erasing customers who are in the journey ends their runs: the
	// funnel still adds up, with them dropped from their stages.
	erased := 0
	for _, r := range out.Runs {
		if r.Outcome == gen.Active && erased < 20 {
			if err := c.DeleteCustomer(ctx, r.Customer); err != nil {
				t.Fatal(err)
			}
			erased++
		}
	}
	after := report(t, addr)
	addsUp(t, "after erasures", after)
	if after.Active != rep.Active-int64(erased) || after.Totals.Removed != rep.Totals.Removed+int64(erased) {
		t.Errorf("after erasing %d: active %d, removed %d; before: active %d, removed %d",
			erased, after.Active, after.Totals.Removed, rep.Active, rep.Totals.Removed)
	}
}

// addsUp checks that every stage of the funnel accounts for each run that
// reached it: moved on, reached the goal, dropped, or still there.
func addsUp(t *testing.T, when string, rep *apiv1.Analytics) {
	t.Helper()
	for _, g := range rep.Funnel {
		if g.MovedOn+g.Completed+g.Dropped+g.StillThere != g.Reached {
			t.Errorf("%s stage %s: moved on %d + goal %d + dropped %d + still there %d != reached %d",
				when, g.Stage, g.MovedOn, g.Completed, g.Dropped, g.StillThere, g.Reached)
		}
	}
}

func ptr(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func report(t *testing.T, addr string) *apiv1.Analytics {
	t.Helper()
	res, err := http.Get(addr + "/v1/journeys/growth/cart_recovery/analytics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("analytics: HTTP %d", res.StatusCode)
	}
	var rep apiv1.Analytics
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// applyExample applies examples/cart-recovery to the runtime at addr, its
// email and webhook channels pointed at a sink on loopback, closed with
// the test.
func applyExample(t *testing.T, addr string) (*client.Client, *sink.Sink) {
	t.Helper()
	sk, err := sink.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.Close() })
	_, smtpPort, _ := net.SplitHostPort(sk.SMTPAddr)
	cfg, diags := lang.Load(context.Background(), "../../../examples/cart-recovery", lang.Options{
		Vars:      []lang.VarArg{{Name: "smtp_port", Value: smtpPort}, {Name: "ops_webhook_url", Value: "http://" + sk.HTTPAddr + "/hooks/growth"}},
		Providers: builtin.Schemas("0.1.0"),
		Builtin:   builtin.Lookup,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	c := client.New(addr, "", nil)
	if _, err := c.Deploy(context.Background(), "growth", 0, cfg.Document); err != nil {
		t.Fatal(err)
	}
	return c, sk
}
