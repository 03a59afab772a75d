package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Options configure a Store.
type Options struct {
	// DedupWindow is how long an event id deduplicates (default 7 days).
	DedupWindow time.Duration
	// Now is the wall clock (default time.Now), for the deduplication
	// window, leases and heartbeats. Replicas sharing a database must
	// agree on it to well within a lease's time to live.
	Now func() time.Time
	// MaxGroup caps the records that one group commit writes (default
	// 20,000).
	MaxGroup int
	// Committers is how many group commits of appends may be in flight
	// at once (default 2): while one holds the log's head, writing and
	// flushing, the next gathers its group and claims its ids.
	Committers int
	// MaxConns caps the connections to the database (default 16).
	MaxConns int32
}

// Store is the PostgreSQL store.Store.
type Store struct {
	pool *pgxpool.Pool
	opts Options

	closeMu sync.RWMutex // held for reading by calls in flight
	closed  bool

	appends    chan *appendReq
	turn       chan struct{} // held by the committer gathering a group
	stop       chan struct{}
	committers sync.WaitGroup
	lastPrune  atomic.Int64 // when the ids were last pruned, unix nanoseconds
	// seen is the highest head of the log a Read returned or an append
	// committed here: what a read's choice of statement estimates the
	// records past its positions from.
	seen atomic.Uint64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// connection string), brings its schema up to date and returns the store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 20000
	}
	if opts.Committers <= 0 {
		opts.Committers = 2
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	opts.MaxConns = max(opts.MaxConns, int32(opts.Committers)+2)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the connection string, password and all.
		return nil, errors.New("pgstore: the connection string does not parse")
	}
	cfg.MaxConns = opts.MaxConns
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		useByteaArrayCodec(c)
		for _, set := range []string{
			// A commit returns once it is flushed, and only then is it
			// seen, whatever the database's default says.
			"SET synchronous_commit = on",
			// Compiling a query costs more than running any of the
			// store's.
			"SET jit = off",
		} {
			// A database without the setting (CockroachDB) has its own
			// way, or none.
			if _, err := c.Exec(ctx, set); err != nil && !undefinedSetting(err) {
				return err
			}
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	s := &Store{
		pool: pool, opts: opts,
		appends: make(chan *appendReq, 1024),
		turn:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
	}
	s.turn <- struct{}{}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s.committers.Add(opts.Committers)
	for range opts.Committers {
		go s.commitLoop()
	}
	return s, nil
}

// Close implements store.Store: it waits for the calls in flight, then
// closes the connections.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.stop)
	s.committers.Wait()
	s.pool.Close()
	return nil
}

func (s *Store) enter() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.closeMu.RUnlock() }

// tx runs fn in a transaction, again when the database asks for a retry
// (a serialization failure or a deadlock), so fn must start afresh each
// time.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, fn)
		if err == nil || attempt == 10 || !retryable(err) || ctx.Err() != nil {
			return err
		}
		wait := time.Duration(attempt) * time.Duration(1+rand.IntN(5)) * time.Millisecond
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

func undefinedSetting(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42704"
}

func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// nanos is how times are stored: unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the time stored as n.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// bytesOf is a string as bytea; never nil, so that it is never NULL.
func bytesOf(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// orEmpty is b, or an empty slice for nil: never NULL.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// checkPartition refuses a partition out of [0, store.Partitions).
func checkPartition(what string, p int) error {
	if p < 0 || p >= store.Partitions {
		return fmt.Errorf("%s: partition %d out of range [0, %d)", what, p, store.Partitions)
	}
	return nil
}
