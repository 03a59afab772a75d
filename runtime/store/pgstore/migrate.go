package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/runtime/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/, NNNN_what.sql, applied once in
// order of its number.
type migration struct {
	version int64
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name is not NNNN_what.sql", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have one number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database has not had, each in a
// transaction of its own that first records it in schema_migrations: a
// replica opening the same database meanwhile waits on that row, then
// finds the migration done. It refuses a database migrated by a newer
// version of the runtime.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version bigint PRIMARY KEY,
		name    text NOT NULL,
		applied bigint NOT NULL
	)`
	if _, err := pool.Exec(ctx, create); err != nil {
		// Two processes creating it at once: one of them loses, and finds
		// it made.
		if _, err2 := pool.Exec(ctx, create); err2 != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
	}
	var newest int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("reading schema_migrations: %w", err)
	}
	if known := ms[len(ms)-1].version; newest > known {
		return fmt.Errorf("the database's schema is at version %d, newer than this runtime knows (%d): run a newer waymark", newest, known)
	}
	for _, m := range ms {
		if m.version <= newest {
			continue
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)
				ON CONFLICT (version) DO NOTHING`, m.version, m.name, time.Now().UnixNano())
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return errApplied
			}
			_, err = tx.Exec(ctx, m.sql)
			return err
		})
		if err != nil && !errors.Is(err, errApplied) {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return fillPartitions(ctx, pool)
}

var errApplied = errors.New("applied by another process")

// fillPartitions makes the row of every partition in the tables that have
// one per partition, and of store.AnalyticsLease in leases.
func fillPartitions(ctx context.Context, pool *pgxpool.Pool) error {
	for _, q := range []string{
		`INSERT INTO leases (part, owner, epoch, expires) SELECT p, '', 0, 0 FROM generate_series(0, $1::int) AS p ON CONFLICT (part) DO NOTHING`,
		`INSERT INTO cursors (part, seq, clock, arrival_clock) SELECT p, 0, 0, 0 FROM generate_series(0, $1::int - 1) AS p ON CONFLICT (part) DO NOTHING`,
		`INSERT INTO fact_heads (part, seq, up_to) SELECT p, 0, 0 FROM generate_series(0, $1::int - 1) AS p ON CONFLICT (part) DO NOTHING`,
	} {
		if _, err := pool.Exec(ctx, q, store.Partitions); err != nil {
			return fmt.Errorf("filling the partitions: %w", err)
		}
	}
	return nil
}
