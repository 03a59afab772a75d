package pgtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var pg Shared

func TestMain(m *testing.M) { pg.Main(m) }

func query1(ctx context.Context, dsn string) (int, error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer c.Close(context.Background())
	var n int
	err = c.QueryRow(ctx, "SELECT 1").Scan(&n)
	return n, err
}

func TestSharedDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := pg.DB(t), pg.DB(t)
	if a == b {
		t.Fatalf("two databases with one DSN %q", a)
	}
	for _, dsn := range []string{a, b} {
		if n, err := query1(ctx, dsn); err != nil || n != 1 {
			t.Fatalf("SELECT 1 on %s: %d, %v", dsn, n, err)
		}
	}
	// Isolated: a table made in one is not in the other.
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE only_a (x int)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	if _, err := cb.Exec(ctx, "SELECT * FROM only_a"); err == nil {
		t.Fatal("a table of one database is seen from another")
	}
}

func TestServerSettings(t *testing.T) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	want := map[string]string{
		"fsync":              "on",
		"synchronous_commit": "on",
		"full_page_writes":   "on",
		"listen_addresses":   "127.0.0.1",
		"server_encoding":    "UTF8",
		"lc_collate":         "C",
	}
	for name, v := range want {
		var got string
		if err := c.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}

// A server of its own survives a kill with what it committed, and stops.
func TestKillRestart(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	s := Start(t)
	t.Logf("started in %v", time.Since(start))
	dsn := s.DB(t)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	// A backend notices its postmaster's death on its next wait: give it
	// a moment.
	for deadline := time.Now().Add(5 * time.Second); c.Ping(ctx) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a connection to a killed server still answers")
		}
	}
	c.Close(ctx)
	if _, err := query1(ctx, dsn); err == nil {
		t.Fatal("a killed server accepts connections")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	c, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var x int
	if err := c.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 42 {
		t.Fatalf("after the restart: %d, %v; want 42", x, err)
	}
	c.Close(ctx)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := query1(ctx, dsn); err == nil {
		t.Fatal("a stopped server accepts connections")
	}
}

func TestNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findBin("/nonexistent/*/bin/initdb")
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("findBin with no programs: %v, want ErrNotInstalled", err)
	}
}

func TestTemplate(t *testing.T) {
	ctx := context.Background()
	sh := Shared{Template: func(ctx context.Context, dsn string) error {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, "CREATE TABLE prepared (x int); INSERT INTO prepared VALUES (7)")
		return err
	}}
	defer func() {
		if err := sh.srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	a, b := sh.DB(t), sh.DB(t)
	for _, dsn := range []string{a, b} {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var x int
		if err := c.QueryRow(ctx, "SELECT x FROM prepared").Scan(&x); err != nil || x != 7 {
			t.Fatalf("a copy of the template: %d, %v", x, err)
		}
		// Copies, not one database: a change to one is not in the other.
		if _, err := c.Exec(ctx, "UPDATE prepared SET x = 8"); err != nil {
			t.Fatal(err)
		}
		c.Close(ctx)
	}
	if empty := sh.Server(t).DB(t); empty == a || empty == b {
		t.Fatal("Server.DB gave a copy's DSN")
	}
}
