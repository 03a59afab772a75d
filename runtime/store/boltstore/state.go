package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Heartbeat implements store.Leases.
func (s *Store) Heartbeat(ctx context.Context, owner string, ttl time.Duration) ([]store.Member, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Member
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		now := s.opts.Now()
		b := tx.Bucket(bMembers)
		if err := b.Put([]byte(owner), u64(timeKey(now.Add(ttl)))); err != nil {
			return err
		}
		var gone [][]byte
		err := b.ForEach(func(k, v []byte) error {
			until := readTime(v)
			if !now.Before(until) {
				gone = append(gone, k)
				return nil
			}
			out = append(out, store.Member{Name: string(k), Expires: until})
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recording a heartbeat: %w", err)
	}
	return out, nil
}

func leaseKey(p int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(p)) }

func getLease(tx *bolt.Tx, p int) store.Lease {
	l := store.Lease{Partition: p}
	if v := tx.Bucket(bLeases).Get(leaseKey(p)); len(v) >= 16 {
		l.Epoch, l.Expires, l.Owner = binary.BigEndian.Uint64(v), readTime(v[8:]), string(v[16:])
	}
	return l
}

func putLease(tx *bolt.Tx, l store.Lease) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16+len(l.Owner)), l.Epoch)
	v = appendTime(v, l.Expires)
	return tx.Bucket(bLeases).Put(leaseKey(l.Partition), append(v, l.Owner...))
}

// Leases implements store.Leases.
func (s *Store) Leases(ctx context.Context) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := make([]store.Lease, store.Partitions)
	err := s.db.View(func(tx *bolt.Tx) error {
		for p := range out {
			out[p] = getLease(tx, p)
		}
		return nil
	})
	return out, err
}

// AcquireLeases implements store.Leases.
func (s *Store) AcquireLeases(ctx context.Context, owner string, ps []int, ttl time.Duration) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	for _, p := range ps {
		if p == store.AnalyticsLease {
			continue
		}
		if err := checkPartition("lease", p); err != nil {
			return nil, fmt.Errorf("acquiring leases: %w", err)
		}
	}
	ps = slices.Compact(slices.Sorted(slices.Values(ps)))
	var out []store.Lease
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		now := s.opts.Now()
		for _, p := range ps {
			l := getLease(tx, p)
			if l.Owner != owner && l.Owner != "" && now.Before(l.Expires) {
				continue
			}
			if l.Owner != owner {
				l.Owner = owner
				l.Epoch++
			}
			l.Expires = now.Add(ttl)
			if err := putLease(tx, l); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("acquiring leases: %w", err)
	}
	return out, nil
}

// RenewLeases implements store.Leases.
func (s *Store) RenewLeases(ctx context.Context, owner string, held []store.Lease, ttl time.Duration) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Lease
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		until := s.opts.Now().Add(ttl)
		for _, h := range held {
			if h.Partition < 0 || h.Partition > store.AnalyticsLease || owner == "" {
				continue
			}
			l := getLease(tx, h.Partition)
			if l.Owner != owner || l.Epoch != h.Epoch {
				continue
			}
			l.Expires = until
			if err := putLease(tx, l); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("renewing leases: %w", err)
	}
	return out, nil
}

// ReleaseLeases implements store.Leases.
func (s *Store) ReleaseLeases(ctx context.Context, ls []store.Lease) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, h := range ls {
			if h.Partition < 0 || h.Partition > store.AnalyticsLease || h.Owner == "" {
				continue
			}
			l := getLease(tx, h.Partition)
			if l.Owner != h.Owner || l.Epoch != h.Epoch {
				continue
			}
			l.Owner, l.Expires = "", time.Time{}
			if err := putLease(tx, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("releasing leases: %w", err)
	}
	return nil
}

func checkCommit(c store.Commit) error {
	for _, f := range c.Facts {
		if err := checkPartition("fact", f.Partition); err != nil {
			return err
		}
	}
	for _, m := range c.Models {
		if err := checkPartition("model", m.Partition); err != nil {
			return err
		}
	}
	for _, n := range c.Counts {
		if err := checkPartition("count", n.Partition); err != nil {
			return err
		}
	}
	for _, cu := range c.Cursors {
		if err := checkPartition("cursor", cu.Partition); err != nil {
			return err
		}
	}
	return nil
}

// errLeaseLost ends a commit's transaction, so that it writes nothing.
var errLeaseLost = fmt.Errorf("fenced: %w", store.ErrLeaseLost)

// leasesHeld reports whether every lease of ls is held by its Owner with
// its Epoch.
func leasesHeld(tx *bolt.Tx, ls []store.Lease) bool {
	for _, l := range ls {
		if l.Partition < 0 || l.Partition > store.AnalyticsLease {
			return false
		}
		cur := getLease(tx, l.Partition)
		if cur.Owner == "" || cur.Owner != l.Owner || cur.Epoch != l.Epoch {
			return false
		}
	}
	return true
}

