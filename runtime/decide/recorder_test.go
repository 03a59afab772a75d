package decide_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

func TestRecorder(t *testing.T) {
	ctx := context.Background()
	c, _ := build(t, stack("growth", deploy.Action{Name: "a"}).Done())
	st := memstore.New(memstore.Options{})
	var fail atomic.Bool
	rec := decide.NewRecorder(decide.RecorderOptions{MaxPending: 3, Interval: 10 * time.Millisecond, Put: func(ctx context.Context, ds []store.Decision) error {
		if fail.Load() {
			return errors.New("disk full")
		}
		return st.PutDecisions(ctx, ds)
	}})
	mk := func(id, who string, at time.Duration) *decide.Decision {
		d, err := decide.Decide(c, customer(c, who, "checkout"), &decide.Request{ID: id, Channel: "web", Now: t0.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for i, cu := range []string{"c1", "c2", "c1"} {
		if !rec.Add(mk(fmt.Sprint("d", i), cu, time.Duration(i)*time.Minute)) {
			t.Fatalf("record %d dropped", i)
		}
	}
	if rec.Add(mk("d3", "c3", 0)) || rec.Stats().Dropped != 1 {
		t.Fatalf("a record past MaxPending was kept: %+v", rec.Stats())
	}
	// Made again (a replay), a record replaces the queued one.
	again := mk("d2", "c1", 2*time.Minute)
	rec.Add(again)
	if d, ok := rec.Get("d2"); !ok || d != again {
		t.Fatal("the record made again is not the one answered")
	}
	if p := rec.Pending("c1"); len(p) != 2 || p[0].ID != "d2" || p[1].ID != "d0" || len(p[0].Data) == 0 {
		t.Fatalf("pending for c1: %v", p)
	}
	// Not written: still answered from memory; written: gone from memory.
	fail.Store(true)
	if err := rec.Flush(ctx); err == nil {
		t.Fatal("a failed write was not reported")
	}
	if _, ok := rec.Get("d0"); !ok {
		t.Fatal("a record that failed to be written was forgotten")
	}
	fail.Store(false)
	done := rec.Forget("c2")
	if rec.Add(mk("d9", "c2", 0)) {
		t.Fatal("a record of a customer being erased was kept")
	}
	done()
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Get("d0"); ok {
		t.Fatal("a written record is still pending")
	}
	if _, err := st.Decision(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the erased customer's record was written: %v", err)
	}
	ds, err := st.CustomerDecisions(ctx, "c1", 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("c1's records: %v %v", ds, err)
	}
	if s := rec.Stats(); s.Written != 2 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Run writes what comes, and what is left when it stops.
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan error)
	go func() { ran <- rec.Run(rctx) }()
	rec.Add(mk("d5", "c5", 0))
	deadline := time.Now().Add(5 * time.Second)
	for rec.Stats().Pending > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	rec.Add(mk("d6", "c6", 0))
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d5", "d6"} {
		if _, err := st.Decision(ctx, id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
}
