package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// byCustomer is the key of an index entry: the customer's id, length
// first, then the id of what it indexes.
func byCustomer(customer, id string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(customer)+len(id)+2), uint64(len(customer)))
	b = append(b, customer...)
	return append(b, id...)
}

func encodeDecision(d store.Decision) []byte {
	b := putString(make([]byte, 0, len(d.Customer)+len(d.Data)+10), d.Customer)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Time.UnixNano()))
	return append(b, d.Data...)
}

func decodeDecision(id string, v []byte) (store.Decision, error) {
	cust, rest, err := readString(v)
	if err != nil || len(rest) < 8 {
		return store.Decision{}, fmt.Errorf("decision %s: corrupt record", id)
	}
	return store.Decision{ID: id, Customer: cust, Time: time.Unix(0, int64(binary.BigEndian.Uint64(rest))).UTC(), Data: bytes.Clone(rest[8:])}, nil
}

// An outbox entry is its customer and state (uvarint length, bytes), its
// updated, due and claimed-until times (8 bytes each, timeKey), its claim
// (uvarint length, bytes), then its data.
func encodeDelivery(d store.Delivery) []byte {
	b := putString(make([]byte, 0, len(d.Customer)+len(d.State)+len(d.Claim)+len(d.Data)+30), d.Customer)
	b = putString(b, string(d.State))
	b = appendTime(appendTime(appendTime(b, d.Updated), d.Due), d.ClaimedUntil)
	b = putString(b, d.Claim)
	return append(b, d.Data...)
}

func decodeDelivery(id string, v []byte) (store.Delivery, error) {
	bad := fmt.Errorf("delivery %s: corrupt entry", id)
	cust, rest, err := readString(v)
	if err != nil {
		return store.Delivery{}, bad
	}
	state, rest, err := readString(rest)
	if err != nil || len(rest) < 24 {
		return store.Delivery{}, bad
	}
	d := store.Delivery{ID: id, Customer: cust, State: store.DeliveryState(state),
		Updated: readTime(rest), Due: readTime(rest[8:]), ClaimedUntil: readTime(rest[16:])}
	d.Claim, rest, err = readString(rest[24:])
	if err != nil {
		return store.Delivery{}, bad
	}
	d.Data = bytes.Clone(rest)
	return d, nil
}

// dueKey is the key of a pending entry in the queue: due time, then id.
func dueKey(d store.Delivery) []byte {
	return append(appendTime(make([]byte, 0, 8+len(d.ID)), d.Due), d.ID...)
}

