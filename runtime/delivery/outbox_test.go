package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/providers/builtin/webhook"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

func TestMain(m *testing.M) { sdktest.Main(m, webhook.Provider()) }

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// rig is an outbox delivering through the real webhook provider, run as a
// process of its own, to an HTTP server of the test, on a manual clock.
type rig struct {
	t     *testing.T
	st    *memstore.Store
	clock *manual
	o     *delivery.Outbox
	p     *host.Provider
	opts  delivery.Options

	mu sync.Mutex
	// status answers the n-th request (from 1) for a customer.
	status   func(customer string, n int) int
	requests map[string][]string // idempotency keys received, by customer
	reports  []string
	results  []string
}

func newRig(t *testing.T, opts delivery.Options, status func(customer string, n int) int) *rig {
	r := &rig{t: t, st: memstore.New(memstore.Options{}), clock: newManual(t0), status: status, requests: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body webhook.Body
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		cu := body.Customer.ID
		r.requests[cu] = append(r.requests[cu], req.Header.Get("Idempotency-Key"))
		code := r.status(cu, len(r.requests[cu]))
		r.mu.Unlock()
		if code == 0 {
			time.Sleep(2 * time.Second) // past the attempt's deadline
			code = 200
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	r.p = sdktest.Process(t, webhook.Provider())
	if _, err := r.p.Configure(context.Background(), "ops", map[string]cty.Value{"url": cty.StringVal(srv.URL)}); err != nil {
		t.Fatal(err)
	}
	opts.Store, opts.Clock = r.st, r.clock
	opts.Render = func(_ context.Context, it *delivery.Item) (string, *host.Delivery, error) {
		if it.Customer == "gone" {
			return "", nil, &delivery.CancelError{Reason: "the customer is gone"}
		}
		return "waymark/webhook", &host.Delivery{Kind: host.KindAction, IdempotencyKey: it.Key, Channel: it.Channel, Stack: it.Stack,
			Journey: it.Journey, Action: "remind", CustomerID: it.Customer, Message: map[string]string{"text": "hello"}}, nil
	}
	opts.Deliver = func(ctx context.Context, _ string, d *host.Delivery) (string, error) { return r.p.Deliver(ctx, d) }
	opts.Report = func(_ context.Context, it *delivery.Item, outcome string) error {
		r.mu.Lock()
		r.reports = append(r.reports, it.Customer+":"+outcome)
		r.mu.Unlock()
		return nil
	}
	opts.Observe = func(channel, result string) {
		r.mu.Lock()
		r.results = append(r.results, result)
		r.mu.Unlock()
	}
	r.o = delivery.New(opts)
	r.opts = opts
	return r
}

// another returns an outbox of another worker over the same store and
// receiver, as another replica runs.
func (r *rig) another(worker string) *delivery.Outbox {
	opts := r.opts
	opts.Worker = worker
	return delivery.New(opts)
}

// runOutbox runs o until the end of the test; stop ends it sooner and
// waits for Run to return.
func (r *rig) runOutbox(o *delivery.Outbox) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Error(err)
			}
		})
	}
	r.t.Cleanup(stop)
	return stop
}

// run starts the outbox; it stops at the end of the test.
func (r *rig) run() { r.runOutbox(r.o) }

// enqueue commits deliveries for customers, as the engine would, and
// hands them to the outbox.
func (r *rig) enqueue(customers ...string) []store.Delivery {
	var es []store.Delivery
	for _, c := range customers {
		it := &delivery.Item{Key: delivery.Key("growth", c, "cart", 1, "journey.cart.action.remind", t0), Customer: c,
			Stack: "growth", Journey: "cart", Run: 1, Action: "journey.cart.action.remind", Channel: "ops", Due: t0}
		es = append(es, it.Entry(store.DeliveryPending, r.clock.Now()))
	}
	if err := r.st.Commit(context.Background(), store.Commit{Deliveries: es}); err != nil {
		r.t.Fatal(err)
	}
	return es
}

// until moves the clock on in steps until cond holds.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.t.Fatalf("never %s: requests %v, reports %v, results %v", what, r.requests, r.reports, r.results)
		}
		r.clock.Add(250 * time.Millisecond)
		time.Sleep(3 * time.Millisecond)
	}
}

