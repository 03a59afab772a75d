package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Commit implements store.Store. Its transaction first takes the leases it
// names for sharing (a replica taking one over waits for it, and it waits
// for a takeover in progress), and checks them; then the fact heads it
// numbers facts from; then writes the rest in one round trip.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := checkCommit(c); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := checkFence(ctx, tx, c.Leases); err != nil {
			return err
		}
		if err := appendFacts(ctx, tx, c.Facts); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if len(c.Delete) > 0 {
			ids := make([][]byte, len(c.Delete))
			parts := make([]int32, len(c.Delete))
			for i, id := range c.Delete {
				ids[i], parts[i] = bytesOf(id), int32(store.PartitionOf(id))
			}
			b.Queue(`DELETE FROM customers USING unnest($1::int[], $2::bytea[]) AS d(part, id)
				WHERE customers.part = d.part AND customers.id = d.id`, parts, ids)
			// An empty customer is none: entries of no customer stay.
			b.Queue(`DELETE FROM decisions WHERE customer = ANY($1::bytea[]) AND customer <> ''::bytea`, ids)
			b.Queue(`DELETE FROM deliveries WHERE customer = ANY($1::bytea[]) AND customer <> ''::bytea`, ids)
		}
		queueCustomers(b, c.Customers)
		queueModels(b, c.Models)
		queueCounts(b, c.Counts)
		if len(c.Deliveries) > 0 {
			queueDeliveries(b, c.Deliveries, false)
		}
		queueCursors(b, c.Cursors)
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if errors.Is(err, store.ErrLeaseLost) {
		return store.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// checkCommit refuses partitions out of range, before anything is written.
func checkCommit(c store.Commit) error {
	for _, cu := range c.Cursors {
		if err := checkPartition("commit: cursor", cu.Partition); err != nil {
			return err
		}
	}
	for _, f := range c.Facts {
		if err := checkPartition("commit: fact", f.Partition); err != nil {
			return err
		}
	}
	for _, m := range c.Models {
		if err := checkPartition("commit: model", m.Partition); err != nil {
			return err
		}
	}
	for _, n := range c.Counts {
		if err := checkPartition("commit: count", n.Partition); err != nil {
			return err
		}
	}
	return nil
}

// appendFacts numbers facts in their partitions and stores them, a run of
// each partition's in a row (packRun). It locks the fact heads of their
// partitions, in order of partition, until the transaction ends: so each
// partition's facts are numbered in commit order.
func appendFacts(ctx context.Context, tx pgx.Tx, facts []store.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	var ps []int32
	for _, f := range facts {
		ps = append(ps, int32(f.Partition))
	}
	slices.Sort(ps)
	ps = slices.Compact(ps)
	rows, err := tx.Query(ctx, `SELECT part, seq FROM fact_heads WHERE part = ANY($1) ORDER BY part FOR UPDATE`, ps)
	if err != nil {
		return err
	}
	head := map[int32]int64{}
	var part int32
	var seq int64
	if _, err := pgx.ForEachRow(rows, []any{&part, &seq}, func() error {
		head[part] = seq
		return nil
	}); err != nil {
		return err
	}
	// Each partition's run, in the order of facts.
	run := map[int32][]byte{}
	firsts := map[int32]int64{}
	for _, f := range facts {
		p := int32(f.Partition)
		if _, ok := firsts[p]; !ok {
			firsts[p] = head[p] + 1
		}
		head[p]++
		run[p] = packFact(run[p], f.Data)
	}
	parts := make([]int32, 0, len(run))
	lasts := make([]int64, 0, len(run))
	first := make([]int64, 0, len(run))
	data := make([][]byte, 0, len(run))
	for _, p := range ps {
		parts, lasts, first, data = append(parts, p), append(lasts, head[p]), append(first, firsts[p]), append(data, run[p])
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO facts (part, seq, first, data) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bytea[])`,
		parts, lasts, first, data)
	b.Queue(`UPDATE fact_heads SET seq = u.seq FROM unnest($1::int[], $2::bigint[]) AS u(part, seq)
		WHERE fact_heads.part = u.part`, parts, lasts)
	return tx.SendBatch(ctx, b).Close()
}

// queueCustomers upserts customers, the last of each id winning.
func queueCustomers(b *pgx.Batch, cs []store.Customer) {
	if len(cs) == 0 {
		return
	}
	last := map[string]int{}
	for i, c := range cs {
		last[c.ID] = i
	}
	var (
		ids, data [][]byte
		parts     []int32
		dues      []*int64
	)
	for i, c := range cs {
		if last[c.ID] != i {
			continue
		}
		var due *int64
		if !c.Due.IsZero() {
			n := nanos(c.Due)
			due = &n
		}
		ids = append(ids, bytesOf(c.ID))
		parts = append(parts, int32(store.PartitionOf(c.ID)))
		dues = append(dues, due)
		data = append(data, orEmpty(c.Data))
	}
	b.Queue(`INSERT INTO customers (id, part, due, data)
		SELECT * FROM unnest($1::bytea[], $2::int[], $3::bigint[], $4::bytea[])
		ON CONFLICT (part, id) DO UPDATE SET due = excluded.due, data = excluded.data`,
		ids, parts, dues, data)
}

// queueModels upserts models, the last of each key winning.
func queueModels(b *pgx.Batch, ms []store.Model) {
	if len(ms) == 0 {
		return
	}
	type key struct {
		p int
		k string
	}
	last := map[key]int{}
	for i, m := range ms {
		last[key{m.Partition, m.Key}] = i
	}
	var (
		parts, goneParts []int32
		keys, data, gone [][]byte
	)
	for i, m := range ms {
		if last[key{m.Partition, m.Key}] != i {
			continue
		}
		if len(m.Data) == 0 {
			goneParts = append(goneParts, int32(m.Partition))
			gone = append(gone, bytesOf(m.Key))
			continue
		}
		parts = append(parts, int32(m.Partition))
		keys = append(keys, bytesOf(m.Key))
		data = append(data, m.Data)
	}
	if len(gone) > 0 {
		b.Queue(`DELETE FROM models USING unnest($1::int[], $2::bytea[]) AS g(part, key)
			WHERE models.part = g.part AND models.key = g.key`, goneParts, gone)
	}
	if len(parts) > 0 {
		b.Queue(`INSERT INTO models (part, key, data) SELECT * FROM unnest($1::int[], $2::bytea[], $3::bytea[])
			ON CONFLICT (part, key) DO UPDATE SET data = excluded.data`, parts, keys, data)
	}
}

// queueCounts adds the counts' deltas, summed per partition and key.
func queueCounts(b *pgx.Batch, cs []store.Count) {
	type key struct {
		p int
		k string
	}
	sum := map[key]int64{}
	var order []key
	for _, c := range cs {
		k := key{c.Partition, c.Key}
		if _, ok := sum[k]; !ok {
			order = append(order, k)
		}
		sum[k] += c.Delta
	}
	var (
		parts  []int32
		keys   [][]byte
		deltas []int64
	)
	for _, k := range order {
		if sum[k] == 0 {
			continue
		}
		parts = append(parts, int32(k.p))
		keys = append(keys, bytesOf(k.k))
		deltas = append(deltas, sum[k])
	}
	if len(parts) == 0 {
		return
	}
	b.Queue(`INSERT INTO counts (part, key, n) SELECT * FROM unnest($1::int[], $2::bytea[], $3::bigint[])
		ON CONFLICT (part, key) DO UPDATE SET n = counts.n + excluded.n`, parts, keys, deltas)
}

// queueCursors sets cursors, the last of each partition winning.
func queueCursors(b *pgx.Batch, cs []store.Cursor) {
	if len(cs) == 0 {
		return
	}
	last := map[int]store.Cursor{}
	for _, c := range cs {
		last[c.Partition] = c
	}
	var parts []int32
	var seqs, clocks, arrivals []int64
	for p, c := range last {
		parts = append(parts, int32(p))
		seqs = append(seqs, int64(c.Seq))
		clocks = append(clocks, nanos(c.Clock))
		arrivals = append(arrivals, nanos(c.ArrivalClock))
	}
	b.Queue(`UPDATE cursors SET seq = u.seq, clock = u.clock, arrival_clock = u.arrival_clock
		FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(part, seq, clock, arrival_clock)
		WHERE cursors.part = u.part`, parts, seqs, clocks, arrivals)
}

// Cursors implements store.Store.
func (s *Store) Cursors(ctx context.Context) ([]store.Cursor, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT part, seq, clock, arrival_clock FROM cursors
		WHERE part >= 0 AND part < $1 ORDER BY part`, store.Partitions)
	if err != nil {
		return nil, fmt.Errorf("reading cursors: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Cursor, error) {
		var c store.Cursor
		var part int32
		var seq, clock, arrival int64
		err := row.Scan(&part, &seq, &clock, &arrival)
		c.Partition, c.Seq, c.Clock, c.ArrivalClock = int(part), uint64(seq), fromNanos(clock), fromNanos(arrival)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading cursors: %w", err)
	}
	return out, nil
}

func scanCustomer(row pgx.CollectableRow) (store.Customer, error) {
	var c store.Customer
	var id []byte
	var part int32
	var due *int64
	err := row.Scan(&id, &part, &due, &c.Data)
	c.ID, c.Partition = string(id), int(part)
	if due != nil {
		c.Due = fromNanos(*due)
	}
	return c, err
}

// Customer implements store.Store.
func (s *Store) Customer(ctx context.Context, id string) (store.Customer, error) {
	if err := s.enter(); err != nil {
		return store.Customer{}, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT id, part, due, data FROM customers WHERE part = $1 AND id = $2`,
		store.PartitionOf(id), bytesOf(id))
	if err != nil {
		return store.Customer{}, fmt.Errorf("reading a customer: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Customer{}, store.ErrNotFound
	}
	if err != nil {
		return store.Customer{}, fmt.Errorf("reading a customer: %w", err)
	}
	return c, nil
}

// CustomersByID implements store.Store.
func (s *Store) CustomersByID(ctx context.Context, ids []string) ([]store.Customer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(ids) == 0 {
		return []store.Customer{}, nil
	}
	// Each id once: the join returns a row for each.
	bs := make([][]byte, 0, len(ids))
	parts := make([]int32, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			bs, parts = append(bs, bytesOf(id)), append(parts, int32(store.PartitionOf(id)))
		}
	}
	// A lookup of each by the key (LIMIT keeps the planner from making it a
	// join, which it planned as a scan of the whole table while that was
	// small, for every call).
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.part, c.due, c.data
		FROM unnest($1::int[], $2::bytea[]) AS u(part, id) CROSS JOIN LATERAL (
			SELECT id, part, due, data FROM customers WHERE part = u.part AND id = u.id LIMIT 1
		) AS c`, parts, bs)
	if err != nil {
		return nil, fmt.Errorf("reading customers: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCustomer)
	if err != nil {
		return nil, fmt.Errorf("reading customers: %w", err)
	}
	return out, nil
}

// Customers implements store.Store.
func (s *Store) Customers(ctx context.Context, p int, after string, max int) ([]store.Customer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkPartition("customers", p); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, part, due, data FROM customers
		WHERE part = $1 AND id > $2 ORDER BY id LIMIT $3`, p, bytesOf(after), limit(max))
	if err != nil {
		return nil, fmt.Errorf("reading customers: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCustomer)
	if err != nil {
		return nil, fmt.Errorf("reading customers: %w", err)
	}
	return out, nil
}

// DueTimers implements store.Store.
func (s *Store) DueTimers(ctx context.Context, p int, after store.Timer, until time.Time, max int) ([]store.Timer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkPartition("due timers", p); err != nil {
		return nil, err
	}
	afterDue := int64(math.MinInt64)
	if after != (store.Timer{}) {
		afterDue = nanos(after.Due)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, due FROM customers
		WHERE part = $1 AND due IS NOT NULL AND (due, id) > ($2, $3) AND due <= $4
		ORDER BY due, id LIMIT $5`, p, afterDue, bytesOf(after.Customer), nanos(until), limit(max))
	if err != nil {
		return nil, fmt.Errorf("reading timers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Timer, error) {
		var id []byte
		var due int64
		err := row.Scan(&id, &due)
		return store.Timer{Customer: string(id), Due: fromNanos(due)}, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading timers: %w", err)
	}
	return out, nil
}

// StageCounts implements store.Store.
func (s *Store) StageCounts(ctx context.Context) (map[string]int64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT key, sum(n)::bigint FROM counts GROUP BY key`)
	if err != nil {
		return nil, fmt.Errorf("reading stage counts: %w", err)
	}
	out := map[string]int64{}
	var key []byte
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&key, &n}, func() error {
		if n != 0 {
			out[string(key)] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading stage counts: %w", err)
	}
	return out, nil
}

// Models implements store.Store.
func (s *Store) Models(ctx context.Context) ([]store.Model, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT part, key, data FROM models ORDER BY part, key`)
	if err != nil {
		return nil, fmt.Errorf("reading models: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Model, error) {
		var m store.Model
		var part int32
		var key []byte
		err := row.Scan(&part, &key, &m.Data)
		m.Partition, m.Key = int(part), string(key)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading models: %w", err)
	}
	return out, nil
}

// limit is a page size as SQL's LIMIT takes it: none below zero.
func limit(max int) int {
	if max < 0 {
		return 0
	}
	return max
}
