package boltstore_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
	"github.com/waymarkhq/waymark/runtime/store/storetest"
)

func TestConformance(t *testing.T) {
	dirs := map[store.Store]string{}
	open := func(t *testing.T, dir string, now func() time.Time) store.Store {
		s, err := boltstore.Open(dir, boltstore.Options{DedupWindow: storetest.Window, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		dirs[s] = dir
		return s
	}
	storetest.Run(t, storetest.Factory{
		Open: func(t *testing.T, now func() time.Time) store.Store { return open(t, t.TempDir(), now) },
		Reopen: func(t *testing.T, s store.Store, now func() time.Time) store.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, dirs[s], now)
		},
	})
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = boltstore.Open(dir, boltstore.Options{})
	if err == nil || !strings.Contains(err.Error(), "another runtime is using this data directory") {
		t.Fatalf("opening a directory in use: %v", err)
	}
}

// TestDropsTransitions checks that a file from before facts loses the
// transitions bucket that nothing reads any more.
func TestDropsTransitions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, boltstore.FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("transitions"))
		if err != nil {
			return err
		}
		return b.Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte("old"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("transitions")) != nil {
			t.Error("the transitions bucket is still there")
		}
		if tx.Bucket([]byte("facts")) == nil {
			t.Error("no facts bucket")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
