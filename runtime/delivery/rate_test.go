package delivery_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// A channel's send rate of 100/s holds over a burst of 5,000 sends due at
// once: about 1,000 go in the first 10 s, the rest wait in the outbox in
// the order they fell due, and none is lost. It holds too across a restart
// of the outbox and with two replicas sharing the store (each at half the
// rate), over 1,500.
//
// The deliverer here is a function of the test that notes the clock at
// each send: the webhook provider's process, which the other tests use,
// adds nothing to what is measured, and 5,000 requests to it would take
// most of the test's time. The clock is the manual one, moved a step once
// the outbox has dealt with everything due by then.
func TestSendRate(t *testing.T) {
	const (
		limit = 100
		per   = time.Second
		burst = 10 * time.Second
	)
	tests := []struct {
		name     string
		replicas int
		// restart stops the outbox this long into the burst and starts a
		// new one over the same store.
		restart time.Duration
		// n sends fall due; figure checks the figure.
		n      int
		figure bool
	}{
		{name: "one outbox", replicas: 1, n: 5000, figure: true},
		{name: "restarted", replicas: 1, n: 1500, restart: 3 * time.Second},
		{name: "two replicas", replicas: 2, n: 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.n
			st := memstore.New(memstore.Options{})
			clock := newManual(t0)
			var mu sync.Mutex
			sent := map[string][]time.Time{} // by entry ID
			queued := 0
			opts := delivery.Options{
				Store: st, Clock: clock, Workers: 8,
				Rate: func(ch string) delivery.Rate {
					if ch == "email" {
						return delivery.Rate{Max: limit, Per: per}
					}
					return delivery.Rate{}
				},
				Replicas: func() int { return tt.replicas },
				Render: func(_ context.Context, it *delivery.Item) (string, *host.Delivery, error) {
					return "waymark/log", &host.Delivery{Kind: host.KindAction, IdempotencyKey: it.Key, Channel: it.Channel, CustomerID: it.Customer}, nil
				},
				Deliver: func(_ context.Context, _ string, d *host.Delivery) (string, error) {
					mu.Lock()
					sent[d.IdempotencyKey] = append(sent[d.IdempotencyKey], clock.Now())
					mu.Unlock()
					return d.IdempotencyKey, nil
				},
				Report: func(context.Context, *delivery.Item, string) error { return nil },
				Observe: func(_, result string) {
					if result == "rate_limited" {
						mu.Lock()
						queued++
						mu.Unlock()
					}
				},
			}
			// Due one millisecond apart, all by t0, in an order that is not
			// their IDs'.
			var es []store.Delivery
			due := map[string]time.Time{}
			for i := range n {
				c := fmt.Sprintf("c%05d", (i*7919)%n)
				at := t0.Add(-time.Duration(n-i) * time.Millisecond)
				it := &delivery.Item{Key: delivery.Key("growth", c, "cart", 1, "journey.cart.action.remind", at), Customer: c,
					Stack: "growth", Journey: "cart", Run: 1, Action: "journey.cart.action.remind", Channel: "email", Due: at, Next: at}
				due[it.Key] = at
				es = append(es, it.Entry(store.DeliveryPending, at))
			}
			if err := st.Commit(context.Background(), store.Commit{Deliveries: es}); err != nil {
				t.Fatal(err)
			}
			start := func(worker string) (*delivery.Outbox, func()) {
				o := opts
				o.Worker = worker
				ob := delivery.New(o)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- ob.Run(ctx) }()
				var once sync.Once
				stop := func() {
					once.Do(func() {
						cancel()
						if err := <-done; err != nil {
							t.Error(err)
						}
					})
				}
				t.Cleanup(stop)
				return ob, stop
			}
			first, stopFirst := start("a")
			for i := 1; i < tt.replicas; i++ {
				start(fmt.Sprintf("r%d", i))
			}
			// settle waits until nothing due by now is left pending: every
			// entry due has been sent or given a later slot.
			settle := func() {
				t.Helper()
				deadline := time.Now().Add(20 * time.Second)
				for {
					next, ok, err := st.NextDue(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if !ok || next.After(clock.Now()) {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("at %v the outbox still has entries due since %v", clock.Now().Sub(t0), next.Sub(t0))
					}
					time.Sleep(200 * time.Microsecond)
				}
			}
			settle()
			if tt.figure {
				if got := first.RateLimited()["email"]; got != n-1 {
					t.Errorf("%d entries wait for the rate, want %d", got, n-1)
				}
			}
			for clock.Now().Sub(t0) < 200*time.Second {
				mu.Lock()
				all := len(sent) == n
				mu.Unlock()
				if all {
					break
				}
				if tt.restart > 0 && clock.Now().Sub(t0) == tt.restart {
					stopFirst()
					start("a") // the same replica, with a new limiter
				}
				// For the figure, steps of a slot (per/limit) through the
				// burst, so that each send is noted at its slot; else, and
				// then, steps of half of per (well within the grace of a
				// slot), to be quick.
				if tt.figure && clock.Now().Sub(t0) < burst+time.Second {
					clock.Add(per / limit)
				} else {
					clock.Add(per / 2)
				}
				settle()
			}
			mu.Lock()
			defer mu.Unlock()
			var times []time.Time
			inBurst := 0
			for key, ts := range sent {
				if len(ts) != 1 {
					t.Errorf("%s was sent %d times", key, len(ts))
				}
				times = append(times, ts[0])
				if ts[0].Before(t0.Add(burst)) {
					inBurst++
				}
			}
			if len(sent) != n {
				t.Fatalf("%d of %d sent by %v", len(sent), n, clock.Now().Sub(t0))
			}
			// The most sends in any window of per.
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			most := 0
			for i, j := 0, 0; i < len(times); i++ {
				for j < len(times) && times[j].Before(times[i].Add(per)) {
					j++
				}
				most = max(most, j-i)
			}
			if most > limit*102/100 {
				t.Errorf("%d sends in one %v window, over %d", most, per, limit)
			}
			// Sent in the order they fell due.
			keys := make([]string, 0, n)
			for k := range due {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b string) int { return due[a].Compare(due[b]) })
			inversions := 0
			for i := 1; i < len(keys); i++ {
				if sent[keys[i]][0].Before(sent[keys[i-1]][0]) {
					inversions++
				}
			}
			t.Logf("%s: %d sent in the first %v at %d/%v (%.1f%% of %d), at most %d in any %v, %d queued for the rate, all %d sent by %v, %d out of due order",
				tt.name, inBurst, burst, limit, per, 100*float64(inBurst)/float64(limit*int(burst/per)), limit*int(burst/per), most, per, queued, n,
				times[len(times)-1].Sub(t0), inversions)
			if tt.figure {
				if want := limit * int(burst/per); inBurst < want*98/100 || inBurst > want*102/100 {
					t.Errorf("%d sent in the first %v, want %d within 2%%", inBurst, burst, want)
				}
				if inversions > 0 {
					t.Errorf("%d sends out of the order they fell due", inversions)
				}
				if queued != n-1 {
					t.Errorf("%d queued for the rate, want %d", queued, n-1)
				}
			}
		})
	}
}
