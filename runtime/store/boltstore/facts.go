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

// The facts of a partition that one transaction appends are one run, a
// value under the partition and the number of its first fact: one Put per
// partition and commit rather than one per fact (a B+tree insert each,
// with its allocations), and one value to read and delete. A run is
//
//	count (uvarint), then per fact: length (uvarint), data
//
// and its facts are numbered from its key on. Facts written before runs
// are in bFacts, one a key, all numbered before any run's.

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
	// By partition, keeping their order in each.
	facts = byPartition(facts)
	runs, seqs := tx.Bucket(bFactRuns), tx.Bucket(bFactSeqs)
	size := 0
	for _, f := range facts {
		size += binary.MaxVarintLen32 + len(f.Data)
	}
	// bolt keeps keys and values until the transaction ends: one slab.
	slab := make([]byte, 0, size+store.Partitions*binary.MaxVarintLen64)
	for i := 0; i < len(facts); {
		p := facts[i].Partition
		j := i + 1
		for j < len(facts) && facts[j].Partition == p {
			j++
		}
		var seq uint64
		if v := seqs.Get(leaseKey(p)); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		start := len(slab)
		slab = binary.AppendUvarint(slab, uint64(j-i))
		for _, f := range facts[i:j] {
			slab = binary.AppendUvarint(slab, uint64(len(f.Data)))
			slab = append(slab, f.Data...)
		}
		if err := runs.Put(factKey(p, seq+1), slab[start:len(slab):len(slab)]); err != nil {
			return fmt.Errorf("facts %d to %d of partition %d: %w", seq+1, seq+uint64(j-i), p, err)
		}
		if err := seqs.Put(leaseKey(p), u64(seq+uint64(j-i))); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// runFacts calls fn with the number and data of each fact of a run,
// first its first's; data is v's.
func runFacts(first uint64, v []byte, fn func(seq uint64, data []byte)) error {
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return fmt.Errorf("fact run %d: corrupt", first)
	}
	v = v[w:]
	for i := uint64(0); i < n; i++ {
		l, w := binary.Uvarint(v)
		if w <= 0 || uint64(len(v)-w) < l {
			return fmt.Errorf("fact run %d: corrupt", first)
		}
		fn(first+i, v[w:w+int(l)])
		v = v[w+int(l):]
	}
	if len(v) != 0 {
		return fmt.Errorf("fact run %d: corrupt", first)
	}
	return nil
}

// runCount is the number of facts in a run.
func runCount(first uint64, v []byte) (uint64, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return 0, fmt.Errorf("fact run %d: corrupt", first)
	}
	return n, nil
}

// seekRun moves c to the first run of partition p that may hold a fact
// after a: the one holding a+1, else the first after it.
func seekRun(c *bolt.Cursor, p int, a uint64) ([]byte, []byte, error) {
	from := factKey(p, a+1)
	k, v := c.Seek(from)
	if k != nil && bytes.Equal(k, from) {
		return k, v, nil
	}
	var pk, pv []byte
	if k == nil {
		pk, pv = c.Last()
	} else {
		pk, pv = c.Prev()
	}
	if pk != nil && bytes.HasPrefix(pk, partPrefix(p)) {
		first := binary.BigEndian.Uint64(pk[2:])
		n, err := runCount(first, pv)
		if err != nil {
			return nil, nil, err
		}
		if first+n > a+1 {
			return pk, pv, nil
		}
	}
	if pk == nil {
		k, v = c.First()
		return k, v, nil
	}
	k, v = c.Next()
	return k, v, nil
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
		c, rc := tx.Bucket(bFacts).Cursor(), tx.Bucket(bFactRuns).Cursor()
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
			k, v, err := seekRun(rc, p, a)
			if err != nil {
				return fmt.Errorf("partition %d: %w", p, err)
			}
			for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, v = rc.Next() {
				v = bytes.Clone(v) // one copy a run, which its facts share
				err := runFacts(binary.BigEndian.Uint64(k[2:]), v, func(seq uint64, data []byte) {
					if seq > a && len(out) < max {
						out = append(out, store.Fact{Partition: p, Seq: seq, Data: data[:len(data):len(data)]})
					}
				})
				if err != nil {
					return fmt.Errorf("partition %d: %w", p, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading facts: %w", err)
	}
	return out, nil
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
		b, runs, seqs := tx.Bucket(bFacts), tx.Bucket(bFactRuns), tx.Bucket(bFactSeqs)
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
			if err := deleteRuns(runs, p, n); err != nil {
				return err
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

// deleteRuns deletes the facts of partition p up to n from its runs: a
// run that holds facts after n is written again with those alone, under
// the number of the first.
func deleteRuns(runs *bolt.Bucket, p int, n uint64) error {
	type run struct{ k, v []byte }
	var gone []run
	prefix := partPrefix(p)
	c := runs.Cursor()
	// Keys first, then deletions: a cursor moved while its bucket
	// shrinks skips keys.
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && binary.BigEndian.Uint64(k[2:]) <= n; k, v = c.Next() {
		gone = append(gone, run{k, v})
	}
	for _, r := range gone {
		first := binary.BigEndian.Uint64(r.k[2:])
		var kept [][]byte
		err := runFacts(first, r.v, func(seq uint64, data []byte) {
			if seq > n {
				kept = append(kept, data)
			}
		})
		if err != nil {
			return fmt.Errorf("partition %d: %w", p, err)
		}
		// The new value is made before the delete frees the page r.v
		// is on.
		var rest []byte
		if len(kept) > 0 {
			rest = binary.AppendUvarint(nil, uint64(len(kept)))
			for _, d := range kept {
				rest = binary.AppendUvarint(rest, uint64(len(d)))
				rest = append(rest, d...)
			}
		}
		if err := runs.Delete(r.k); err != nil {
			return err
		}
		if rest != nil {
			if err := runs.Put(factKey(p, n+1), rest); err != nil {
				return err
			}
		}
	}
	return nil
}
