package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

func factKey(p int, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(partPrefix(p), seq)
}

// appendFacts appends facts to their partitions, each with the next
// sequence number of its partition. The numbers given are kept apart from
// the facts, so that deleting facts never makes a number free again.
func appendFacts(tx *bolt.Tx, facts []store.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	for _, f := range facts {
		if err := checkPartition("fact", f.Partition); err != nil {
			return err
		}
	}
	// By partition, keeping their order in each: each partition's facts
	// go to the end of its stretch of keys in one walk.
	facts = byPartition(facts)
	b, seqs := tx.Bucket(bFacts), tx.Bucket(bFactSeqs)
	b.FillPercent = 1 // each partition's keys only grow
	last := map[int]uint64{}
	for _, f := range facts {
		seq, ok := last[f.Partition]
		if !ok {
			if v := seqs.Get(leaseKey(f.Partition)); len(v) == 8 {
				seq = binary.BigEndian.Uint64(v)
			}
		}
		seq++
		last[f.Partition] = seq
		if err := b.Put(factKey(f.Partition, seq), f.Data); err != nil {
			return fmt.Errorf("fact %d of partition %d: %w", seq, f.Partition, err)
		}
	}
	for p, seq := range last {
		if err := seqs.Put(leaseKey(p), u64(seq)); err != nil {
			return err
		}
	}
	return nil
}

// byPartition returns facts in order of partition, each partition's in
// their order (a counting sort).
func byPartition(facts []store.Fact) []store.Fact {
	var starts [store.Partitions + 1]int
	for _, f := range facts {
		starts[f.Partition+1]++
	}
	for p := 1; p <= store.Partitions; p++ {
		starts[p] += starts[p-1]
	}
	out := make([]store.Fact, len(facts))
	for _, f := range facts {
		out[starts[f.Partition]] = f
		starts[f.Partition]++
	}
	return out
}

func checkPositions(ps []uint64) error {
	if ps != nil && len(ps) != store.Partitions {
		return fmt.Errorf("%d positions, not %d", len(ps), store.Partitions)
	}
	return nil
}

// Facts implements store.Facts.
func (s *Store) Facts(ctx context.Context, after []uint64, max int) ([]store.Fact, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkPositions(after); err != nil {
		return nil, fmt.Errorf("reading facts: %w", err)
	}
	var out []store.Fact
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bFacts).Cursor()
		for p := 0; p < store.Partitions && len(out) < max; p++ {
			var a uint64
			if after != nil {
				a = after[p]
			}
			if a == ^uint64(0) {
				continue
			}
			prefix := partPrefix(p)
			for k, v := c.Seek(factKey(p, a+1)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, v = c.Next() {
				out = append(out, store.Fact{Partition: p, Seq: binary.BigEndian.Uint64(k[2:]), Data: bytes.Clone(v)})
			}
		}
		return nil
	})
	return out, err
}

// AnalyticsSnapshot implements store.Facts. An empty snapshot is none.
func (s *Store) AnalyticsSnapshot(ctx context.Context) ([]byte, []uint64, error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	var data []byte
	upTo := make([]uint64, store.Partitions)
	err := s.db.View(func(tx *bolt.Tx) error {
		a := tx.Bucket(bAnalytics)
		data = bytes.Clone(a.Get(kSnapshot))
		if v := a.Get(kSnapshotAt); len(v) == 8*store.Partitions {
			for p := range upTo {
				upTo[p] = binary.BigEndian.Uint64(v[8*p:])
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return data, upTo, nil
}

// SaveAnalyticsSnapshot implements store.Facts. Where upTo is beyond a
// partition's last fact, its sequence is raised to it, so that no later
// fact gets a number the snapshot claims to hold.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, data []byte, upTo []uint64, fence []store.Lease) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := checkPositions(upTo); err != nil {
		return fmt.Errorf("saving the analytics snapshot: %w", err)
	}
	if upTo == nil {
		upTo = make([]uint64, store.Partitions)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if !leasesHeld(tx, fence) {
			return errLeaseLost
		}
		a := tx.Bucket(bAnalytics)
		var err error
		if len(data) == 0 {
			err = a.Delete(kSnapshot)
		} else {
			err = a.Put(kSnapshot, data)
		}
		if err != nil {
			return err
		}
		at := make([]byte, 0, 8*store.Partitions)
		for _, n := range upTo {
			at = binary.BigEndian.AppendUint64(at, n)
		}
		if err := a.Put(kSnapshotAt, at); err != nil {
			return err
		}
		b, seqs := tx.Bucket(bFacts), tx.Bucket(bFactSeqs)
		for p, n := range upTo {
			if n == 0 {
				continue
			}
			// Keys first, then deletions: a cursor moved while its
			// bucket shrinks skips keys.
			var keys [][]byte
			prefix := partPrefix(p)
			c := b.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && binary.BigEndian.Uint64(k[2:]) <= n; k, _ = c.Next() {
				keys = append(keys, k)
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if v := seqs.Get(leaseKey(p)); len(v) != 8 || binary.BigEndian.Uint64(v) < n {
				if err := seqs.Put(leaseKey(p), u64(n)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving the analytics snapshot: %w", err)
	}
	return nil
}