// wait waits until cond holds, the clock standing still: no claim runs
// out meanwhile.
func (r *rig) wait(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.t.Fatalf("never %s: requests %v, reports %v, results %v", what, r.requests, r.reports, r.results)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

func (r *rig) state(key string) (store.DeliveryState, *delivery.Item) {
	e, err := r.st.Delivery(context.Background(), key)
	if err != nil {
		return "", nil
	}
	it, _ := delivery.Decode(e)
	return e.State, it
}

func (r *rig) got(customer string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests[customer]...)
}

func (r *rig) reported() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.reports...)
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestRetriesThenDelivers(t *testing.T) {
	r := newRig(t, delivery.Options{Backoff: 2 * time.Second, MaxAttempts: 5}, func(_ string, n int) int {
		if n <= 2 {
			return 503
		}
		return 200
	})
	es := r.enqueue("c1")
	r.o.Add(es)
	r.run()
	// After the first failure the entry waits between half the backoff and
	// all of it.
	r.until("failed once", func() bool { _, it := r.state(es[0].ID); return it != nil && it.Attempts == 1 })
	e, _ := r.st.Delivery(context.Background(), es[0].ID)
	_, it := r.state(es[0].ID)
	if wait := it.Next.Sub(e.Updated); wait < time.Second || wait > 2*time.Second || !strings.Contains(it.LastError, "503") {
		t.Fatalf("after the first failure: next attempt in %v, error %q", wait, it.LastError)
	}
	r.until("delivered", func() bool { s, _ := r.state(es[0].ID); return s == store.DeliveryDelivered })
	keys := r.got("c1")
	if len(keys) != 3 || keys[0] != es[0].ID || keys[1] != keys[0] || keys[2] != keys[0] {
		t.Fatalf("idempotency keys of the attempts: %v", keys)
	}
	if _, it := r.state(es[0].ID); it.Attempts != 3 || it.Outcome != delivery.OutcomeDelivered || it.MessageID != es[0].ID || it.LastError != "" {
		t.Fatalf("delivered %+v", it)
	}
	if got := r.reported(); got != "c1:delivered" {
		t.Fatalf("reports %s", got)
	}
}

func TestDeadLetterAndRetry(t *testing.T) {
	fixed := false
	var mu sync.Mutex
	r := newRig(t, delivery.Options{MaxAttempts: 3, Backoff: time.Second}, func(c string, n int) int {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case fixed:
			return 200
		case c == "refused":
			return 400 // permanent
		}
		return 500 // retryable, every time
	})
	es := r.enqueue("refused", "down", "gone")
	r.o.Add(es)
	r.run()
	r.until("dead-lettered", func() bool {
		a, _ := r.state(es[0].ID)
		b, _ := r.state(es[1].ID)
		c, _ := r.state(es[2].ID)
		return a == store.DeliveryFailed && b == store.DeliveryFailed && c == store.DeliveryCancelled
	})
	if n := len(r.got("refused")); n != 1 {
		t.Fatalf("a permanent failure was attempted %d times", n)
	}
	if n := len(r.got("down")); n != 3 {
		t.Fatalf("a retryable failure was attempted %d times, want MaxAttempts (3)", n)
	}
	if len(r.got("gone")) != 0 {
		t.Fatal("a cancelled delivery was attempted")
	}
	if got := r.reported(); got != "down:failed gone:cancelled refused:failed" {
		t.Fatalf("reports %s", got)
	}
	list, err := r.o.List(context.Background(), store.DeliveryFailed, "", 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("dead-letter list %+v %v", list, err)
	}
	if _, err := r.o.Retry(context.Background(), es[2].ID); err == nil {
		t.Fatal("a cancelled delivery was retried")
	}
	mu.Lock()
	fixed = true
	mu.Unlock()
	for _, e := range es[:2] {
		if _, err := r.o.Retry(context.Background(), e.ID); err != nil {
			t.Fatal(err)
		}
	}
	r.until("replayed", func() bool {
		a, _ := r.state(es[0].ID)
		b, _ := r.state(es[1].ID)
		return a == store.DeliveryDelivered && b == store.DeliveryDelivered
	})
	if keys := r.got("down"); len(keys) != 4 || keys[3] != keys[0] {
		t.Fatalf("the replay's key: %v", keys)
	}
}

