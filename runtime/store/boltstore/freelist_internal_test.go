package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// TestFreelistAtClose: a store closed cleanly leaves its free-list in the
// file for the next open to read; the file stays consistent (every page
// either reachable or free, once) through a reopen, more commits, and a
// crash after them (a copy of the file taken while it ran).
func TestFreelistAtClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fill := func(s *Store, round int) {
		t.Helper()
		var recs []store.LogRecord
		for i := range 2000 {
			recs = append(recs, store.LogRecord{Partition: i % 5, ID: fmt.Sprintf("r%d-%d", round, i), Arrival: time.Now(), Data: make([]byte, 200)})
		}
		if _, err := s.Append(ctx, recs); err != nil {
			t.Fatal(err)
		}
		keys := map[string][]byte{}
		for i := range 500 {
			keys[fmt.Sprintf("k%d-%d", round, i)] = []byte("key")
		}
		if _, err := s.AddCustomerKeys(ctx, keys); err != nil {
			t.Fatal(err)
		}
		for i := range 250 {
			if err := s.DeleteCustomerKey(ctx, fmt.Sprintf("k%d-%d", round, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(db *bolt.DB) {
		t.Helper()
		err := db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatalf("the file is inconsistent: %v", err)
		}
	}
	// synced checks the file and reports whether its meta page (the one
	// of the later transaction) names a free-list page.
	synced := func(path string) bool {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		check(db)
		db.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// A meta page: a 16-byte page header, magic, version, page size,
		// flags, the root bucket (16 bytes), the free-list's page, the
		// high page, the transaction id.
		size := int(binary.LittleEndian.Uint32(b[24:]))
		var freelist, txid uint64
		for _, off := range []int{0, size} {
			if id := binary.LittleEndian.Uint64(b[off+64:]); id >= txid {
				freelist, txid = binary.LittleEndian.Uint64(b[off+48:]), id
			}
		}
		return freelist != ^uint64(0)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(s, 0)
	s.Close()
	if !synced(filepath.Join(dir, FileName)) {
		t.Fatal("no free-list in the file after a clean close")
	}
	for round := 1; round <= 3; round++ {
		if s, err = Open(dir, Options{}); err != nil {
			t.Fatal(err)
		}
		fill(s, round)
		check(s.db)
		if round == 3 {
			b, err := os.ReadFile(filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			crashed := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(crashed, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if synced(crashed) {
				t.Fatal("a free-list in the file after commits that did not write it")
			}
		}
		s.Close()
	}
}