// putDelivery writes d and its index entries, replacing those of old
// (nil for a new entry).
func putDelivery(tx *bolt.Tx, d store.Delivery, old *store.Delivery) error {
	if old != nil {
		if err := deleteIndexes(tx, *old); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bDeliveries).Put([]byte(d.ID), encodeDelivery(d)); err != nil {
		return fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	if err := tx.Bucket(bDeliveryIn).Put(byCustomer(string(d.State), d.ID), nil); err != nil {
		return err
	}
	if d.State == store.DeliveryPending {
		if err := tx.Bucket(bDeliveryDue).Put(dueKey(d), nil); err != nil {
			return err
		}
	}
	if d.Customer == "" {
		return nil // no customer's erasure concerns it
	}
	return tx.Bucket(bDeliveryBy).Put(byCustomer(d.Customer, d.ID), nil)
}

func deleteIndexes(tx *bolt.Tx, d store.Delivery) error {
	if err := tx.Bucket(bDeliveryIn).Delete(byCustomer(string(d.State), d.ID)); err != nil {
		return err
	}
	if d.State == store.DeliveryPending {
		if err := tx.Bucket(bDeliveryDue).Delete(dueKey(d)); err != nil {
			return err
		}
	}
	if d.Customer == "" {
		return nil
	}
	return tx.Bucket(bDeliveryBy).Delete(byCustomer(d.Customer, d.ID))
}

func deleteDelivery(tx *bolt.Tx, d store.Delivery) error {
	if err := tx.Bucket(bDeliveries).Delete([]byte(d.ID)); err != nil {
		return err
	}
	return deleteIndexes(tx, d)
}

// indexed returns the ids an index holds under prefix.
func indexed(b *bolt.Bucket, prefix []byte) []string {
	var ids []string
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

// eraseCustomer deletes a customer's decision records and outbox entries.
// Entries with no customer are not indexed by customer, so an empty id
// never reaches them.
func eraseCustomer(tx *bolt.Tx, customer string) error {
	prefix := byCustomer(customer, "")
	for _, id := range indexed(tx.Bucket(bDecisionsBy), prefix) {
		if err := tx.Bucket(bDecisions).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bDecisionsBy).Delete(byCustomer(customer, id)); err != nil {
			return err
		}
	}
	for _, id := range indexed(tx.Bucket(bDeliveryBy), prefix) {
		v := tx.Bucket(bDeliveries).Get([]byte(id))
		if v == nil {
			continue
		}
		d, err := decodeDelivery(id, v)
		if err != nil {
			return err
		}
		if err := deleteDelivery(tx, d); err != nil {
			return err
		}
	}
	return nil
}

// PutDecisions implements store.Decisions.
func (s *Store) PutDecisions(ctx context.Context, ds []store.Decision) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if len(ds) == 0 {
		return nil
	}
	// In order of id, which is mostly the order of time: appends, which
	// fill the bucket's pages to the brim.
	sorted := slices.SortedFunc(slices.Values(ds), func(a, b store.Decision) int { return strings.Compare(a.ID, b.ID) })
	// The index too, so that each of its pages is written once.
	keys := make([][]byte, len(ds))
	for i, d := range ds {
		keys[i] = byCustomer(d.Customer, d.ID)
	}
	slices.SortFunc(keys, bytes.Compare)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, idx := tx.Bucket(bDecisions), tx.Bucket(bDecisionsBy)
		b.FillPercent = 0.95
		for _, d := range sorted {
			if err := b.Put([]byte(d.ID), encodeDecision(d)); err != nil {
				return fmt.Errorf("decision %s: %w", d.ID, err)
			}
		}
		for _, k := range keys {
			if err := idx.Put(k, nil); err != nil {
				return err
			}
		}
		for _, d := range ds {
			if err := appendFacts(tx, d.Facts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing decision records: %w", err)
	}
	return nil
}

// Decision implements store.Decisions.
func (s *Store) Decision(ctx context.Context, id string) (store.Decision, error) {
	if err := s.enter(); err != nil {
		return store.Decision{}, err
	}
	defer s.leave()
	var d store.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDecisions).Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		d, err = decodeDecision(id, v)
		return err
	})
	return d, err
}

// CustomerDecisions implements store.Decisions.
func (s *Store) CustomerDecisions(ctx context.Context, customer string, max int) ([]store.Decision, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := byCustomer(customer, "")
		c := tx.Bucket(bDecisionsBy).Cursor()
		k, _ := c.Seek(append(bytes.Clone(prefix), 0xff))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		b := tx.Bucket(bDecisions)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, _ = c.Prev() {
			id := string(k[len(prefix):])
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDecision(id, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// pruneBatch bounds the records one pruning transaction deletes.
const pruneBatch = 10000

// PruneDecisions implements store.Decisions.
func (s *Store) PruneDecisions(ctx context.Context, before time.Time) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	total := 0
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			b, idx := tx.Bucket(bDecisions), tx.Bucket(bDecisionsBy)
			c := b.Cursor()
			for k, v := c.First(); k != nil && n < pruneBatch; k, v = c.First() {
				d, err := decodeDecision(string(k), v)
				if err != nil {
					return err
				}
				if !d.Time.Before(before) {
					break
				}
				if err := idx.Delete(byCustomer(d.Customer, d.ID)); err != nil {
					return err
				}
				if err := b.Delete(k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("pruning decision records: %w", err)
		}
		if n < pruneBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// Delivery implements store.Queue.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	if err := s.enter(); err != nil {
		return store.Delivery{}, err
	}
	defer s.leave()
	var d store.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDeliveries).Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		d, err = decodeDelivery(id, v)
		return err
	})
	return d, err
}

