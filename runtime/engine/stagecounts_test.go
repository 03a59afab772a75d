package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// gatedStore holds one commit, once armed, until its gate opens: the
// moment when a commit has left the engine's shards and is not yet in the
// store.
type gatedStore struct {
	store.Store
	armed   atomic.Bool
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) Commit(ctx context.Context, c store.Commit) error {
	if len(c.Counts) > 0 && g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.gate
	}
	return g.Store.Commit(ctx, c)
}

// StageCounts counts a commit on its way to the store exactly once. It
// used to count it nowhere: the engine cleared the shards' counts when it
// handed the commit over.
func TestStageCountsDuringCommit(t *testing.T) {
	g := &gatedStore{Store: memstore.New(memstore.Options{}), entered: make(chan struct{}), gate: make(chan struct{})}
	h := &harness{t: t, st: g, clock: NewManual(t0), event: true,
		docs: map[string]*deploy.Document{}, serial: map[string]int64{}}
	h.start()
	t.Cleanup(h.stop)
	h.deploy(growth(nil))
	g.armed.Store(true)
	h.append(ev("cart_updated", "a", 0, "cart_value", 30), ev("cart_updated", "b", 0, "cart_value", 30),
		ev("checkout_started", "b", hour))
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the engine did not commit the events")
	}
	got := make(chan []StageCount, 1)
	go func() {
		c, err := h.e.StageCounts(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	time.Sleep(50 * time.Millisecond) // StageCounts reads while the commit is held
	close(g.gate)
	want := []StageCount{{"growth", "cart_recovery", "browsing", 1}, {"growth", "cart_recovery", "checkout", 1}}
	if c := <-got; len(c) != 2 || c[0] != want[0] || c[1] != want[1] {
		t.Fatalf("counts while a commit was being written %+v, want %+v", c, want)
	}
	h.sync()
	if c := h.stageCounts(); len(c) != 2 || c[0] != want[0] || c[1] != want[1] {
		t.Fatalf("counts after the commit %+v", c)
	}
}
