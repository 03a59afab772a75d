package pgstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Facts implements store.Store: it reads the fact heads, then each
// partition that has facts past its position, in order, until it has max.
// A partition's facts are past both its position and the snapshot's (a
// run the snapshot holds part of keeps its first facts, deleted with the
// run once the snapshot holds all of it).
func (s *Store) Facts(ctx context.Context, after []uint64, max int) ([]store.Fact, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if after != nil && len(after) != store.Partitions {
		return nil, fmt.Errorf("facts: %d positions, not %d", len(after), store.Partitions)
	}
	out := []store.Fact{}
	if max <= 0 {
		return out, nil
	}
	heads, upTo, err := s.factHeads(ctx)
	if err != nil {
		return nil, err
	}
	for p := 0; p < store.Partitions && len(out) < max; p++ {
		from := upTo[p]
		if after != nil {
			from = max64(from, int64(after[p]))
		}
		if heads[p] <= from {
			continue
		}
		// A row holds one fact or more: max-len(out) rows are enough.
		rows, err := s.pool.Query(ctx, `SELECT seq, first, data FROM facts WHERE part = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
			p, from, max-len(out))
		if err != nil {
			return nil, fmt.Errorf("reading facts: %w", err)
		}
		var seq int64
		var first *int64
		var data []byte
		_, err = pgx.ForEachRow(rows, []any{&seq, &first, &data}, func() error {
			if first == nil { // a row of one fact
				if len(out) < max {
					out = append(out, store.Fact{Partition: p, Seq: uint64(seq), Data: data})
				}
				return nil
			}
			return unpackRun(data, *first, seq, func(n int64, fact []byte) bool {
				if n > from && len(out) < max {
					out = append(out, store.Fact{Partition: p, Seq: uint64(n), Data: fact})
				}
				return len(out) < max
			})
		})
		if err != nil {
			return nil, fmt.Errorf("reading facts: %w", err)
		}
	}
	return out, nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// packFact appends a fact to a run: its length as a uvarint, then it.
func packFact(run, fact []byte) []byte {
	run = binary.AppendUvarint(run, uint64(len(fact)))
	return append(run, fact...)
}

// unpackRun calls each with the facts of run, numbered first to last,
// while each returns true. A fact shares run's memory.
func unpackRun(run []byte, first, last int64, each func(n int64, fact []byte) bool) error {
	for n := first; n <= last; n++ {
		size, k := binary.Uvarint(run)
		if k <= 0 || uint64(len(run)-k) < size {
			return fmt.Errorf("the run of facts %d to %d is cut short at %d", first, last, n)
		}
		fact := run[k : k+int(size) : k+int(size)]
		run = run[k+int(size):]
		if !each(n, fact) {
			return nil
		}
	}
	if len(run) != 0 {
		return fmt.Errorf("the run of facts %d to %d has %d bytes past its last", first, last, len(run))
	}
	return nil
}

// factHeads returns the last fact number and the snapshot's position of
// every partition.
func (s *Store) factHeads(ctx context.Context) (seqs, upTo []int64, err error) {
	rows, err := s.pool.Query(ctx, `SELECT part, seq, up_to FROM fact_heads WHERE part >= 0 AND part < $1`, store.Partitions)
	if err != nil {
		return nil, nil, fmt.Errorf("reading fact heads: %w", err)
	}
	seqs, upTo = make([]int64, store.Partitions), make([]int64, store.Partitions)
	var part int32
	var seq, up int64
	_, err = pgx.ForEachRow(rows, []any{&part, &seq, &up}, func() error {
		seqs[part], upTo[part] = seq, up
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading fact heads: %w", err)
	}
	return seqs, upTo, nil
}

// AnalyticsSnapshot implements store.Store.
func (s *Store) AnalyticsSnapshot(ctx context.Context) ([]byte, []uint64, error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	var data []byte
	var up []int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT data FROM analytics WHERE id = 1`).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			data, err = nil, nil
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT up_to FROM fact_heads WHERE part >= 0 AND part < $1 ORDER BY part`, store.Partitions)
		if err != nil {
			return err
		}
		up, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the analytics snapshot: %w", err)
	}
	upTo := make([]uint64, store.Partitions)
	for i, n := range up {
		upTo[i] = uint64(n)
	}
	return data, upTo, nil
}

// SaveAnalyticsSnapshot implements store.Store.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, data []byte, upTo []uint64, fence []store.Lease) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if upTo != nil && len(upTo) != store.Partitions {
		return fmt.Errorf("analytics snapshot: %d positions, not %d", len(upTo), store.Partitions)
	}
	parts := make([]int32, store.Partitions)
	ups := make([]int64, store.Partitions)
	for p := range parts {
		parts[p] = int32(p)
		if upTo != nil {
			ups[p] = int64(upTo[p])
		}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := checkFence(ctx, tx, fence); err != nil {
			return err
		}
		// The fact heads next, in order, as every writer of facts takes
		// them.
		if _, err := tx.Exec(ctx, `SELECT part FROM fact_heads ORDER BY part FOR UPDATE`); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if len(data) == 0 {
			b.Queue(`DELETE FROM analytics WHERE id = 1`)
		} else {
			b.Queue(`INSERT INTO analytics (id, data) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, data)
		}
		b.Queue(`DELETE FROM facts USING unnest($1::int[], $2::bigint[]) AS u(part, up_to)
			WHERE facts.part = u.part AND facts.seq <= u.up_to`, parts, ups)
		b.Queue(`UPDATE fact_heads SET up_to = u.up_to, seq = greatest(fact_heads.seq, u.up_to)
			FROM unnest($1::int[], $2::bigint[]) AS u(part, up_to) WHERE fact_heads.part = u.part`, parts, ups)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("saving the analytics snapshot: %w", err)
	}
	return nil
}

