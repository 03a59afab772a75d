package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/pgstore"
	"github.com/waymarkhq/waymark/runtime/store/storetest"
)

// query runs a query that returns one integer, on the database at dsn.
func queryInt(t *testing.T, dsn, q string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int64
	if err := c.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Replicas starting at once on an empty database migrate it once.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pg.Server(t).DB(t) // empty, not a copy of the migrated template
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM schema_migrations`); n != int64(len(files)) {
		t.Fatalf("%d migrations recorded, want %d (each once)", n, len(files))
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM leases`); n != store.Partitions+1 {
		t.Fatalf("%d leases, want %d (the partitions' and the analytics lease)", n, store.Partitions+1)
	}
}

// A database migrated by a newer runtime is refused, not misread.
func TestMigrateNewer(t *testing.T) {
	dsn := pg.DB(t)
	queryInt(t, dsn, `INSERT INTO schema_migrations (version, name, applied) VALUES (9999, '9999_future', 0) RETURNING version`)
	_, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this runtime knows") {
		t.Fatalf("opening a database of a newer schema: %v", err)
	}
}

// A connection string that does not parse is refused without repeating
// it: it may hold a password.
func TestOpenBadDSN(t *testing.T) {
	_, err := pgstore.Open(context.Background(), "postgres://user:s3cret@[::1/db?sslmode=nonsense", pgstore.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("opening with a malformed connection string: %v", err)
	}
	// And one whose server refuses: neither.
	_, err = pgstore.Open(context.Background(), "postgres://user:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", pgstore.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("opening a database that is not there: %v", err)
	}
}

// The ids past the deduplication window are forgotten: the table that
// holds them does not grow for ever.
func TestPruneIDs(t *testing.T) {
	ctx := context.Background()
	dsn := pg.DB(t)
	clock := storetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	s := open(t, dsn, clock.Now)
	defer s.Close()
	for _, id := range []string{"a", "b"} {
		if _, err := s.Append(ctx, []store.LogRecord{{Partition: 1, ID: id, Arrival: clock.Now()}}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(2 * storetest.Window)
	if _, err := s.Append(ctx, []store.LogRecord{{Partition: 1, ID: "c", Arrival: clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	// The committer prunes after it commits, so after Append returns.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := queryInt(t, dsn, `SELECT count(*) FROM log_ids`)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ids kept, want 1 (c's)", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM log_ids WHERE id = $1`, []byte("c")); n != 1 {
		t.Fatal("the id inside the window was pruned")
	}
}

// A database written by a runtime of schema version 2 (a row per fact,
// customers keyed by id) reads the same after this one migrates it, and
// takes new facts and customers.
func TestMigrateFromVersion2(t *testing.T) {
	ctx := context.Background()
	dsn := pg.Server(t).DB(t) // empty
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL)`)
	for v, name := range []string{"0001_initial", "0002_customer_keys"} {
		sql, err := os.ReadFile(filepath.Join("migrations", name+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		exec(string(sql))
		exec(`INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, 0)`, v+1, name)
	}
	// As version 2 wrote them: facts 1 and 2 of partition 3, a customer.
	exec(`INSERT INTO fact_heads (part, seq, up_to) VALUES (3, 2, 0)`)
	exec(`INSERT INTO facts (part, seq, data) VALUES (3, 1, 'a'::bytea), (3, 2, 'b'::bytea)`)
	exec(`INSERT INTO customers (id, part, due, data) VALUES ($1, $2, NULL, 'old'::bytea)`, []byte("c-1"), store.PartitionOf("c-1"))

	s, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Commit(ctx, store.Commit{
		Facts:     []store.Fact{{Partition: 3, Data: []byte("c")}, {Partition: 3, Data: []byte("d")}},
		Customers: []store.Customer{{ID: "c-2", Partition: store.PartitionOf("c-2"), Data: []byte("new")}},
	}); err != nil {
		t.Fatal(err)
	}
	facts, err := s.Facts(ctx, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range facts {
		got = append(got, fmt.Sprintf("%d/%d:%s", f.Partition, f.Seq, f.Data))
	}
	if want := "3/1:a 3/2:b 3/3:c 3/4:d"; strings.Join(got, " ") != want {
		t.Errorf("facts %q, want %q", strings.Join(got, " "), want)
	}
	cs, err := s.CustomersByID(ctx, []string{"c-1", "c-2", "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, cu := range cs {
		got = append(got, cu.ID+":"+string(cu.Data))
	}
	slices.Sort(got)
	if want := "c-1:old c-2:new"; strings.Join(got, " ") != want {
		t.Errorf("customers %q, want %q", strings.Join(got, " "), want)
	}
}
