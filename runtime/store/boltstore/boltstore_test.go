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
	storetest.Run(t, storetest.Opener{
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

// TestFormat checks that a file of the layout before partitions, whose
// records name no partition, is refused rather than misread, and that an
// empty one is taken.
func TestFormat(t *testing.T) {
	tests := []struct {
		name    string
		buckets map[string][]byte // bucket -> one value under key 1
		err     string
	}{
		{"a log without partitions", map[string][]byte{"log": []byte("old record"), "meta": nil}, "earlier format"},
		{"customers without partitions", map[string][]byte{"customers": []byte("old customer")}, "earlier format"},
		{"a later format", map[string][]byte{"meta": nil, "format": {0, 0, 0, 0, 0, 0, 0, 9}}, "later format"},
		{"empty buckets", map[string][]byte{"log": nil, "customers": nil}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := bolt.Open(filepath.Join(dir, boltstore.FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				for name, v := range tt.buckets {
					if name == "format" {
						continue
					}
					b, err := tx.CreateBucketIfNotExists([]byte(name))
					if err != nil {
						return err
					}
					if v != nil {
						if err := b.Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, v); err != nil {
							return err
						}
					}
				}
				if f, ok := tt.buckets["format"]; ok {
					return tx.Bucket([]byte("meta")).Put([]byte("format"), f)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			s, err := boltstore.Open(dir, boltstore.Options{})
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("opened; want an error about the %s", tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("got %v, want an error about the %s", err, tt.err)
			}
		})
	}
}