// PutDecisions implements store.Store.
func (s *Store) PutDecisions(ctx context.Context, ds []store.Decision) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	var facts []store.Fact
	for _, d := range ds {
		for _, f := range d.Facts {
			if err := checkPartition("decision: fact", f.Partition); err != nil {
				return err
			}
		}
		facts = append(facts, d.Facts...)
	}
	if len(ds) == 0 {
		return nil
	}
	last := map[string]int{}
	for i, d := range ds {
		last[d.ID] = i
	}
	var (
		ids, customers, data [][]byte
		times                []int64
	)
	for i, d := range ds {
		if last[d.ID] != i {
			continue
		}
		ids = append(ids, bytesOf(d.ID))
		customers = append(customers, bytesOf(d.Customer))
		times = append(times, nanos(d.Time))
		data = append(data, orEmpty(d.Data))
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Facts first: their heads are locked before any other row, as in
		// Commit.
		if err := appendFacts(ctx, tx, facts); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO decisions (id, customer, time, data)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[])
			ON CONFLICT (id) DO UPDATE SET customer = excluded.customer, time = excluded.time, data = excluded.data`,
			ids, customers, times, data)
		return err
	})
	if err != nil {
		return fmt.Errorf("storing decisions: %w", err)
	}
	return nil
}

func scanDecision(row pgx.CollectableRow) (store.Decision, error) {
	var d store.Decision
	var id, customer []byte
	var tm int64
	err := row.Scan(&id, &customer, &tm, &d.Data)
	d.ID, d.Customer, d.Time = string(id), string(customer), fromNanos(tm)
	return d, err
}

// Decision implements store.Store.
func (s *Store) Decision(ctx context.Context, id string) (store.Decision, error) {
	if err := s.enter(); err != nil {
		return store.Decision{}, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT id, customer, time, data FROM decisions WHERE id = $1`, bytesOf(id))
	if err != nil {
		return store.Decision{}, fmt.Errorf("reading a decision: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDecision)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Decision{}, store.ErrNotFound
	}
	if err != nil {
		return store.Decision{}, fmt.Errorf("reading a decision: %w", err)
	}
	return d, nil
}

// CustomerDecisions implements store.Store.
func (s *Store) CustomerDecisions(ctx context.Context, customer string, max int) ([]store.Decision, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT id, customer, time, data FROM decisions
		WHERE customer = $1 ORDER BY id DESC LIMIT $2`, bytesOf(customer), limit(max))
	if err != nil {
		return nil, fmt.Errorf("reading a customer's decisions: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanDecision)
	if err != nil {
		return nil, fmt.Errorf("reading a customer's decisions: %w", err)
	}
	return out, nil
}

// PruneDecisions implements store.Store.
func (s *Store) PruneDecisions(ctx context.Context, before time.Time) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	tag, err := s.pool.Exec(ctx, `DELETE FROM decisions WHERE time < $1`, nanos(before))
	if err != nil {
		return 0, fmt.Errorf("pruning decisions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
