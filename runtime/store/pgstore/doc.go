// Package pgstore is the runtime's store in PostgreSQL, shared by every
// replica of the runtime that is given the same database (`runtime serve
// -store postgres://...`). It implements every seam of package store and
// passes storetest; it knows SQL and the store contract, nothing of how
// the engine encodes what it keeps.
//
// Design notes.
//
// Portability. The SQL keeps to what PostgreSQL and CockroachDB both run:
// INSERT ... ON CONFLICT, UPDATE ... FROM unnest(...) (WITH ORDINALITY),
// DELETE ... USING, SELECT ... FOR UPDATE / FOR SHARE / SKIP LOCKED in a
// CTE, CROSS JOIN LATERAL with LIMIT, array subscripts, partial indexes,
// bigint, bytea and text[], binary COPY FROM inside a transaction, and in
// migrations ALTER TABLE ... ADD COLUMN and DROP CONSTRAINT with ADD
// CONSTRAINT ... PRIMARY KEY in one statement (CockroachDB changes a
// primary key only so, or with ALTER PRIMARY KEY). No LISTEN/NOTIFY,
// advisory locks, sequences or snapshot functions. Transactions the
// database aborts with a serialization failure or a deadlock are retried
// (Store.tx), as CockroachDB requires. Only PostgreSQL is tested (there is no
// CockroachDB on this machine's package registries).
//
// Encoding. Times are bigint unix nanoseconds, 0 for the zero time, so
// that they round-trip exactly (timestamptz keeps microseconds). Ids and
// keys that come from users (customers, events, decisions, deliveries,
// model and count keys) are bytea, which orders bytewise whatever the
// database's collation and holds any string; lists ordered by name
// (stacks, tokens, members) are sorted in Go.
//
// Commit order. Sequence numbers must follow commit order, across
// processes: a reader that has seen seq s never later finds a record
// below s. Each append's transaction locks the single log_head row
// (SELECT ... FOR UPDATE) before it numbers its records from it, and
// holds it until it commits, so appends number and commit one at a time
// and a later number always commits later. The same holds for facts,
// numbered per partition under the partition's fact_heads row, and for
// the audit log under its counters row. Rows of several partitions are
// locked in order of partition, so writers do not deadlock.
//
// Group commit. Append queues its records for the store's committers
// (Options.Committers, default 2), which write every append queued
// meanwhile (up to Options.MaxGroup records) in one transaction: first
// the ids within the deduplication window are claimed in log_ids (an
// upsert with a horizon, in sorted order so that two claims never
// deadlock), then the head is locked, the records are numbered and COPYed
// in, and the head written back. Committers take turns: the next one
// gathers its group once the one before holds the head, so groups stay as
// large as with one, and a group's claims overlap the previous group's
// writes and WAL flush. Replicas sharing the database queue on the head
// row. On this 2-core machine, shared with other work: 50k to 120k
// durable records/s from many writers (BenchmarkAppend), about 9 µs of
// the server's CPU and 4 µs of the client's a record.
//
// Reads. Read is one statement, so that the records and the head it
// returns come from one snapshot. A read of a few partitions, or of a
// replica's share (under half of them) not far behind, takes up to max
// records of each from its range of the log's key (part, seq) and keeps
// the first max; a read of more, or of partitions far behind, scans the
// index on seq from the lowest position, keeping the records each
// partition has not had (positions passed as an array indexed by
// partition). "Far behind" is estimated from the highest head the store
// has seen: more than max records past the positions, spread evenly. The
// first costs up to max records a partition, the second what it passes
// over: little for a replica holding every partition, twice what it
// returns for one holding a third, which is why a replica's share is read
// by partition (BenchmarkRead: 600k records/s catching up on every
// partition). A UNION ALL of per-partition ranges, which could merge them
// in order, is not planned as a Merge Append by PostgreSQL 15, and JIT
// compilation of such plans costs more than they do: the store turns JIT
// off on its connections.
//
// Lookups by a list of keys (customers, customer keys) are a LATERAL
// subquery with LIMIT 1 per key over unnest: key = ANY($1), or a join
// with unnest, was planned as a scan of the whole table while it was
// small (tens of thousands of rows), once per batch.
//
// Facts. A commit stores each partition's facts as one row, a run
// numbered first to seq, each fact prefixed by its length, rather than a
// row per fact (2.3 rows per event, each inserted, read and deleted).
// Rows from before (schema version 2) have no first and hold one fact.
// A snapshot deletes the runs it holds all of; a run it holds part of
// stays, and Facts skips the facts at or below the snapshot's position.
//
// Customers are keyed by (part, id): the partition follows from the id,
// so a lookup names both, and the index on (part, id) that the
// partition's reads used is the key itself, one index fewer to write per
// customer.
//
// Parameters. bytea[] parameters are encoded by the store's own codec
// (byteaArrayCodec) into a buffer grown once: pgx's grows its buffer,
// which starts small for every statement, element by element, and a
// commit's customers are megabytes.
//
// Fencing. Commit takes the named lease rows FOR SHARE and checks owner
// and epoch before writing, in the same transaction; AcquireLeases takes
// them FOR UPDATE, so a takeover waits for a commit in flight, and a
// commit after the takeover sees the new epoch and writes nothing.
// SaveAnalyticsSnapshot is fenced the same way by the analytics lease, a
// row of leases numbered store.AnalyticsLease (one past the partitions),
// which Leases leaves out. Both take the lease rows before the fact
// heads, so the two never deadlock.
//
// Migrations. migrations/NNNN_what.sql, embedded, are applied at Open in
// order, each in its own transaction that first inserts its row into
// schema_migrations: a second process migrating at once waits on that
// row and then skips the migration. A database at a newer version than
// the binary knows is refused.
//
// Clocks. Leases, heartbeats and the deduplication window use
// Options.Now, each replica's own clock: replicas must agree to well
// within a lease's time to live.
package pgstore
