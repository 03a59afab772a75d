package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Deploy implements store.Store. It appends rec under the log's head lock
// like any append, so that the deployment takes effect at its place in
// the log's commit order.
func (s *Store) Deploy(ctx context.Context, d store.Deployment, base int64, rec store.LogRecord) (store.Deployment, error) {
	if err := s.enter(); err != nil {
		return store.Deployment{}, err
	}
	defer s.leave()
	rec.ID, rec.Partition = "", store.AllPartitions
	var out store.Deployment
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The head first, as every append takes it, then the stack.
		seqs, err := s.appendTx(ctx, tx, []store.LogRecord{rec}, nil)
		if err != nil {
			return err
		}
		var current int64
		err = tx.QueryRow(ctx, `SELECT serial FROM stacks WHERE stack = $1 FOR UPDATE`, d.Stack).Scan(&current)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if current != base {
			return &store.StaleError{Stack: d.Stack, Base: base, Current: current}
		}
		out = d
		out.Serial, out.Seq = base+1, seqs[0]
		_, err = tx.Exec(ctx, `INSERT INTO deployments (stack, serial, time, who, digest, summary, document, seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			out.Stack, out.Serial, nanos(out.Time), out.Who, out.Digest, out.Summary, orEmpty(out.Document), int64(out.Seq))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO stacks (stack, serial) VALUES ($1, $2)
			ON CONFLICT (stack) DO UPDATE SET serial = excluded.serial`, out.Stack, out.Serial)
		return err
	})
	var stale *store.StaleError
	if errors.As(err, &stale) {
		return store.Deployment{}, stale
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("deploying stack %q: %w", d.Stack, err)
	}
	return out, nil
}

const deploymentCols = `d.stack, d.serial, d.time, d.who, d.digest, d.summary, d.document, d.seq`

func scanDeployment(row pgx.CollectableRow) (store.Deployment, error) {
	var d store.Deployment
	var tm, seq int64
	err := row.Scan(&d.Stack, &d.Serial, &tm, &d.Who, &d.Digest, &d.Summary, &d.Document, &seq)
	d.Time, d.Seq = fromNanos(tm), uint64(seq)
	return d, err
}

// Stacks implements store.Store.
func (s *Store) Stacks(ctx context.Context) ([]store.Deployment, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentCols+` FROM stacks s
		JOIN deployments d ON d.stack = s.stack AND d.serial = s.serial`)
	if err != nil {
		return nil, fmt.Errorf("reading stacks: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanDeployment)
	if err != nil {
		return nil, fmt.Errorf("reading stacks: %w", err)
	}
	// Bytewise, whatever the database's collation.
	sort.Slice(out, func(i, j int) bool { return out[i].Stack < out[j].Stack })
	return out, nil
}

// Deployment implements store.Store.
func (s *Store) Deployment(ctx context.Context, stack string, serial int64) (store.Deployment, error) {
	if err := s.enter(); err != nil {
		return store.Deployment{}, err
	}
	defer s.leave()
	var rows pgx.Rows
	var err error
	if serial == 0 {
		rows, err = s.pool.Query(ctx, `SELECT `+deploymentCols+` FROM stacks s
			JOIN deployments d ON d.stack = s.stack AND d.serial = s.serial WHERE s.stack = $1`, stack)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+deploymentCols+` FROM deployments d
			WHERE d.stack = $1 AND d.serial = $2`, stack, serial)
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("reading deployment %s/%d: %w", stack, serial, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDeployment)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Deployment{}, store.ErrNotFound
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("reading deployment %s/%d: %w", stack, serial, err)
	}
	return d, nil
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, stack string) ([]store.Deployment, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT d.stack, d.serial, d.time, d.who, d.digest, d.summary, ''::bytea, d.seq
		FROM deployments d WHERE d.stack = $1 ORDER BY d.serial DESC`, stack)
	if err != nil {
		return nil, fmt.Errorf("reading the history of %q: %w", stack, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Deployment, error) {
		d, err := scanDeployment(row)
		d.Document = nil
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the history of %q: %w", stack, err)
	}
	return out, nil
}

// CreateToken implements store.Store.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	scopes := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = string(sc)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (name, hash, scopes, created) VALUES ($1, $2, $3, $4)`,
		t.Name, orEmpty(t.Hash), scopes, nanos(t.Created))
	if uniqueViolation(err) {
		return store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("creating token %q: %w", t.Name, err)
	}
	return nil
}