// Commit implements store.State.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := checkCommit(c); err != nil {
		return fmt.Errorf("committing processed events: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if !leasesHeld(tx, c.Leases) {
			return errLeaseLost
		}
		for _, id := range c.Delete {
			if err := deleteCustomer(tx, id); err != nil {
				return err
			}
			if err := eraseCustomer(tx, id); err != nil {
				return err
			}
		}
		cw := newCustomerWriter(tx)
		for _, cu := range byKey(c.Customers) {
			if err := cw.put(cu); err != nil {
				return fmt.Errorf("customer %q: %w", cu.ID, err)
			}
		}
		mb := tx.Bucket(bModels)
		for _, m := range c.Models {
			var err error
			if len(m.Data) == 0 {
				err = mb.Delete(partKey(m.Partition, m.Key))
			} else {
				err = mb.Put(partKey(m.Partition, m.Key), m.Data)
			}
			if err != nil {
				return fmt.Errorf("model %q: %w", m.Key, err)
			}
		}
		if err := addCounts(tx, c.Counts); err != nil {
			return err
		}
		if _, err := addDeliveries(tx, c.Deliveries); err != nil {
			return err
		}
		if err := appendFacts(tx, c.Facts); err != nil {
			return err
		}
		cb := tx.Bucket(bCursors)
		for _, cu := range c.Cursors {
			v := binary.BigEndian.AppendUint64(make([]byte, 0, 24), cu.Seq)
			v = appendTime(appendTime(v, cu.Clock), cu.ArrivalClock)
			if err := cb.Put(leaseKey(cu.Partition), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err == errLeaseLost {
		return store.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("committing processed events: %w", err)
	}
	return nil
}

// byKey returns customers in the order of their keys (the last of one id
// last), so that the writes walk the B+tree once.
func byKey(cs []store.Customer) []store.Customer {
	type keyed struct {
		p, i int
	}
	ks := make([]keyed, len(cs))
	for i, cu := range cs {
		ks[i] = keyed{store.PartitionOf(cu.ID), i}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.p, b.p), strings.Compare(cs[a.i].ID, cs[b.i].ID), cmp.Compare(a.i, b.i))
	})
	out := make([]store.Customer, len(ks))
	for i, k := range ks {
		out[i] = cs[k.i]
	}
	return out
}

func customerKey(id string) []byte { return partKey(store.PartitionOf(id), id) }

// timerKey is p, due, id: a partition's timers in order of due time then
// id.
func timerKey(p int, due time.Time, id string) []byte {
	k := make([]byte, 0, 10+len(id))
	k = binary.BigEndian.AppendUint16(k, uint16(p))
	k = appendTime(k, due)
	return append(k, id...)
}

// customerWriter writes customers in one transaction, reusing a cursor
// of each bucket for the reads and deletes (bbolt gives every Get and
// Delete a cursor of its own otherwise).
type customerWriter struct {
	customers, timers *bolt.Bucket
	cc, tc            *bolt.Cursor
}

func newCustomerWriter(tx *bolt.Tx) *customerWriter {
	w := &customerWriter{customers: tx.Bucket(bCustomers), timers: tx.Bucket(bTimers)}
	w.cc, w.tc = w.customers.Cursor(), w.timers.Cursor()
	return w
}

// put writes a customer and moves its timer's index entry. It reads the
// customer's key once.
func (w *customerWriter) put(cu store.Customer) error {
	p := store.PartitionOf(cu.ID)
	key := partKey(p, cu.ID)
	due := timeKey(cu.Due)
	var oldDue uint64
	if k, old := w.cc.Seek(key); bytes.Equal(k, key) && len(old) >= 8 {
		oldDue = binary.BigEndian.Uint64(old)
	}
	if oldDue != due {
		if oldDue != 0 {
			tk := timerKey(p, keyTime(oldDue), cu.ID)
			if k, _ := w.tc.Seek(tk); bytes.Equal(k, tk) {
				if err := w.tc.Delete(); err != nil {
					return err
				}
			}
		}
		if due != 0 {
			if err := w.timers.Put(timerKey(p, cu.Due, cu.ID), nil); err != nil {
				return err
			}
		}
	}
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(cu.Data)), due)
	return w.customers.Put(key, append(v, cu.Data...))
}

// deleteCustomer removes a customer and its timer's index entry.
func deleteCustomer(tx *bolt.Tx, id string) error {
	p := store.PartitionOf(id)
	b := tx.Bucket(bCustomers)
	key := partKey(p, id)
	old := b.Get(key)
	if old == nil {
		return nil
	}
	if len(old) >= 8 {
		if due := binary.BigEndian.Uint64(old); due != 0 {
			if err := tx.Bucket(bTimers).Delete(timerKey(p, keyTime(due), id)); err != nil {
				return err
			}
		}
	}
	return b.Delete(key)
}

