package boltstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// TestDedupCollision: two ids of one hash are both kept, in the recent
// ids and in a sealed run: the index confirms a hit against the id in the
// log.
func TestDedupCollision(t *testing.T) {
	s, err := Open(t.TempDir(), Options{DedupWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	seqs, err := s.Append(ctx, []store.LogRecord{{ID: "a", Arrival: time.Now(), Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	// Make "b" collide with "a": its hash points at a's record.
	sumB := s.dedup.sum("b")
	s.dedup.recent[sumB] = seqs[0]
	seen := func(id string) (ok bool) {
		err := s.db.View(func(tx *bolt.Tx) error {
			ok = s.dedup.seen(tx.Bucket(bLog), id)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if seen("b") {
		t.Error("b is taken for a, whose hash it shares")
	}
	seqs, err = s.Append(ctx, []store.LogRecord{{ID: "b", Arrival: time.Now(), Data: []byte("x")}})
	if err != nil || seqs[0] == 0 {
		t.Fatalf("b: %v %v", seqs, err)
	}
	if len(s.dedup.clash) != 1 {
		t.Fatalf("b is not kept beside the id of its hash: %v", s.dedup.clash)
	}
	again := func() {
		t.Helper()
		seqs, err = s.Append(ctx, []store.LogRecord{{ID: "a", Arrival: time.Now()}, {ID: "b", Arrival: time.Now()}, {ID: "c" + fmt.Sprint(len(s.dedup.runs)), Arrival: time.Now()}})
		if err != nil || seqs[0] != 0 || seqs[1] != 0 || seqs[2] == 0 {
			t.Fatalf("a, b again and a new id: %v %v", seqs, err)
		}
	}
	again()
	// Sealed, b's hash is in the run twice, at a's record and at b's.
	s.dedup.seal() // the commit loop is idle between appends
	if len(s.dedup.runs) != 1 || len(s.dedup.recent) != 0 {
		t.Fatalf("after sealing: %d runs, %d recent", len(s.dedup.runs), len(s.dedup.recent))
	}
	again()
}

// TestDedupRuns: with enough ids to seal and merge runs (the larger
// merges in the background), every id inside the window deduplicates,
// before and after a reopen, and ids that left it are appended again; the
// runs stay few and the expired ids are dropped.
func TestDedupRuns(t *testing.T) {
	const window = time.Hour
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	dir := t.TempDir()
	s, err := Open(dir, Options{DedupWindow: window, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	s.dedup.bgMerge = 20_000
	ctx := context.Background()
	const batches, per = 60, 5000 // a batch a minute: all in the window
	id := func(i int) string { return fmt.Sprintf("event-%d", i) }
	batch := func(from, to int) []store.LogRecord {
		var out []store.LogRecord
		for i := from; i < to; i++ {
			out = append(out, store.LogRecord{Partition: i % 7, ID: id(i), Arrival: clock(), Data: []byte("x")})
		}
		return out
	}
	for b := range batches {
		if b > 0 {
			advance(time.Minute)
		}
		if _, err := s.Append(ctx, batch(b*per, (b+1)*per)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.dedup.runs); n == 0 || n > 6 {
		t.Fatalf("%d runs for %d ids", n, batches*per)
	}
	// Each repeated id is skipped, a new one appended.
	repeat := func(s *Store, ids []int, want func(int) (dup, sure bool)) {
		t.Helper()
		var recs []store.LogRecord
		for _, i := range ids {
			recs = append(recs, store.LogRecord{ID: id(i), Arrival: clock(), Data: []byte("again")})
		}
		seqs, err := s.Append(ctx, recs)
		if err != nil {
			t.Fatal(err)
		}
		for k, i := range ids {
			if dup, sure := want(i); sure && (seqs[k] == 0) != dup {
				t.Fatalf("%s: deduplicated %v, want %v", id(i), seqs[k] == 0, dup)
			}
		}
	}
	var sample []int
	for i := 0; i < batches*per; i += 997 {
		sample = append(sample, i)
	}
	all := func(int) (bool, bool) { return true, true }
	repeat(s, sample, all)
	s.Close()
	if s, err = Open(dir, Options{DedupWindow: window, Now: clock}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.dedup.bgMerge = 20_000
	repeat(s, sample, all)
	// Half an hour on, the first 30 batches have left the window (the 30th
	// arrived as it starts). Ids are forgotten by stretches of the log,
	// which at open are of 4096 records: the 30th may still be known.
	advance(30 * time.Minute)
	if _, err := s.Append(ctx, batch(batches*per, batches*per+1)); err != nil {
		t.Fatal(err)
	}
	var later []int
	for _, i := range sample {
		later = append(later, i+1) // ids not repeated yet
	}
	repeat(s, later, func(i int) (bool, bool) { return i/per >= batches/2, i/per != batches/2-1 })
	if n, most := s.dedup.len(), batches*per*3/4; n > most {
		t.Errorf("%d ids indexed after half of them expired; at most %d", n, most)
	}
}

// TestDedupSavedThenCrash: the index saved at a close is read at the next
// open, with the records appended after it by a process that did not
// close (a copy of its file taken while it ran): ids of both deduplicate.
func TestDedupSavedThenCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{DedupWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	recs := func(from, to int) []store.LogRecord {
		var out []store.LogRecord
		for i := from; i < to; i++ {
			out = append(out, store.LogRecord{Partition: i % 3, ID: fmt.Sprintf("id-%d", i), Arrival: time.Now(), Data: []byte("x")})
		}
		return out
	}
	if _, err := s.Append(ctx, recs(0, 20_000)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, Options{DedupWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if len(s.dedup.runs) == 0 {
		t.Fatal("the saved index was not read")
	}
	if _, err := s.Append(ctx, recs(20_000, 30_000)); err != nil {
		t.Fatal(err)
	}
	// The file as a crash would leave it: everything appended is synced.
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	crashed := t.TempDir()
	if err := os.WriteFile(filepath.Join(crashed, FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Close()
	c, err := Open(crashed, Options{DedupWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var again []store.LogRecord
	for _, i := range []int{0, 1, 9_999, 19_999, 20_000, 25_000, 29_999} {
		again = append(again, recs(i, i+1)...)
	}
	again = append(again, recs(30_000, 30_001)...)
	seqs, err := c.Append(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range seqs {
		if dup := q == 0; dup != (i < len(again)-1) {
			t.Errorf("%s: deduplicated %v", again[i].ID, dup)
		}
	}
}
