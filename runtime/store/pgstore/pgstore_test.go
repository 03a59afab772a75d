package pgstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/pgstore"
	"github.com/waymarkhq/waymark/runtime/store/pgstore/pgtest"
	"github.com/waymarkhq/waymark/runtime/store/storetest"
)

// pg's databases are copies of one the store has migrated: migrating
// takes a while, with an fsync for each index it creates.
var pg = pgtest.Shared{Template: func(ctx context.Context, dsn string) error {
	s, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		return err
	}
	return s.Close()
}}

func TestMain(m *testing.M) { pg.Main(m) }

// open opens a store on dsn with the suite's window and clock.
func open(t testing.TB, dsn string, now func() time.Time) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{DedupWindow: storetest.Window, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	dsns := map[store.Store]string{}
	opened := func(t *testing.T, dsn string, now func() time.Time) store.Store {
		s := open(t, dsn, now)
		mu.Lock()
		dsns[s] = dsn
		mu.Unlock()
		return s
	}
	dsnOf := func(s store.Store) string {
		mu.Lock()
		defer mu.Unlock()
		return dsns[s]
	}
	storetest.Run(t, storetest.Opener{
		Open: func(t *testing.T, now func() time.Time) store.Store { return opened(t, pg.DB(t), now) },
		Reopen: func(t *testing.T, s store.Store, now func() time.Time) store.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return opened(t, dsnOf(s), now)
		},
		Share: func(t *testing.T, s store.Store, now func() time.Time) store.Store {
			return opened(t, dsnOf(s), now)
		},
	})
}
