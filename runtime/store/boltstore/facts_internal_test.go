package boltstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// TestFactsBeforeRuns: facts a store wrote one a key, before fact runs,
// are read before the runs that follow them, and a snapshot deletes them
// as it deletes the runs' (one it passes the middle of is cut there).
func TestFactsBeforeRuns(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Two facts of partition 3 as the earlier format wrote them.
	err = s.db.Update(func(tx *bolt.Tx) error {
		for seq, d := range []string{"", "old1", "old2"} {
			if d != "" {
				if err := tx.Bucket(bFacts).Put(factKey(3, uint64(seq)), []byte(d)); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bFactSeqs).Put(leaseKey(3), u64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	add := func(data ...string) {
		t.Helper()
		var fs []store.Fact
		for _, d := range data {
			fs = append(fs, store.Fact{Partition: 3, Data: []byte(d)})
		}
		if err := s.Commit(ctx, store.Commit{Facts: fs}); err != nil {
			t.Fatal(err)
		}
	}
	add("a", "b", "c")
	add("d")
	list := func(after uint64, max int) string {
		t.Helper()
		pos := make([]uint64, store.Partitions)
		pos[3] = after
		fs, err := s.Facts(ctx, pos, max)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%d:%s", f.Seq, f.Data))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		after uint64
		max   int
		want  string
	}{
		{0, 100, "1:old1 2:old2 3:a 4:b 5:c 6:d"},
		{1, 100, "2:old2 3:a 4:b 5:c 6:d"},
		{3, 100, "4:b 5:c 6:d"},
		{4, 1, "5:c"},
		{5, 100, "6:d"},
		{6, 100, ""},
		{0, 3, "1:old1 2:old2 3:a"},
	} {
		if got := list(c.after, c.max); got != c.want {
			t.Errorf("Facts after %d, at most %d: %q, want %q", c.after, c.max, got, c.want)
		}
	}
	upTo := make([]uint64, store.Partitions)
	upTo[3] = 4
	if err := s.SaveAnalyticsSnapshot(ctx, []byte("snap"), upTo, nil); err != nil {
		t.Fatal(err)
	}
	if got := list(0, 100); got != "5:c 6:d" {
		t.Errorf("Facts after a snapshot up to 4: %q, want \"5:c 6:d\"", got)
	}
	add("e")
	if got := list(5, 100); got != "6:d 7:e" {
		t.Errorf("Facts after 5 once e is added: %q, want \"6:d 7:e\"", got)
	}
}
