package service

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// runReplica starts a service named name on st and runs it until the
// returned stop is called (or the test ends).
func runReplica(t *testing.T, st store.Store, name string) (*Service, func()) {
	t.Helper()
	ctx := context.Background()
	s, err := New(ctx, Config{Store: st, SecretKey: bytes.Repeat([]byte{3}, KeySize), EventClock: true,
		Replica: name, LeaseTTL: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- s.Run(rctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("replica %s: %v", name, err)
		}
	}
	t.Cleanup(stop)
	return s, stop
}

// carts are cart_updated events of customers from..to-1 (each entering
// journey cart_recovery), a minute of event time apart from base.
func carts(base time.Time, from, to int) []byte {
	var b bytes.Buffer
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, `{"id":"e%d","type":"cart_updated","customer_id":"c%d","timestamp":%q,"attributes":{"cart_value":50}}`+"\n",
			i, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
	}
	return b.Bytes()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two replicas on one store: the first holds the analytics lease and
// feeds analytics; the second reads no fact until asked, then answers
// as the first does; when the first stops, the second takes over from
// its snapshot and counts what follows once, as one runtime fed every
// event would.
// twoReplicas runs replica a, which deploys the growth fixture and so
// holds the analytics lease, then replica b on the same store.
func twoReplicas(t *testing.T) (a, b *Service, doc *deploy.Document, stopA func()) {
	t.Helper()
	st := memstore.New(memstore.Options{})
	a, stopA = runReplica(t, st, "a")
	doc = fixture.Growth()
	if _, err := a.Deploy(context.Background(), doc.Stack, 0, doc, "t"); err != nil {
		t.Fatal(err)
	}
	b, _ = runReplica(t, st, "b")
	if !a.an.holds() || b.an.holds() {
		t.Fatalf("a holds the analytics lease %v, b %v; want a alone", a.an.holds(), b.an.holds())
	}
	return a, b, doc, stopA
}

func TestAnalyticsFedByOneReplica(t *testing.T) {
	ctx := context.Background()
	a, b, doc, stopA := twoReplicas(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ingest := func(s *Service, body []byte) {
		t.Helper()
		if res, err := s.Ingest(ctx, body, events.DefaultLimits); err != nil || len(res.Rejected) > 0 {
			t.Fatalf("ingest: %+v %v", res, err)
		}
	}
	ingest(a, carts(base, 0, 30))
	ingest(b, carts(base, 30, 60))
	if err := a.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * feedEvery)
	b.an.mu.Lock()
	opened := b.an.opened
	b.an.mu.Unlock()
	if opened {
		t.Fatal("the follower fed analytics unasked")
	}
	report := func(s *Service) string {
		t.Helper()
		r, err := s.Analytics(ctx, doc.Stack, "cart_recovery", analytics.Range{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v %+v", r.Totals, r.Funnel)
	}
	if ra, rb := report(a), report(b); ra != rb {
		t.Fatalf("the follower's analytics differ:\n%s\nthe holder's:\n%s", rb, ra)
	}

	// a saves its snapshot and hands the lease over as it stops.
	stopA()
	waitFor(t, "b feeds analytics", b.an.current.Load)
	ingest(b, carts(base, 60, 90))
	if err := b.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}

	one, _ := runReplica(t, memstore.New(memstore.Options{}), "one")
	if _, err := one.Deploy(ctx, doc.Stack, 0, doc, "t"); err != nil {
		t.Fatal(err)
	}
	ingest(one, carts(base, 0, 90))
	if err := one.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := report(b), report(one); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the takeover:\n%s\none runtime fed every event:\n%s", got, want)
	}
}

// A customer erased through a replica that does not feed analytics is
// forgotten by the one that does: the erasure reaches it as a fact, after
// the customer's own.
func TestErasureReachesTheAnalyticsHolder(t *testing.T) {
	ctx := context.Background()
	a, b, _, _ := twoReplicas(t)
	const who = "erase-me-please"
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	body := append(carts(base, 0, 10), fmt.Sprintf(`{"id":"e-x","type":"cart_updated","customer_id":%q,"timestamp":%q,"attributes":{"cart_value":50}}`+"\n",
		who, base.Add(time.Hour).Format(time.RFC3339))...)
	if res, err := b.Ingest(ctx, body, events.DefaultLimits); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	if err := a.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	holds := func() bool {
		snap, err := a.an.analytics().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(snap, []byte(who))
	}
	waitFor(t, "the holder's analytics has the customer's run", holds)
	if err := b.Erase(ctx, who, "test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the holder's analytics forgets the erased customer", func() bool { return !holds() })
	if snap, err := a.an.analytics().Snapshot(); err != nil || !bytes.Contains(snap, []byte("c3")) {
		t.Fatalf("the holder forgot the other customers too (%v)", err)
	}
}