// A channel that keeps failing opens its breaker: the deliveries waiting
// for it are held back without an attempt until a probe succeeds.
func TestCircuitBreaker(t *testing.T) {
	var mu sync.Mutex
	up := false
	r := newRig(t, delivery.Options{Workers: 1, BreakerThreshold: 2, BreakerCooldown: time.Minute, Backoff: time.Second, MaxAttempts: 100},
		func(string, int) int {
			mu.Lock()
			defer mu.Unlock()
			if up {
				return 200
			}
			return 503
		})
	es := r.enqueue("a", "b", "c", "d")
	r.o.Add(es)
	r.run()
	r.until("held", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, x := range r.results {
			if x == "held" {
				return true
			}
		}
		return false
	})
	if !r.o.BreakerOpen("ops") {
		t.Fatal("the breaker is not open")
	}
	attempts := len(r.got("a")) + len(r.got("b")) + len(r.got("c")) + len(r.got("d"))
	// Within the cool-down nothing more is attempted.
	for i := 0; i < 50; i++ {
		r.clock.Add(time.Second)
		time.Sleep(time.Millisecond)
	}
	if n := len(r.got("a")) + len(r.got("b")) + len(r.got("c")) + len(r.got("d")); n > attempts+1 {
		t.Fatalf("%d attempts while the breaker was open (%d before)", n-attempts, attempts)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	r.until("all delivered", func() bool {
		for _, e := range es {
			if s, _ := r.state(e.ID); s != store.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	if r.o.BreakerOpen("ops") {
		t.Fatal("the breaker is still open")
	}
	for _, e := range es {
		if _, it := r.state(e.ID); it.Attempts > 3 {
			t.Errorf("%s was attempted %d times: held deliveries count attempts", it.Customer, it.Attempts)
		}
	}
}

// An attempt has a deadline; one that runs out is retried.
func TestAttemptDeadline(t *testing.T) {
	r := newRig(t, delivery.Options{AttemptTimeout: 300 * time.Millisecond, Backoff: time.Second}, func(_ string, n int) int {
		if n == 1 {
			return 0 // hangs past the deadline
		}
		return 200
	})
	es := r.enqueue("slow")
	r.o.Add(es)
	r.run()
	r.until("delivered", func() bool { s, _ := r.state(es[0].ID); return s == store.DeliveryDelivered })
	if _, it := r.state(es[0].ID); it.Attempts != 2 {
		t.Fatalf("attempts %d", it.Attempts)
	}
}

// Pending deliveries of the store are delivered after a restart; a
// delivery erased with its customer is not.
func TestPendingAfterRestart(t *testing.T) {
	r := newRig(t, delivery.Options{}, func(string, int) int { return 200 })
	es := r.enqueue("c1", "c2")
	if err := r.st.Commit(context.Background(), store.Commit{Delete: []string{"c2"}}); err != nil {
		t.Fatal(err)
	}
	r.o.Add(es[1:]) // told of it, but erased since
	r.run()
	r.until("delivered", func() bool { s, _ := r.state(es[0].ID); return s == store.DeliveryDelivered })
	time.Sleep(50 * time.Millisecond)
	if n := len(r.got("c2")); n != 0 {
		t.Fatalf("an erased customer's delivery was attempted %d times", n)
	}
	if got := r.reported(); got != "c1:delivered" {
		t.Fatalf("reports %s", got)
	}
}

func TestKey(t *testing.T) {
	k := delivery.Key("growth", "c1", "cart", 1, "journey.cart.action.remind", t0)
	for _, other := range []string{
		delivery.Key("billing", "c1", "cart", 1, "journey.cart.action.remind", t0),
		delivery.Key("growth", "c2", "cart", 1, "journey.cart.action.remind", t0),
		delivery.Key("growth", "c1", "cart", 2, "journey.cart.action.remind", t0),
		delivery.Key("growth", "c1", "cart", 1, "journey.cart.action.other", t0),
		delivery.Key("growth", "c1", "cart", 1, "journey.cart.action.remind", t0.Add(time.Nanosecond)),
		delivery.Key("growth", "c1c", "art", 1, "journey.cart.action.remind", t0),
	} {
		if other == k {
			t.Fatalf("two deliveries share the key %s", k)
		}
	}
	if k != delivery.Key("growth", "c1", "cart", 1, "journey.cart.action.remind", t0) || len(k) != 32 {
		t.Fatalf("key %s", k)
	}
}

// customers returns n customer ids.
func customers(n int) []string {
	var cs []string
	for i := range n {
		cs = append(cs, fmt.Sprintf("c%02d", i))
	}
	return cs
}

// keys returns the distinct idempotency keys the receiver got, and how
// many requests it got in all.
func (r *rig) keys() (map[string]bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys, n := map[string]bool{}, 0
	for _, ks := range r.requests {
		for _, k := range ks {
			keys[k] = true
			n++
		}
	}
	return keys, n
}

func (r *rig) allIn(es []store.Delivery, state store.DeliveryState) func() bool {
	return func() bool {
		for _, e := range es {
			if s, _ := r.state(e.ID); s != state {
				return false
			}
		}
		return true
	}
}

// Two outboxes on one store, as two replicas run them, share the queue:
// each entry is delivered and reported once.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	r := newRig(t, delivery.Options{Worker: "a", Workers: 3}, func(string, int) int { return 200 })
	cs := customers(60)
	r.run()
	r.runOutbox(r.another("b"))
	var es []store.Delivery
	for i := 0; i < len(cs); i += 10 {
		batch := r.enqueue(cs[i : i+10]...)
		es = append(es, batch...)
		r.o.Add(batch)
	}
	r.wait("every entry delivered", r.allIn(es, store.DeliveryDelivered))
	keys, n := r.keys()
	if len(keys) != len(cs) || n != len(cs) {
		t.Fatalf("the receiver got %d requests with %d keys, want %d of each", n, len(keys), len(cs))
	}
	for _, e := range es {
		if !keys[e.ID] {
			t.Errorf("no request with the key of %s", e.ID)
		}
	}
	r.mu.Lock()
	reports := len(r.reports)
	r.mu.Unlock()
	if reports != len(cs) {
		t.Errorf("%d reports, want %d", reports, len(cs))
	}
}

// A worker that dies during its attempts keeps their claims: no other
// worker attempts them until the claims run out, then another delivers
// them.
func TestDeadWorkersClaimsRunOut(t *testing.T) {
	// Every first request hangs past the moment worker a dies.
	r := newRig(t, delivery.Options{Worker: "a", Workers: 20, AttemptTimeout: 10 * time.Second}, func(_ string, n int) int {
		if n == 1 {
			return 0
		}
		return 200
	})
	cs := customers(20)
	es := r.enqueue(cs...)
	stopA := r.runOutbox(r.o)
	r.o.Add(es)
	deadline := time.Now().Add(10 * time.Second)
	for keys, _ := r.keys(); len(keys) < len(cs); keys, _ = r.keys() {
		if time.Now().After(deadline) {
			t.Fatalf("worker a attempted %d entries, want %d", len(keys), len(cs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, before := r.keys()
	stopA() // during every attempt
	for _, e := range es {
		got, err := r.st.Delivery(context.Background(), e.ID)
		if err != nil || got.State != store.DeliveryPending || got.Claim != "a" {
			t.Fatalf("after worker a stopped, %s is %s claimed by %q (%v), want pending and a's", e.ID, got.State, got.Claim, err)
		}
	}
	r.runOutbox(r.another("b"))
	time.Sleep(600 * time.Millisecond) // several polls of b
	if _, n := r.keys(); n != before {
		t.Fatalf("%d requests while a's claims held, want the %d of a", n, before)
	}
	r.clock.Add(20 * time.Second) // to the end of the claims (twice the attempt timeout)
	r.wait("every entry delivered", r.allIn(es, store.DeliveryDelivered))
	// The receiver drops repeats by their key.
	if keys, _ := r.keys(); len(keys) != len(cs) {
		t.Fatalf("the receiver got %d keys, want %d", len(keys), len(cs))
	}
	for _, c := range cs {
		if n := len(r.got(c)); n < 2 {
			t.Errorf("%s: %d requests, want a's and b's", c, n)
		}
	}
	for _, e := range es {
		if _, it := r.state(e.ID); it.Attempts != 1 {
			t.Errorf("%s: %d attempts recorded, want the one of b", e.ID, it.Attempts)
		}
	}
}