func decodeCustomer(id string, v []byte) (store.Customer, error) {
	if len(v) < 8 {
		return store.Customer{}, fmt.Errorf("customer %q: corrupt record", id)
	}
	return store.Customer{ID: id, Partition: store.PartitionOf(id), Due: readTime(v), Data: bytes.Clone(v[8:])}, nil
}

// addCounts adds the deltas of counts, summed per partition and key first,
// in the order of their keys.
func addCounts(tx *bolt.Tx, counts []store.Count) error {
	if len(counts) == 0 {
		return nil
	}
	sums := map[string]int64{}
	for _, n := range counts {
		sums[string(partKey(n.Partition, n.Key))] += n.Delta
	}
	b := tx.Bucket(bCounts)
	for _, k := range slices.Sorted(maps.Keys(sums)) {
		delta := sums[k]
		if delta == 0 {
			continue
		}
		var cur int64
		if v := b.Get([]byte(k)); len(v) == 8 {
			cur = int64(binary.BigEndian.Uint64(v))
		}
		var err error
		if cur += delta; cur == 0 {
			err = b.Delete([]byte(k))
		} else {
			err = b.Put([]byte(k), u64(uint64(cur)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Cursors implements store.State.
func (s *Store) Cursors(ctx context.Context) ([]store.Cursor, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := make([]store.Cursor, store.Partitions)
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCursors)
		for p := range out {
			out[p].Partition = p
			if v := b.Get(leaseKey(p)); len(v) == 24 {
				out[p].Seq, out[p].Clock, out[p].ArrivalClock = binary.BigEndian.Uint64(v), readTime(v[8:]), readTime(v[16:])
			}
		}
		return nil
	})
	return out, err
}

// Customer implements store.State.
func (s *Store) Customer(ctx context.Context, id string) (store.Customer, error) {
	if err := s.enter(); err != nil {
		return store.Customer{}, err
	}
	defer s.leave()
	var c store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCustomers).Get(customerKey(id))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		c, err = decodeCustomer(id, v)
		return err
	})
	return c, err
}

// CustomersByID implements store.State. It looks them up in the order of
// their keys, so that neighbours share pages.
func (s *Store) CustomersByID(ctx context.Context, ids []string) ([]store.Customer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = customerKey(id)
	}
	slices.SortFunc(keys, bytes.Compare)
	keys = slices.CompactFunc(keys, bytes.Equal)
	var out []store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCustomers)
		for _, k := range keys {
			v := b.Get(k)
			if v == nil {
				continue
			}
			c, err := decodeCustomer(string(k[2:]), v)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Customers implements store.State.
func (s *Store) Customers(ctx context.Context, p int, after string, max int) ([]store.Customer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := partPrefix(p)
		c := tx.Bucket(bCustomers).Cursor()
		k, v := c.Seek(partKey(p, after))
		if k != nil && string(k[2:]) == after && bytes.HasPrefix(k, prefix) {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, v = c.Next() {
			cu, err := decodeCustomer(string(k[2:]), v)
			if err != nil {
				return err
			}
			out = append(out, cu)
		}
		return nil
	})
	return out, err
}

// DueTimers implements store.State.
func (s *Store) DueTimers(ctx context.Context, p int, after store.Timer, until time.Time, max int) ([]store.Timer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Timer
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := partPrefix(p)
		end := timeKey(until)
		c := tx.Bucket(bTimers).Cursor()
		from := timerKey(p, after.Due, after.Customer)
		k, _ := c.Seek(from)
		if k != nil && bytes.Equal(k, from) {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, _ = c.Next() {
			if len(k) < 10 {
				return fmt.Errorf("timer index: corrupt key")
			}
			due := binary.BigEndian.Uint64(k[2:])
			if due > end {
				break
			}
			if due == 0 {
				continue
			}
			out = append(out, store.Timer{Customer: string(k[10:]), Due: keyTime(due)})
		}
		return nil
	})
	return out, err
}

// StageCounts implements store.State.
func (s *Store) StageCounts(ctx context.Context) (map[string]int64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCounts).ForEach(func(k, v []byte) error {
			if len(k) < 2 || len(v) != 8 {
				return fmt.Errorf("stage counts: corrupt entry")
			}
			out[string(k[2:])] += int64(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out, err
}

// Models implements store.State.
func (s *Store) Models(ctx context.Context) ([]store.Model, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Model
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bModels).ForEach(func(k, v []byte) error {
			if len(k) < 2 {
				return fmt.Errorf("models: corrupt key")
			}
			out = append(out, store.Model{Partition: int(binary.BigEndian.Uint16(k)), Key: string(k[2:]), Data: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}
