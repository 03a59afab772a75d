-- The first schema of the PostgreSQL store. Times are unix nanoseconds
-- (0 for none), ids and keys bytea so that they order bytewise whatever the
-- database's collation, partitions `part` (PARTITION is a keyword in some
-- dialects). The tables with a row per partition (leases, cursors,
-- fact_heads) are filled at open, so that their writers only update.

-- The head of the event log: one row, locked by every append for the
-- length of its transaction, so that sequence numbers follow commit order.
CREATE TABLE log_head (
	id            int PRIMARY KEY CHECK (id = 1),
	seq           bigint NOT NULL,
	clock         bigint NOT NULL,
	arrival_clock bigint NOT NULL
);
INSERT INTO log_head (id, seq, clock, arrival_clock) VALUES (1, 0, 0, 0);

-- Keyed by partition first: readers read partitions, and a store on
-- CockroachDB spreads the appends over ranges rather than one hot one.
CREATE TABLE log (
	part          int NOT NULL,
	seq           bigint NOT NULL,
	id            bytea,
	arrival       bigint NOT NULL,
	time          bigint NOT NULL,
	clock         bigint NOT NULL,
	arrival_clock bigint NOT NULL,
	data          bytea NOT NULL,
	PRIMARY KEY (part, seq)
);
-- For the reads of many partitions, which scan the log in order of seq.
CREATE INDEX log_seq ON log (seq);

-- The ids appended within the deduplication window, with their arrival.
CREATE TABLE log_ids (
	id      bytea PRIMARY KEY,
	arrival bigint NOT NULL
);
CREATE INDEX log_ids_arrival ON log_ids (arrival);

CREATE TABLE stacks (
	stack  text PRIMARY KEY,
	serial bigint NOT NULL
);

CREATE TABLE deployments (
	stack    text NOT NULL,
	serial   bigint NOT NULL,
	time     bigint NOT NULL,
	who      text NOT NULL,
	digest   text NOT NULL,
	summary  text NOT NULL,
	document bytea NOT NULL,
	seq      bigint NOT NULL,
	PRIMARY KEY (stack, serial)
);

CREATE TABLE tokens (
	name    text PRIMARY KEY,
	hash    bytea NOT NULL UNIQUE,
	scopes  text[] NOT NULL,
	created bigint NOT NULL
);

-- Counters numbered in commit order: each is a row its writers lock.
CREATE TABLE counters (
	name text PRIMARY KEY,
	n    bigint NOT NULL
);
INSERT INTO counters (name, n) VALUES ('audit', 0);

CREATE TABLE audit (
	seq     bigint PRIMARY KEY,
	time    bigint NOT NULL,
	who     text NOT NULL,
	what    text NOT NULL,
	subject text NOT NULL
);

CREATE TABLE members (
	name    text PRIMARY KEY,
	expires bigint NOT NULL
);

CREATE TABLE leases (
	part    int PRIMARY KEY,
	owner   text NOT NULL,
	epoch   bigint NOT NULL,
	expires bigint NOT NULL
);

CREATE TABLE cursors (
	part          int PRIMARY KEY,
	seq           bigint NOT NULL,
	clock         bigint NOT NULL,
	arrival_clock bigint NOT NULL
);

-- due is NULL for a customer without timers.
CREATE TABLE customers (
	id   bytea PRIMARY KEY,
	part int NOT NULL,
	due  bigint,
	data bytea NOT NULL
);
CREATE INDEX customers_part_id ON customers (part, id);
CREATE INDEX customers_timers ON customers (part, due, id) WHERE due IS NOT NULL;

CREATE TABLE counts (
	part int NOT NULL,
	key  bytea NOT NULL,
	n    bigint NOT NULL,
	PRIMARY KEY (part, key)
);

CREATE TABLE models (
	part int NOT NULL,
	key  bytea NOT NULL,
	data bytea NOT NULL,
	PRIMARY KEY (part, key)
);

-- The last fact number of each partition, locked by each writer of facts
-- of the partition; up_to is where the analytics snapshot holds them up to.
CREATE TABLE fact_heads (
	part  int PRIMARY KEY,
	seq   bigint NOT NULL,
	up_to bigint NOT NULL
);

CREATE TABLE facts (
	part int NOT NULL,
	seq  bigint NOT NULL,
	data bytea NOT NULL,
	PRIMARY KEY (part, seq)
);

CREATE TABLE analytics (
	id   int PRIMARY KEY CHECK (id = 1),
	data bytea NOT NULL
);

CREATE TABLE decisions (
	id       bytea PRIMARY KEY,
	customer bytea NOT NULL,
	time     bigint NOT NULL,
	data     bytea NOT NULL
);
CREATE INDEX decisions_customer ON decisions (customer, id);
CREATE INDEX decisions_time ON decisions (time);

CREATE TABLE deliveries (
	id            bytea PRIMARY KEY,
	customer      bytea NOT NULL,
	state         text NOT NULL,
	updated       bigint NOT NULL,
	due           bigint NOT NULL,
	claim         text NOT NULL,
	claimed_until bigint NOT NULL,
	data          bytea NOT NULL
);
CREATE INDEX deliveries_state_id ON deliveries (state, id);
CREATE INDEX deliveries_due ON deliveries (due, id) WHERE state = 'pending';
CREATE INDEX deliveries_customer ON deliveries (customer);
CREATE INDEX deliveries_updated ON deliveries (updated) WHERE state IN ('delivered', 'cancelled');
