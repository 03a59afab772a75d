package ui_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// hundredJourneys is a stack of 100 journeys, journey000 to journey099,
// each entered on a cart_updated whose cart_value is its number, with two
// stages, a goal, three KPIs and four actions.
func hundredJourneys() *deploy.Document {
	d := fixture.New("bench").Shared().Web()
	above, below := 0.2, 0.5
	for k := 0; k < 100; k++ {
		name := fmt.Sprintf("journey%03d", k)
		d.Journey(deploy.Journey{Name: name, Reentry: "never",
			Entry:  deploy.Criterion{Event: "cart_updated", Condition: fmt.Sprintf("event.cart_value == %d", k)},
			Goal:   &deploy.Goal{Criterion: deploy.Criterion{Event: "order_placed"}},
			Exits:  []deploy.Criterion{{Event: "ticket_opened"}},
			Stages: []string{"browsing", "checkout"}})
		d.Stage(deploy.Stage{Journey: name, Name: "browsing", Index: 0})
		d.Stage(deploy.Stage{Journey: name, Name: "checkout", Index: 1, Entry: &deploy.Criterion{Event: "checkout_started"}})
		d.KPI(deploy.KPI{Journey: name, Name: "conversion", Window: "7d", Metric: deploy.Metric{Function: "conversion", Source: "conversion()"},
			Target: &deploy.Target{Above: &above, MinSamples: 10}})
		d.KPI(deploy.KPI{Journey: name, Name: "checkout_dropoff", Window: "7d", Metric: deploy.Metric{Function: "dropoff", Stage: "checkout", Source: "dropoff(stage.checkout)"},
			Target: &deploy.Target{Below: &below, MinSamples: 10}})
		q := 0.5
		d.KPI(deploy.KPI{Journey: name, Name: "time_to_goal", Window: "7d", Metric: deploy.Metric{Function: "time_to_goal", Quantile: &q, Source: "time_to_goal(0.5)"}})
		for a := 0; a < 4; a++ {
			stage := []string{"browsing", "checkout"}[a%2]
			d.Action(deploy.Action{Journey: name, Name: fmt.Sprintf("offer%d", a), Channel: "web", Stages: []string{stage}})
		}
	}
	return d.Done()
}

// BenchmarkJourneyPage measures a journey page of a stack of 100
// journeys over loopback HTTP, on a runtime whose analytics hold
// WAYMARK_BENCH_CUSTOMERS customers (default 1,000,000) spread over the
// journeys: each entered one, half reached checkout, a quarter ordered. The
// target is 50 ms a page; it prints the time of the journey page and of
// the overview (all 100 journeys).
func BenchmarkJourneyPage(b *testing.B) {
	customers := 1_000_000
	if v := os.Getenv("WAYMARK_BENCH_CUSTOMERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("WAYMARK_BENCH_CUSTOMERS=%q is not a number of customers", v)
		}
		customers = n
	}
	ctx := context.Background()
	st, err := boltstore.Open(b.TempDir(), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key := make([]byte, service.KeySize)
	rand.Read(key)
	svc, err := service.New(ctx, service.Config{Store: st, SecretKey: key, MaxBacklog: 1 << 30, CacheSize: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	if _, err := svc.Deploy(ctx, "bench", 0, hundredJourneys(), "bench"); err != nil {
		b.Fatal(err)
	}
	fill := time.Now()
	const batch = 10_000
	lim := events.Limits{MaxEvents: 4 * batch, MaxEventBytes: 64 << 10}
	for i := 0; i < customers; i += batch {
		var sb strings.Builder
		m := 0
		for j := i; j < min(i+batch, customers); j++ {
			fmt.Fprintf(&sb, `{"id":"a%d","type":"cart_updated","customer_id":"c-%d","attributes":{"cart_value":%d}}`+"\n", j, j, j%100)
			m++
			if j%2 == 0 {
				fmt.Fprintf(&sb, `{"id":"b%d","type":"checkout_started","customer_id":"c-%d"}`+"\n", j, j)
				m++
			}
			if j%4 == 0 {
				fmt.Fprintf(&sb, `{"id":"o%d","type":"order_placed","customer_id":"c-%d","attributes":{"amount":40}}`+"\n", j, j)
				m++
			} else if j%7 == 0 {
				fmt.Fprintf(&sb, `{"id":"t%d","type":"ticket_opened","customer_id":"c-%d"}`+"\n", j, j)
				m++
			}
		}
		res, err := svc.Ingest(ctx, []byte(sb.String()), lim)
		if err != nil || res.Accepted != m {
			b.Fatalf("ingest: %+v %v", res, err)
		}
	}
	if err := svc.SyncAll(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d customers fed in %s", customers, time.Since(fill).Round(time.Second))

	srv := httptest.NewServer(api.New(svc, api.Options{Insecure: true}))
	defer srv.Close()
	page := func(b *testing.B, path, want string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			b.Fatalf("%s: %s\n%.500s", path, resp.Status, body)
		}
	}
	// The figures the page shows must be the customers fed.
	rep, err := svc.Analytics(ctx, "bench", "journey042", analytics.Range{})
	if err != nil {
		b.Fatal(err)
	}
	if want := int64(customers / 100); rep.Funnel[0].Reached < want {
		b.Fatalf("journey042 reached %d, want at least %d", rep.Funnel[0].Reached, want)
	}
	for _, p := range []struct{ name, path, want string }{
		{"journey", "/ui/journeys/bench/journey042", `data-stage="checkout"`},
		{"overview", "/ui/", "journey099"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				page(b, p.path, p.want)
			}
			ms := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
			b.ReportMetric(ms, "ms/page")
			verdict := "within"
			if p.name == "journey" && ms > 50 {
				verdict = "MISSES"
			}
			if p.name == "journey" {
				fmt.Printf("journey page, 100 journeys, %d customers: %.2f ms a page (%s the 50 ms target)\n", customers, ms, verdict)
			} else {
				fmt.Printf("overview page, 100 journeys, %d customers: %.2f ms a page\n", customers, ms)
			}
		})
	}
}