// Deliveries implements store.Queue.
func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, after string, max int) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := byCustomer(string(state), "")
		c := tx.Bucket(bDeliveryIn).Cursor()
		k, _ := c.Seek(byCustomer(string(state), after))
		if k != nil && string(k[len(prefix):]) == after {
			k, _ = c.Next()
		}
		b := tx.Bucket(bDeliveries)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, _ = c.Next() {
			id := string(k[len(prefix):])
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDelivery(id, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// addDeliveries adds the entries whose ID is not in the outbox (nor earlier
// in ds) and returns them.
func addDeliveries(tx *bolt.Tx, ds []store.Delivery) ([]store.Delivery, error) {
	var added []store.Delivery
	b := tx.Bucket(bDeliveries)
	for _, d := range ds {
		if b.Get([]byte(d.ID)) != nil {
			continue
		}
		d.Claim, d.ClaimedUntil = "", time.Time{}
		if err := putDelivery(tx, d, nil); err != nil {
			return nil, err
		}
		added = append(added, d)
	}
	return added, nil
}

// AddDeliveries implements store.Queue.
func (s *Store) AddDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(ds) == 0 {
		return nil, nil
	}
	var added []store.Delivery
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		added, err = addDeliveries(tx, ds)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("adding to the outbox: %w", err)
	}
	return added, nil
}

// UpdateDelivery implements store.Queue.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDeliveries).Get([]byte(d.ID))
		if v == nil {
			return store.ErrNotFound
		}
		old, err := decodeDelivery(d.ID, v)
		if err != nil {
			return err
		}
		d.Claim, d.ClaimedUntil = "", time.Time{}
		return putDelivery(tx, d, &old)
	})
}

// PruneDeliveries implements store.Queue.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, state := range []store.DeliveryState{store.DeliveryDelivered, store.DeliveryCancelled} {
			b := tx.Bucket(bDeliveries)
			for _, id := range indexed(tx.Bucket(bDeliveryIn), byCustomer(string(state), "")) {
				v := b.Get([]byte(id))
				if v == nil {
					continue
				}
				d, err := decodeDelivery(id, v)
				if err != nil {
					return err
				}
				if !d.Updated.Before(before) {
					continue
				}
				if err := deleteDelivery(tx, d); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("pruning delivered entries: %w", err)
	}
	return n, nil
}

// ClaimDeliveries implements store.Queue. It walks the pending entries in
// order of due time, passing over those claimed past now (a few: the
// entries in flight).
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if max <= 0 {
		return nil, nil
	}
	var out []store.Delivery
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		end := timeKey(now)
		b := tx.Bucket(bDeliveries)
		var due []store.Delivery
		c := tx.Bucket(bDeliveryDue).Cursor()
		for k, _ := c.First(); k != nil && len(due) < max; k, _ = c.Next() {
			if len(k) < 8 {
				return fmt.Errorf("delivery queue: corrupt key")
			}
			if binary.BigEndian.Uint64(k) > end {
				break
			}
			id := string(k[8:])
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDelivery(id, v)
			if err != nil {
				return err
			}
			if d.ClaimedUntil.After(now) {
				continue
			}
			due = append(due, d)
		}
		// Indexes are unchanged by a claim: only the entry is written.
		for _, d := range due {
			d.Claim, d.ClaimedUntil = worker, now.Add(lease)
			if err := b.Put([]byte(d.ID), encodeDelivery(d)); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	return out, nil
}

// NextDue implements store.Queue.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.enter(); err != nil {
		return time.Time{}, false, err
	}
	defer s.leave()
	var next time.Time
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bDeliveryDue).Cursor().First()
		if len(k) >= 8 {
			next, found = readTime(k), true
		}
		return nil
	})
	return next, found, err
}