func scanToken(row pgx.CollectableRow) (store.Token, error) {
	var t store.Token
	var scopes []string
	var created int64
	if err := row.Scan(&t.Name, &t.Hash, &scopes, &created); err != nil {
		return t, err
	}
	t.Created = fromNanos(created)
	t.Scopes = make([]store.Scope, len(scopes))
	for i, sc := range scopes {
		t.Scopes[i] = store.Scope(sc)
	}
	return t, nil
}

// TokenByHash implements store.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	if err := s.enter(); err != nil {
		return store.Token{}, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT name, hash, scopes, created FROM tokens WHERE hash = $1`, orEmpty(hash))
	if err != nil {
		return store.Token{}, fmt.Errorf("reading a token: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanToken)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("reading a token: %w", err)
	}
	return t, nil
}

// Tokens implements store.Store.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.pool.Query(ctx, `SELECT name, hash, scopes, created FROM tokens`)
	if err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AddAudit implements store.Store. The audit counter's row is locked
// until the commit, so records are numbered in commit order.
func (s *Store) AddAudit(ctx context.Context, a store.AuditRecord) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `UPDATE counters SET n = n + 1 WHERE name = 'audit' RETURNING n`).Scan(&seq); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit (seq, time, who, what, subject) VALUES ($1, $2, $3, $4, $5)`,
			seq, nanos(a.Time), a.Who, a.What, a.Subject)
		return err
	})
	if err != nil {
		return fmt.Errorf("adding to the audit log: %w", err)
	}
	return nil
}

// AuditLog implements store.Store.
func (s *Store) AuditLog(ctx context.Context, after uint64, max int) ([]store.AuditRecord, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if max < 0 {
		max = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, time, who, what, subject FROM audit
		WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), max)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditRecord, error) {
		var a store.AuditRecord
		var seq, tm int64
		err := row.Scan(&seq, &tm, &a.Who, &a.What, &a.Subject)
		a.Seq, a.Time = uint64(seq), fromNanos(tm)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	return out, nil
}

// keysOf reads the keys of refs ($1), a lookup of each by the key: ref =
// ANY($1) was planned as a scan of the whole table while it held some
// tens of thousands of keys, for every batch of events (LIMIT keeps the
// planner from making the lookups a join, planned the same way).
const keysOf = `SELECT k.ref, k.key FROM unnest($1::bytea[]) AS u(ref) CROSS JOIN LATERAL (
	SELECT ref, key FROM customer_keys WHERE ref = u.ref LIMIT 1
) AS k`

// CustomerKeys implements store.CustomerKeys.
func (s *Store) CustomerKeys(ctx context.Context, refs []string) (map[string][]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := make(map[string][]byte, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	bs := make([][]byte, len(refs))
	for i, r := range refs {
		bs[i] = []byte(r)
	}
	rows, err := s.pool.Query(ctx, keysOf, bs)
	if err != nil {
		return nil, fmt.Errorf("reading customer keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref, key []byte
		if err := rows.Scan(&ref, &key); err != nil {
			return nil, fmt.Errorf("reading customer keys: %w", err)
		}
		out[string(ref)] = key
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading customer keys: %w", err)
	}
	return out, nil
}

// AddCustomerKeys implements store.CustomerKeys: one statement inserts
// those not there and another reads what every ref holds, in one
// transaction.
func (s *Store) AddCustomerKeys(ctx context.Context, keys map[string][]byte) (map[string][]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	refs := make([][]byte, 0, len(keys))
	vals := make([][]byte, 0, len(keys))
	for r, k := range keys {
		refs = append(refs, []byte(r))
		vals = append(vals, k)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO customer_keys (ref, key) SELECT * FROM unnest($1::bytea[], $2::bytea[])
			ON CONFLICT (ref) DO NOTHING`, refs, vals); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, keysOf, refs)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ref, key []byte
			if err := rows.Scan(&ref, &key); err != nil {
				return err
			}
			out[string(ref)] = key
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("adding customer keys: %w", err)
	}
	return out, nil
}

// DeleteCustomerKey implements store.CustomerKeys.
func (s *Store) DeleteCustomerKey(ctx context.Context, ref string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if _, err := s.pool.Exec(ctx, `DELETE FROM customer_keys WHERE ref = $1`, []byte(ref)); err != nil {
		return fmt.Errorf("deleting a customer key: %w", err)
	}
	return nil
}
