package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// severed is a replica's connection to a store shared with others: once
// cut, every call fails, as a killed process's would never arrive.
type severed struct {
	store.Store
	cut atomic.Bool
}

var errSevered = errors.New("the replica is gone")

func (s *severed) check() error {
	if s.cut.Load() {
		return errSevered
	}
	return nil
}

func (s *severed) Commit(ctx context.Context, c store.Commit) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.Commit(ctx, c)
}

func (s *severed) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	if err := s.check(); err != nil {
		return nil, store.Head{}, err
	}
	return s.Store.Read(ctx, from, max)
}

func (s *severed) Heartbeat(ctx context.Context, owner string, ttl time.Duration) ([]store.Member, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.Heartbeat(ctx, owner, ttl)
}

func (s *severed) RenewLeases(ctx context.Context, owner string, held []store.Lease, ttl time.Duration) ([]store.Lease, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.RenewLeases(ctx, owner, held, ttl)
}

func (s *severed) ReleaseLeases(ctx context.Context, ls []store.Lease) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.ReleaseLeases(ctx, ls)
}

// replica is an engine of a test with its own connection to the store.
type replica struct {
	e      *Engine
	st     *severed
	cancel context.CancelFunc
	done   chan error
}

func startReplica(t *testing.T, mem store.Store, name string, load func(context.Context, string, int64) (*deploy.Document, error)) *replica {
	r := &replica{st: &severed{Store: mem}, done: make(chan error, 1)}
	r.e = New(Options{Store: r.st, Name: name, LeaseTTL: 400 * time.Millisecond, Poll: 20 * time.Millisecond,
		EventClock: true, LoadDeployment: load, Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplicas runs two engines on one store: they share the partitions,
// and when one dies mid-stream the other takes its partitions over and
// every event is processed once in effect, every timer fired once.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{})
	doc := growth(nil)
	load := func(context.Context, string, int64) (*deploy.Document, error) { return doc, nil }
	if _, err := mem.Deploy(ctx, store.Deployment{Stack: "growth"}, 0,
		store.LogRecord{Partition: store.AllPartitions, Arrival: t0, Data: EncodeActivation("growth", 1)}); err != nil {
		t.Fatal(err)
	}
	a := startReplica(t, mem, "a", load)
	waitFor(t, "a to hold every partition", func() bool { return a.e.Partitions() == store.Partitions })
	b := startReplica(t, mem, "b", load)
	waitFor(t, "the partitions to be shared", func() bool {
		return a.e.Partitions() == store.Partitions/2 && b.e.Partitions() == store.Partitions/2
	})
	// Each counts two replicas, for the outbox's share of a send rate.
	if ra, rb := a.e.Replicas(), b.e.Replicas(); ra != 2 || rb != 2 {
		t.Errorf("the replicas count %d and %d replicas, want 2", ra, rb)
	}

	const customers = 2000
	n := 0
	send := func(evs ...*events.Event) {
		t.Helper()
		var recs []store.LogRecord
		for _, e := range evs {
			n++
			e.ID = fmt.Sprintf("e-%d", n)
			recs = append(recs, EventRecord(e, t0))
		}
		if _, err := mem.Append(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	id := func(i int) string { return fmt.Sprintf("c-%05d", i) }
	at := func(i int) time.Duration { return time.Duration(i) * time.Second }
	for i := range customers {
		send(ev("cart_updated", id(i), at(i), "cart_value", 30))
	}
	// Both replicas have processed the entries before the stream goes on.
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := b.e.Sync(sctx); err != nil {
		t.Fatal(err)
	}
	if a.e.Processed() == 0 {
		t.Fatal("a processed nothing")
	}
	for i := 0; i < customers/2; i++ {
		switch i % 3 {
		case 1:
			send(ev("checkout_started", id(i), hour+at(i)))
		case 2:
			send(ev("order_placed", id(i), 2*hour+at(i)))
		}
	}
	// a dies with half of the stream sent, perhaps mid-commit: nothing
	// of it reaches the store any more.
	a.st.cut.Store(true)
	a.cancel()
	for i := customers / 2; i < customers; i++ {
		switch i % 3 {
		case 1:
			send(ev("checkout_started", id(i), hour+at(i)))
		case 2:
			send(ev("order_placed", id(i), 2*hour+at(i)))
		}
	}
	send(tick(15 * day))
	start := time.Now()
	waitFor(t, "b to take every partition over", func() bool { return b.e.Partitions() == store.Partitions })
	t.Logf("failover took %s", time.Since(start))
	waitFor(t, "b to count itself alone", func() bool { return b.e.Replicas() == 1 })
	if err := b.e.Sync(sctx); err != nil {
		t.Fatal(err)
	}

	for i := range customers {
		var want string
		switch i % 3 {
		case 0:
			want = fmt.Sprintf("entered:browsing@%s expired@%s", at(i), 14*day+at(i))
		case 1:
			want = fmt.Sprintf("entered:browsing@%s moved:checkout@%s timed_out@%s", at(i), hour+at(i), 3*hour+at(i))
		case 2:
			want = fmt.Sprintf("entered:browsing@%s completed@%s", at(i), 2*hour+at(i))
		}
		c, ok, err := b.e.Customer(ctx, id(i))
		if err != nil || !ok {
			t.Fatalf("customer %s: %v %v", id(i), ok, err)
		}
		if got := timelinePath(c, "cart_recovery"); got != want {
			t.Fatalf("customer %s: %q, want %q", id(i), got, want)
		}
	}
	// Exactly once in effect: each transition is counted once in the
	// facts analytics reads.
	facts, err := mem.Facts(ctx, nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, f := range facts {
		var r analytics.Record
		if err := r.UnmarshalBinary(f.Data); err != nil {
			t.Fatal(err)
		}
		if tr := r.Transition; tr != nil && tr.Customer != "bystander" {
			seen[tr.Customer+" "+tr.Reason]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s: %d facts", k, n)
		}
	}
	want := 0
	for i := range customers {
		want += map[int]int{0: 2, 1: 3, 2: 2}[i%3]
	}
	if len(seen) != want {
		t.Errorf("%d distinct transitions, want %d", len(seen), want)
	}
}

// timelinePath renders a customer's timeline in one journey as the
// harness's path does.
func timelinePath(c Customer, journey string) string {
	out := ""
	for _, tr := range c.Timeline {
		if tr.Journey != journey {
			continue
		}
		if out != "" {
			out += " "
		}
		out += tr.Reason
		if tr.To != "" {
			out += ":" + tr.To
		}
		out += "@" + tr.Time.Sub(t0).String()
	}
	return out
}
