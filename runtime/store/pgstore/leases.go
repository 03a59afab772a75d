package pgstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Heartbeat implements store.Store. Members long dead stay in the table:
// there are as many as replicas ever started, few.
func (s *Store) Heartbeat(ctx context.Context, owner string, ttl time.Duration) ([]store.Member, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	now := s.opts.Now()
	var out []store.Member
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = nil
		if ttl <= 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM members WHERE name = $1`, owner); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, `INSERT INTO members (name, expires) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET expires = excluded.expires`, owner, nanos(now.Add(ttl))); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT name, expires FROM members WHERE expires > $1`, nanos(now))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Member, error) {
			var m store.Member
			var exp int64
			err := row.Scan(&m.Name, &exp)
			m.Expires = fromNanos(exp)
			return m, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("heartbeat of %q: %w", owner, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func scanLease(row pgx.CollectableRow) (store.Lease, error) {
	var l store.Lease
	var part int32
	var epoch, exp int64
	err := row.Scan(&part, &l.Owner, &epoch, &exp)
	l.Partition, l.Epoch, l.Expires = int(part), uint64(epoch), fromNanos(exp)
	return l, err
}

// Leases implements store.Store.
func (s *Store) Leases(ctx context.Context) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT part, owner, epoch, expires FROM leases WHERE part >= 0 AND part < $1 ORDER BY part`, store.Partitions)
	if err != nil {
		return nil, fmt.Errorf("reading leases: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanLease)
	if err != nil {
		return nil, fmt.Errorf("reading leases: %w", err)
	}
	return out, nil
}

// lockLeases locks the lease rows of ps, in order of partition (so that
// two writers of leases never deadlock), and returns them.
func lockLeases(ctx context.Context, tx pgx.Tx, ps []int32, share bool) ([]store.Lease, error) {
	q := `SELECT part, owner, epoch, expires FROM leases WHERE part = ANY($1) ORDER BY part FOR UPDATE`
	if share {
		q = `SELECT part, owner, epoch, expires FROM leases WHERE part = ANY($1) ORDER BY part FOR SHARE`
	}
	rows, err := tx.Query(ctx, q, ps)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanLease)
}

// checkFence locks the lease rows of fence for share and returns
// store.ErrLeaseLost unless each is still held by its Owner with its
// Epoch. Taken first in a transaction, as every writer takes leases
// before fact heads.
func checkFence(ctx context.Context, tx pgx.Tx, fence []store.Lease) error {
	if len(fence) == 0 {
		return nil
	}
	parts, err := leasePartitions("fence", fence)
	if err != nil {
		return err
	}
	cur, err := lockLeases(ctx, tx, parts, true)
	if err != nil {
		return err
	}
	held := map[int]store.Lease{}
	for _, l := range cur {
		held[l.Partition] = l
	}
	for _, l := range fence {
		if h := held[l.Partition]; h.Owner == "" || h.Owner != l.Owner || h.Epoch != l.Epoch {
			return store.ErrLeaseLost
		}
	}
	return nil
}

// setLeases writes ls.
func setLeases(ctx context.Context, tx pgx.Tx, ls []store.Lease) error {
	if len(ls) == 0 {
		return nil
	}
	parts := make([]int32, len(ls))
	owners := make([]string, len(ls))
	epochs := make([]int64, len(ls))
	exps := make([]int64, len(ls))
	for i, l := range ls {
		parts[i], owners[i], epochs[i], exps[i] = int32(l.Partition), l.Owner, int64(l.Epoch), nanos(l.Expires)
	}
	_, err := tx.Exec(ctx, `UPDATE leases SET owner = u.owner, epoch = u.epoch, expires = u.expires
		FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bigint[]) AS u(part, owner, epoch, expires)
		WHERE leases.part = u.part`, parts, owners, epochs, exps)
	return err
}

// partitionsOf is the distinct leases of ps (partitions and
// AnalyticsLease), sorted, or an error for one out of range.
func partitionsOf(what string, ps []int) ([]int32, error) {
	out := make([]int32, 0, len(ps))
	for _, p := range ps {
		if p == store.AnalyticsLease {
			out = append(out, int32(p))
			continue
		}
		if err := checkPartition(what, p); err != nil {
			return nil, err
		}
		out = append(out, int32(p))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// leasePartitions is partitionsOf the leases' partitions.
func leasePartitions(what string, ls []store.Lease) ([]int32, error) {
	ps := make([]int, len(ls))
	for i, l := range ls {
		ps[i] = l.Partition
	}
	return partitionsOf(what, ps)
}

// AcquireLeases implements store.Store.
func (s *Store) AcquireLeases(ctx context.Context, owner string, ps []int, ttl time.Duration) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	parts, err := partitionsOf("acquire leases", ps)
	if err != nil {
		return nil, err
	}
	if owner == "" {
		return nil, fmt.Errorf("acquire leases: no owner")
	}
	now := s.opts.Now()
	var got []store.Lease
	err = s.tx(ctx, func(tx pgx.Tx) error {
		got = []store.Lease{}
		cur, err := lockLeases(ctx, tx, parts, false)
		if err != nil {
			return err
		}
		for _, l := range cur {
			if l.Owner != "" && l.Owner != owner && now.Before(l.Expires) {
				continue
			}
			if l.Owner != owner {
				l.Owner = owner
				l.Epoch++
			}
			l.Expires = now.Add(ttl)
			got = append(got, l)
		}
		return setLeases(ctx, tx, got)
	})
	if err != nil {
		return nil, fmt.Errorf("acquiring leases for %q: %w", owner, err)
	}
	return got, nil
}

// RenewLeases implements store.Store.
func (s *Store) RenewLeases(ctx context.Context, owner string, held []store.Lease, ttl time.Duration) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	ps := make([]int, len(held))
	epoch := map[int]uint64{}
	for i, l := range held {
		ps[i] = l.Partition
		epoch[l.Partition] = l.Epoch
	}
	parts, err := partitionsOf("renew leases", ps)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	var kept []store.Lease
	err = s.tx(ctx, func(tx pgx.Tx) error {
		kept = []store.Lease{}
		cur, err := lockLeases(ctx, tx, parts, false)
		if err != nil {
			return err
		}
		for _, l := range cur {
			if l.Owner != owner || l.Epoch != epoch[l.Partition] {
				continue
			}
			l.Expires = now.Add(ttl)
			kept = append(kept, l)
		}
		return setLeases(ctx, tx, kept)
	})
	if err != nil {
		return nil, fmt.Errorf("renewing leases of %q: %w", owner, err)
	}
	return kept, nil
}

// ReleaseLeases implements store.Store. A released lease has no owner:
// whoever takes it next, its old owner included, does so at a new epoch.
func (s *Store) ReleaseLeases(ctx context.Context, ls []store.Lease) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	parts, err := leasePartitions("release leases", ls)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		cur, err := lockLeases(ctx, tx, parts, false)
		if err != nil {
			return err
		}
		var freed []store.Lease
		for _, l := range cur {
			for _, r := range ls {
				if r.Partition == l.Partition && r.Owner == l.Owner && r.Epoch == l.Epoch && l.Owner != "" {
					l.Owner, l.Expires = "", time.Time{}
					freed = append(freed, l)
					break
				}
			}
		}
		return setLeases(ctx, tx, freed)
	})
	if err != nil {
		return fmt.Errorf("releasing leases: %w", err)
	}
	return nil
}
