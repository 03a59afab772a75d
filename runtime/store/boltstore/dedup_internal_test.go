package boltstore

import (
	"context"
	"hash/maphash"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// TestDedupCollision: two ids of one hash are both kept: the index
// confirms a hit against the id in the log.
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
	sumB := maphash.String(s.dedup.seed, "b")
	s.dedup.bySum[sumB] = seqs[0]
	err = s.db.View(func(tx *bolt.Tx) error {
		if s.dedup.seen(tx.Bucket(bLog), "b") {
			t.Error("b is taken for a, whose hash it shares")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seqs, err = s.Append(ctx, []store.LogRecord{{ID: "b", Arrival: time.Now(), Data: []byte("x")}})
	if err != nil || seqs[0] == 0 {
		t.Fatalf("b: %v %v", seqs, err)
	}
	if _, ok := s.dedup.exact["b"]; !ok {
		t.Fatal("b is not kept exactly")
	}
	seqs, err = s.Append(ctx, []store.LogRecord{{ID: "a", Arrival: time.Now()}, {ID: "b", Arrival: time.Now()}, {ID: "c", Arrival: time.Now()}})
	if err != nil || seqs[0] != 0 || seqs[1] != 0 || seqs[2] == 0 {
		t.Fatalf("a, b again and c: %v %v", seqs, err)
	}
}
