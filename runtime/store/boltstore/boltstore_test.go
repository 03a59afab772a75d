package boltstore_test

import (
	"strings"
	"testing"
	"time"

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
