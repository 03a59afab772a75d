package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// benchEngine is an engine running fixture.Decisions with customers
// customers in its three journeys, made directly in its shards as a load
// from the store would make them; it reports the heap each customer takes.
func benchEngine(b *testing.B, customers int) (*Engine, float64) {
	b.Helper()
	e := New(Options{})
	deployed := map[string]catalog.Deployed{"bench": {Serial: 1, Doc: fixture.Decisions("bench")}}
	cat, ps := catalog.Build(deployed, "")
	if len(ps) > 0 {
		b.Fatal(ps)
	}
	cc, ps := Compile(cat)
	if len(ps) > 0 {
		b.Fatal(ps)
	}
	cc.dec.Bind(e.opts.Models)
	e.cat.Store(cc)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tiers := []string{"standard", "gold", "silver"}
	for i := 0; i < customers; i++ {
		id := fmt.Sprintf("c-%07d", i)
		c := &customer{id: id, last: at, profile: profileOf(map[string]events.Value{
			"tier":         {Kind: events.KindString, Str: tiers[i%3]},
			"email_opt_in": {Kind: events.KindBool, Bool: i%2 == 0},
		})}
		for j := 0; j < 3; j++ {
			journey := cc.byName["bench"].st.Journeys[j].Name // shared, as decoding interns them
			r := &run{stack: "bench", journey: journey, n: 1, status: StatusActive, stage: "one", entered: at, stageAt: at,
				timers: []timer{{kind: timerWithin, due: at.Add(14 * 24 * time.Hour)}}}
			c.runs = append(c.runs, r)
			c.timeline = append(c.timeline, store.Transition{Time: at, Stack: "bench", Journey: journey, Customer: id, Run: 1, To: "one", Reason: ReasonEntered})
		}
		s := e.shardOf(id)
		s.customers[id] = c
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return e, float64(after.HeapAlloc-before.HeapAlloc) / float64(customers)
}

var benchContext = map[string]expr.Value{"page": expr.String("cart"), "cart_value": expr.Number(80)}

// wideContext has 14 keys: with the three attributes the customers have and their
// stages in three journeys, a model with predictors reads 20.
func wideContext(r *rand.Rand) map[string]expr.Value {
	ctx := map[string]expr.Value{"page": expr.String("cart"), "cart_value": expr.Number(float64(r.IntN(200)))}
	for k := 0; k < 13; k++ {
		ctx[fmt.Sprintf("k%02d", k)] = expr.String(fmt.Sprint("v", r.IntN(6)))
	}
	return ctx
}

// BenchmarkDecide measures decide in process: 200 candidate actions, a
// million customers (each in three journeys), a record of every decision
// queued for its group commit. It reports the p50 and p99 latency and the
// heap per customer: with Beta models (no predictors), trusted (ranked by
// their means) and new (every candidate drawn), and with models of 20
// predictors each, trained.
func BenchmarkDecide(b *testing.B) {
	customers := 1_000_000
	if testing.Short() {
		customers = 10_000
	}
	e, perCustomer := benchEngine(b, customers)
	for _, name := range []string{"beta-exploring", "beta-trusted", "bayes-20-predictors"} {
		b.Run(name, func(b *testing.B) {
			reg := models.NewRegistry()
			r := rand.New(rand.NewPCG(7, 7))
			cat := e.cat.Load()
			if name != "bayes-20-predictors" {
				reg.New = models.NewBeta
			}
			cat.dec.Bind(reg)
			e.opts.Models = reg
			switch name {
			case "beta-trusted":
				// Every model has enough evidence to be ranked by its mean.
				for _, a := range cat.dec.Actions() {
					for i := 0; i < models.TrustAfter; i++ {
						reg.Observe(0, a.ModelKey, nil, i%(3+a.Object%17) == 0, false, 1)
					}
				}
			case "bayes-20-predictors":
				// Every model learns 300 responses of customers described
				// by 20 predictors: their numbers binned, their symbols seen.
				for _, a := range cat.dec.Actions() {
					for i := 0; i < 300; i++ {
						id := fmt.Sprintf("c-%07d", r.IntN(customers))
						c := e.shardOf(id).customers[id]
						sub := cat.subject(c, time.Now())
						x := decide.Features(cat.dec, &sub, wideContext(r))
						if i == 0 && len(x) != 20 {
							b.Fatalf("%d predictors", len(x))
						}
						reg.Learn(0, a.ModelKey, models.Observation{X: x, Positive: r.IntN(3+a.Object%17) == 0, Weight: 1})
					}
				}
			}
			rec := decide.NewRecorder(decide.RecorderOptions{Put: func(context.Context, []store.Decision) error { return nil }})
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- rec.Run(ctx) }()
			defer func() { stop(); <-done }()
			rng := rand.New(rand.NewPCG(1, 2))
			reqCtx := benchContext
			if name == "bayes-20-predictors" {
				reqCtx = wideContext(rng)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("c-%07d", rng.IntN(customers))
				start := time.Now()
				d, err := e.Decide(context.Background(), DecideRequest{Customer: id, Channel: "web", Context: reqCtx, Limit: 3})
				if err != nil {
					b.Fatal(err)
				}
				n := len(d.Candidates)
				rec.Add(d)
				lat = append(lat, time.Since(start))
				if n != 200 || d.Chosen != 3 {
					b.Fatalf("decision of %d candidates chose %d", n, d.Chosen)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(perCustomer, "heap-B/customer")
			if b.N > 1000 {
				fmt.Printf("decide in process (%s models), 200 candidates, %d customers: p50 %v, p99 %v (target p99 ≤ 200µs); heap %.0f B/customer\n",
					name, customers, p50, p99, perCustomer)
			}
		})
	}
}
