package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
	"github.com/waymarkhq/waymark/runtime/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Run("owned commits", func(t *testing.T) {
		// The conformance tests do not change what they commit.
		storetest.Run(t, storetest.Opener{
			Open: func(t *testing.T, now func() time.Time) store.Store {
				return memstore.New(memstore.Options{DedupWindow: storetest.Window, Now: now, OwnCommits: true})
			},
		})
	})
	storetest.Run(t, storetest.Opener{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			return memstore.New(memstore.Options{DedupWindow: storetest.Window, Now: now})
		},
	})
}

// With ConsumeFacts a read lets go of the facts at or before the
// positions it is given: a read from the start has only the later ones.
func TestConsumeFacts(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Options{OwnCommits: true, ConsumeFacts: true})
	defer s.Close()
	var fs []store.Fact
	for i := range 3 {
		fs = append(fs, store.Fact{Partition: 7, Data: []byte{byte(i)}})
	}
	if err := s.Commit(ctx, store.Commit{Facts: fs}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Facts(ctx, nil, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("first read: %v, %v", all, err)
	}
	after := make([]uint64, store.Partitions)
	after[7] = all[1].Seq
	rest, err := s.Facts(ctx, after, 10)
	if err != nil || len(rest) != 1 || rest[0].Seq != all[2].Seq {
		t.Fatalf("read after %d: %v, %v", after[7], rest, err)
	}
	again, err := s.Facts(ctx, nil, 10)
	if err != nil || len(again) != 1 || again[0].Seq != all[2].Seq || again[0].Data[0] != 2 {
		t.Fatalf("read from the start after consuming: %v, %v", again, err)
	}
	// Once all are read, the facts committed next take their place; what
	// was read is left as it was.
	after[7] = all[2].Seq
	if none, err := s.Facts(ctx, after, 10); err != nil || len(none) != 0 {
		t.Fatalf("read after the last: %v, %v", none, err)
	}
	if err := s.Commit(ctx, store.Commit{Facts: []store.Fact{{Partition: 7, Data: []byte{3}}}}); err != nil {
		t.Fatal(err)
	}
	next, err := s.Facts(ctx, after, 10)
	if err != nil || len(next) != 1 || next[0].Seq != all[2].Seq+1 || next[0].Data[0] != 3 {
		t.Fatalf("read of the next commit: %v, %v", next, err)
	}
	if again[0].Seq != all[2].Seq || again[0].Data[0] != 2 {
		t.Fatalf("a read's facts changed: %v", again)
	}
}
