package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
)

const deliveryCols = `id, customer, state, updated, due, claim, claimed_until, data`

// qualified prefixes each of the comma-separated columns with table.
func qualified(table, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = table + "." + c
	}
	return strings.Join(parts, ", ")
}

func scanDelivery(row pgx.CollectableRow) (store.Delivery, error) {
	var d store.Delivery
	var id, customer []byte
	var state string
	var updated, due, until int64
	err := row.Scan(&id, &customer, &state, &updated, &due, &d.Claim, &until, &d.Data)
	d.ID, d.Customer, d.State = string(id), string(customer), store.DeliveryState(state)
	d.Updated, d.Due, d.ClaimedUntil = fromNanos(updated), fromNanos(due), fromNanos(until)
	return d, err
}

// queueDeliveries adds entries, unclaimed, each unless one with its ID
// exists or comes earlier in ds; with returning, the statement returns the
// IDs it added.
func queueDeliveries(b *pgx.Batch, ds []store.Delivery, returning bool) []store.Delivery {
	seen := map[string]bool{}
	var first []store.Delivery
	var (
		ids, customers, data  [][]byte
		states                []string
		updated, due, claimed []int64
	)
	for _, d := range ds {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		d.Claim, d.ClaimedUntil = "", time.Time{}
		first = append(first, d)
		ids = append(ids, bytesOf(d.ID))
		customers = append(customers, bytesOf(d.Customer))
		states = append(states, string(d.State))
		updated = append(updated, nanos(d.Updated))
		due = append(due, nanos(d.Due))
		claimed = append(claimed, 0)
		data = append(data, orEmpty(d.Data))
	}
	q := `INSERT INTO deliveries (id, customer, state, updated, due, claim, claimed_until, data)
		SELECT u.id, u.customer, u.state, u.updated, u.due, '', u.claimed_until, u.data
		FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bytea[])
			AS u(id, customer, state, updated, due, claimed_until, data)
		ON CONFLICT (id) DO NOTHING`
	if returning {
		q += ` RETURNING id`
	}
	b.Queue(q, ids, customers, states, updated, due, claimed, data)
	return first
}

// Delivery implements store.Store.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	if err := s.enter(); err != nil {
		return store.Delivery{}, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, bytesOf(id))
	if err != nil {
		return store.Delivery{}, fmt.Errorf("reading a delivery: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Delivery{}, store.ErrNotFound
	}
	if err != nil {
		return store.Delivery{}, fmt.Errorf("reading a delivery: %w", err)
	}
	return d, nil
}

// Deliveries implements store.Store.
func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, after string, max int) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries
		WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3`, string(state), bytesOf(after), limit(max))
	if err != nil {
		return nil, fmt.Errorf("reading deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("reading deliveries: %w", err)
	}
	return out, nil
}

// AddDeliveries implements store.Store.
func (s *Store) AddDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	added := []store.Delivery{}
	if len(ds) == 0 {
		return added, nil
	}
	b := &pgx.Batch{}
	first := queueDeliveries(b, ds, true)
	ok := map[string]bool{}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		clear(ok)
		rows, err := tx.Query(ctx, b.QueuedQueries[0].SQL, b.QueuedQueries[0].Arguments...)
		if err != nil {
			return err
		}
		var id []byte
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
			ok[string(id)] = true
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("adding deliveries: %w", err)
	}
	for _, d := range first {
		if ok[d.ID] {
			added = append(added, d)
		}
	}
	return added, nil
}

// ClaimDeliveries implements store.Store: FOR UPDATE SKIP LOCKED, so that
// workers claiming at once take different entries rather than wait.
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if max <= 0 {
		return []store.Delivery{}, nil
	}
	var out []store.Delivery
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The CTE runs once (a locking one is never inlined): a subquery
		// under IN may be run again by the plan, past its LIMIT.
		rows, err := tx.Query(ctx, `WITH due AS (
				SELECT id FROM deliveries
				WHERE state = 'pending' AND due <= $3 AND claimed_until <= $3
				ORDER BY due, id LIMIT $4
				FOR UPDATE SKIP LOCKED)
			UPDATE deliveries SET claim = $1, claimed_until = $2
			FROM due WHERE deliveries.id = due.id
			RETURNING `+qualified("deliveries", deliveryCols),
			worker, nanos(now.Add(lease)), nanos(now), max)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanDelivery)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].ID < out[j].ID
	})
	if out == nil {
		out = []store.Delivery{}
	}
	return out, nil
}

// NextDue implements store.Store.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.enter(); err != nil {
		return time.Time{}, false, err
	}
	defer s.leave()
	var due *int64
	err := s.pool.QueryRow(ctx, `SELECT min(due) FROM deliveries WHERE state = 'pending'`).Scan(&due)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading the next due delivery: %w", err)
	}
	if due == nil {
		return time.Time{}, false, nil
	}
	return fromNanos(*due), true, nil
}

// UpdateDelivery implements store.Store.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	tag, err := s.pool.Exec(ctx, `UPDATE deliveries SET customer = $2, state = $3, updated = $4, due = $5,
		claim = '', claimed_until = 0, data = $6 WHERE id = $1`,
		bytesOf(d.ID), bytesOf(d.Customer), string(d.State), nanos(d.Updated), nanos(d.Due), orEmpty(d.Data))
	if err != nil {
		return fmt.Errorf("updating a delivery: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// PruneDeliveries implements store.Store.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	tag, err := s.pool.Exec(ctx, `DELETE FROM deliveries WHERE state IN ('delivered', 'cancelled') AND updated < $1`, nanos(before))
	if err != nil {
		return 0, fmt.Errorf("pruning deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
