package boltstore_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// dedupBytesPerEvent is the most memory the deduplication index may take
// per event id in the window (docs/runtime-storage.md): about 13 bytes
// in sealed runs, the ids not yet sealed and bbolt's own bookkeeping
// included.
const dedupBytesPerEvent = 24

// TestDedupIndexMemory measures the heap the deduplication index takes per
// event id in the window, and checks that ids still deduplicate: those
// appended, and those loaded from the log at open.
func TestDedupIndexMemory(t *testing.T) {
	const n = 200_000
	dir := t.TempDir()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-4b1d-4e2f-9a3c-%012x", i*7919, i)
	}
	measure := func(fill func(s *boltstore.Store)) (*boltstore.Store, float64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := boltstore.Open(dir, boltstore.Options{DedupWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		fill(s)
		runtime.GC()
		runtime.ReadMemStats(&after)
		return s, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
	}
	recs := func(from, to int, data string) []store.LogRecord {
		out := make([]store.LogRecord, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, store.LogRecord{Partition: i % 16, ID: ids[i], Arrival: time.Now(), Data: []byte(data)})
		}
		return out
	}
	s, perEvent := measure(func(s *boltstore.Store) {
		for i := 0; i < n; i += 10_000 {
			if _, err := s.Append(ctx, recs(i, i+10_000, "x")); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Logf("appended: %.1f bytes per event id in the window", perEvent)
	if perEvent > dedupBytesPerEvent {
		t.Errorf("the index takes %.1f bytes per event id appended; at most %d", perEvent, dedupBytesPerEvent)
	}
	dupes := func(s *boltstore.Store) {
		t.Helper()
		seqs, err := s.Append(ctx, append(recs(0, 3, "again"), recs(n-2, n, "again")...))
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range seqs {
			if q != 0 {
				t.Errorf("a repeated id (%d of the batch) was appended at %d", i, q)
			}
		}
	}
	dupes(s)
	s.Close()
	s, perEvent = measure(func(*boltstore.Store) {})
	defer s.Close()
	t.Logf("loaded at open: %.1f bytes per event id in the window", perEvent)
	if perEvent > dedupBytesPerEvent {
		t.Errorf("the index takes %.1f bytes per event id loaded; at most %d", perEvent, dedupBytesPerEvent)
	}
	dupes(s)
	// A new id is appended.
	seqs, err := s.Append(ctx, []store.LogRecord{{ID: "new", Arrival: time.Now(), Data: []byte("x")}})
	if err != nil || seqs[0] == 0 {
		t.Fatalf("a new id: %v %v", seqs, err)
	}
}
