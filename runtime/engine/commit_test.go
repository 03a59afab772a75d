package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store"
)

// committedAt reports whether the store holds the customer and their
// partition's cursor has reached seq.
func committedAt(t *testing.T, st store.Store, customer string, seq uint64) bool {
	t.Helper()
	ctx := context.Background()
	cs, err := st.Cursors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Customer(ctx, customer)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil && cs[store.PartitionOf(customer)].Seq >= seq
}

// appendOne appends an event and returns its position.
func (h *harness) appendOne(customer string, at time.Duration) uint64 {
	h.t.Helper()
	h.n++
	e := ev("cart_updated", customer, at, "cart_value", 30)
	e.ID = "g-" + customer
	seqs, err := h.st.Append(context.Background(), []store.LogRecord{EventRecord(e, h.clock.Now())})
	if err != nil {
		h.t.Fatal(err)
	}
	h.e.Notify()
	return seqs[0]
}

// The engine commits in groups: records it applied stay uncommitted until
// a group is due, WaitProcessed asks for a commit at once, and stopping
// commits what was applied.
func TestGroupCommit(t *testing.T) {
	h := newHarnessWith(t, true, func(o *Options) {
		o.CommitEvery, o.CommitIdle, o.CommitRecords = time.Hour, time.Hour, 1<<30
	})
	h.deploy(growth(nil))
	seq := h.appendOne("c1", 0)
	waitFor(t, "c1 applied", func() bool { return h.run("c1", "cart_recovery").Status == StatusActive })
	if committedAt(t, h.st, "c1", seq) {
		t.Fatal("c1 was committed before any group was due")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.e.WaitProcessed(ctx, seq); err != nil {
		t.Fatalf("WaitProcessed: %v", err)
	}
	if !committedAt(t, h.st, "c1", seq) {
		t.Fatal("WaitProcessed returned before c1 was committed")
	}

	seq = h.appendOne("c2", hour)
	waitFor(t, "c2 applied", func() bool { return h.run("c2", "cart_recovery").Status == StatusActive })
	h.stop()
	if !committedAt(t, h.st, "c2", seq) {
		t.Fatal("stopping did not commit c2")
	}
	// A restart resumes after the commit: nothing is applied twice.
	h.start()
	if r := h.run("c2", "cart_recovery"); r.Status != StatusActive || r.N != 1 {
		t.Fatalf("c2 after a restart: %+v", r)
	}
}

// A group is committed once the log brings nothing new for CommitIdle,
// or once CommitRecords records were applied, with no Sync.
func TestGroupCommitDue(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(*Options)
	}{
		{"idle", func(o *Options) { o.CommitEvery, o.CommitIdle, o.CommitRecords = time.Hour, 10*time.Millisecond, 1<<30 }},
		{"records", func(o *Options) { o.CommitEvery, o.CommitIdle, o.CommitRecords = time.Hour, time.Hour, 1 }},
		{"every", func(o *Options) { o.CommitEvery, o.CommitIdle, o.CommitRecords = 10*time.Millisecond, time.Hour, 1<<30 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, true, tc.opts)
			h.deploy(growth(nil))
			seq := h.appendOne("c1", 0)
			if tc.name == "every" {
				// A group's time is checked when records come.
				time.Sleep(20 * time.Millisecond)
				h.appendOne("c2", 0)
			}
			waitFor(t, "c1 committed", func() bool { return committedAt(t, h.st, "c1", seq) })
		})
	}
}

// A restarted engine decides and renders with the deployments in the log
// from the start, before any partition has replayed to them: a delivery
// pending at a crash is not cancelled as an action no longer deployed.
func TestCatalogAtStart(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(growth(nil))
	h.stop()
	e := New(Options{Store: h.st, EventClock: true, LoadDeployment: h.load})
	if err := e.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := e.Catalog().Stacks; len(st) != 1 || st[0].Name != "growth" {
		t.Fatalf("the catalog before Run has %d stacks, want growth", len(st))
	}
}

// transitionObserver sums what Transitions is told, by journey and reason.
type transitionObserver struct {
	nopObserver
	mu    sync.Mutex
	calls int
	n     map[string]int
}

func (o *transitionObserver) Transitions(ts []TransitionCount) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	for _, t := range ts {
		o.n[t.Stack+" "+t.Journey+" "+t.Reason] += t.N
	}
}

// The Observer counts every transition once, the stretch's together when
// they are committed.
func TestObserverCountsCommittedTransitions(t *testing.T) {
	o := &transitionObserver{n: map[string]int{}}
	h := newHarnessWith(t, true, func(opts *Options) { opts.Observer = o })
	h.deploy(fixture.New("growth").Shared().CartRecovery(nil).Done())
	h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("cart_updated", "c2", 0, "cart_value", 30),
		ev("cart_updated", "c3", 0, "cart_value", 10), ev("ticket_opened", "c1", time.Hour))
	h.send(ev("cart_updated", "c1", 2*time.Hour, "cart_value", 30))
	o.mu.Lock()
	defer o.mu.Unlock()
	want := map[string]int{"growth cart_recovery entered": 2, "growth cart_recovery exited": 1}
	if fmt.Sprint(o.n) != fmt.Sprint(want) {
		t.Errorf("transitions %v, want %v", o.n, want)
	}
	if o.calls == 0 || o.calls > 2 {
		t.Errorf("%d calls for 2 stretches", o.calls)
	}
}
