package gen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/analytics"
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
// independent recount of the same stream by the journey's rules.
func TestRuntimeAnalyticsMatchRecount(t *testing.T) {
	ctx := context.Background()
	addr := rttest.Start(t)
	cfg, diags := lang.Load(ctx, "../../../examples/cart-recovery", lang.Options{
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

	start := time.Now().UTC().Truncate(time.Hour).Add(-14 * 24 * time.Hour)
	evs := gen.Generate(gen.Options{Seed: 7, Start: start, Span: 14 * 24 * time.Hour, Customers: 1500})
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

	// The engine processes acknowledged events asynchronously: read until
	// the report holds still.
	var rep, prev *analytics.Report
	deadline := time.Now().Add(60 * time.Second)
	for {
		rep = report(t, addr)
		if prev != nil && rep.Totals == prev.Totals && rep.Active == prev.Active && rep.Totals.Entries > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the analytics did not settle: %+v", rep.Totals)
		}
		prev = rep
		time.Sleep(300 * time.Millisecond)
	}

	rules := gen.CartRecovery()
	out := gen.Recount(evs, rules, time.Time{})
	want := out.Totals(rep.From, rep.Now)
	got := gen.Totals{Entries: int(rep.Totals.Entries), Completed: int(rep.Totals.Completed), Exited: int(rep.Totals.Exited),
		Expired: int(rep.Totals.Expired), TimedOut: int(rep.Totals.TimedOut), Active: int(rep.Active)}
	if got != want {
		t.Errorf("totals: runtime %+v, recount %+v", got, want)
	}
	for i, f := range out.Funnel(rules, rep.From, rep.Now) {
		g := rep.Funnel[i]
		if (gen.StageCounts{Reached: int(g.Reached), MovedOn: int(g.MovedOn), Completed: int(g.Completed), Dropped: int(g.Dropped)}) != f {
			t.Errorf("stage %s: runtime %+v, recount %+v", g.Stage, g, f)
		}
	}
	t.Logf("runtime %+v, recount %+v", got, want)
	if want.Entries < 100 {
		t.Errorf("only %d entries in the window: the stream is too thin to test anything", want.Entries)
	}
}

func report(t *testing.T, addr string) *analytics.Report {
	t.Helper()
	res, err := http.Get(addr + "/v1/journeys/growth/cart_recovery/analytics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("analytics: HTTP %d", res.StatusCode)
	}
	var rep analytics.Report
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}
