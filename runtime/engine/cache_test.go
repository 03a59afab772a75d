package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
)

// TestCacheBounded runs journeys for more customers than the engine may
// keep in memory: what it does is what an engine with every customer in
// memory does, timers of customers only in the store fire on time, and a
// restart carries on from the store.
func TestCacheBounded(t *testing.T) {
	const customers = 3000
	run := func(t *testing.T, cache int) (paths []string, cached int) {
		h := newHarnessCache(t, true, cache)
		h.deploy(growth(nil))
		var batch []*events.Event
		for i := range customers {
			c := fmt.Sprintf("c-%05d", i)
			batch = append(batch, ev("cart_updated", c, time.Duration(i)*time.Second, "cart_value", 30))
			switch i % 3 {
			case 1: // moves on, then times out in checkout
				batch = append(batch, ev("checkout_started", c, hour+time.Duration(i)*time.Second))
			case 2: // completes
				batch = append(batch, ev("order_placed", c, 2*hour+time.Duration(i)*time.Second))
			}
			if len(batch) >= 500 {
				h.send(batch...)
				batch = nil
			}
		}
		h.send(batch...)
		h.restart()
		// The stage timeouts (3h) and goal windows (14d) of customers
		// long out of memory fall due.
		h.send(tick(15 * day))
		cached = h.e.Cached()
		for i := range customers {
			paths = append(paths, h.path(fmt.Sprintf("c-%05d", i), "cart_recovery"))
		}
		return paths, cached
	}
	all, _ := run(t, 0)
	small, cached := run(t, store.Partitions)
	if cached > 2*store.Partitions {
		t.Errorf("%d customers in memory with a cache of %d", cached, store.Partitions)
	}
	for i := range all {
		if all[i] != small[i] {
			t.Fatalf("customer %d: with a small cache %q, with every customer in memory %q", i, small[i], all[i])
		}
	}
	for i, want := range []string{
		"entered:browsing@0s expired@336h0m0s",
		"entered:browsing@1s moved:checkout@1h0m1s timed_out@3h0m1s",
		"entered:browsing@2s completed@2h0m2s",
	} {
		if all[i] != want {
			t.Errorf("customer %d: %q, want %q", i, all[i], want)
		}
	}
}

// TestEphemeralKeepsAll runs journeys for more customers than the cache
// size on an Ephemeral engine: it keeps every customer in memory and
// none in the store, does what an engine that writes them does, and lists
// those the store would hold.
func TestEphemeralKeepsAll(t *testing.T) {
	const customers = 1000
	run := func(t *testing.T, ephemeral bool) (paths []string, h *harness) {
		h = newHarnessWith(t, true, func(o *Options) { o.CacheSize, o.Ephemeral = store.Partitions, ephemeral })
		h.deploy(growth(nil))
		var batch []*events.Event
		for i := range customers {
			c := fmt.Sprintf("c-%05d", i)
			batch = append(batch, ev("cart_updated", c, time.Duration(i)*time.Second, "cart_value", 30))
			if i%2 == 1 {
				batch = append(batch, ev("checkout_started", c, hour+time.Duration(i)*time.Second))
			}
		}
		h.send(batch...)
		h.send(tick(15 * day))
		for i := range customers {
			paths = append(paths, h.path(fmt.Sprintf("c-%05d", i), "cart_recovery"))
		}
		return paths, h
	}
	want, stored := run(t, false)
	inStore := 0
	for p := range store.Partitions {
		cs, err := stored.st.Customers(context.Background(), p, "", 2*customers)
		if err != nil {
			t.Fatal(err)
		}
		inStore += len(cs)
	}
	got, h := run(t, true)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("customer %d: ephemeral %q, stored %q", i, got[i], want[i])
		}
	}
	if n := h.e.Cached(); n < customers {
		t.Errorf("%d customers in memory, want all %d", n, customers)
	}
	listed := 0
	for p := range store.Partitions {
		cs, err := h.st.Customers(context.Background(), p, "", 10)
		if err != nil || len(cs) > 0 {
			t.Fatalf("partition %d: the store holds %+v %v", p, cs, err)
		}
		ids := h.e.CustomerIDs(p)
		if !slices.IsSorted(ids) {
			t.Errorf("partition %d: ids out of order: %q", p, ids)
		}
		for _, id := range ids {
			if store.PartitionOf(id) != p {
				t.Errorf("%s listed in partition %d", id, p)
			}
		}
		listed += len(ids)
	}
	if listed != inStore || listed < customers {
		t.Errorf("%d customers listed, the store of an engine that writes them holds %d", listed, inStore)
	}
}
