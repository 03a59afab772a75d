package pgstore

import (
	"testing"

	"github.com/waymarkhq/waymark/runtime/store"
)

// A read of a replica's share reads by partition while the share is near
// the head, and scans in order of seq when it is far behind or when it is
// most of the partitions.
func TestReadStatementChoice(t *testing.T) {
	// n partitions, every store.Partitions/n-th, at pos.
	share := func(n int, pos uint64) map[int]uint64 {
		after := map[int]uint64{store.AllPartitions: pos}
		for p := range n {
			after[p*(store.Partitions/n)] = pos
		}
		return after
	}
	for _, c := range []struct {
		name  string
		after map[int]uint64
		head  uint64
		want  string
	}{
		{"a few, far behind", share(4, 0), 1 << 40, readFew},
		{"a third, near the head", share(85, 1_000_000), 1_000_000 + 10_000, readFew},
		{"a third, far behind", share(85, 0), 1_000_000, readMany},
		{"most, near the head", share(200, 1_000_000), 1_000_000 + 10, readMany},
	} {
		if got, _ := readStatement(c.after, 16384, c.head); got != c.want {
			t.Errorf("%s: read by partition %v, want %v", c.name, got == readFew, c.want == readFew)
		}
	}
}
