package decide_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestRecorderDropsRefusedRecords: a record the store refuses (here, as
// bbolt refuses a key over 32 KiB, one of a 40 KB customer id) is dropped
// and told, and the others are written; a store that takes nothing is
// down, and every record is kept for the next try.
func TestRecorderDropsRefusedRecords(t *testing.T) {
	ctx := context.Background()
	c, _ := build(t, stack("growth", deploy.Action{Name: "a"}).Done())
	st := memstore.New(memstore.Options{})
	var down atomic.Bool
	puts := 0
	var refused []string
	rec := decide.NewRecorder(decide.RecorderOptions{
		Put: func(ctx context.Context, ds []store.Decision) error {
			puts++
			if down.Load() {
				return errors.New("connection refused")
			}
			for _, d := range ds {
				if len(d.Customer) > 32<<10 {
					return fmt.Errorf("decision %s: key too large", d.ID)
				}
			}
			return st.PutDecisions(ctx, ds)
		},
		Refused: func(id string, err error) { refused = append(refused, id) },
	})
	mk := func(id, who string) *decide.Decision {
		d, err := decide.Decide(c, customer(c, who, "checkout"), &decide.Request{ID: id, Channel: "web", Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	long := strings.Repeat("x", 40<<10)
	for i := 0; i < 20; i++ {
		who := fmt.Sprint("c", i)
		if i == 3 || i == 11 {
			who = long
		}
		rec.Add(mk(fmt.Sprint("d", i), who))
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatalf("a store that refuses two records of twenty: %v", err)
	}
	if s := rec.Stats(); s.Written != 18 || s.Refused != 2 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
	if fmt.Sprint(refused) != "[d3 d11]" {
		t.Fatalf("refused %v", refused)
	}
	for _, id := range []string{"d0", "d2", "d4", "d19"} {
		if _, err := st.Decision(ctx, id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	// Down: nothing is dropped, and finding out takes a few writes.
	down.Store(true)
	for i := 20; i < 1020; i++ {
		rec.Add(mk(fmt.Sprint("d", i), fmt.Sprint("c", i)))
	}
	puts = 0
	if err := rec.Flush(ctx); err == nil {
		t.Fatal("a store that is down: no error")
	}
	if s := rec.Stats(); s.Pending != 1000 || s.Refused != 2 || len(refused) != 2 {
		t.Fatalf("stats %+v after an outage", s)
	}
	if puts > 20 {
		t.Errorf("%d writes to find the store down", puts)
	}
	down.Store(false)
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.Pending != 0 || s.Written != 1018 {
		t.Fatalf("stats %+v after the store came back", s)
	}
}
