package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestKeysOnDisk: with room for one key in memory, every key is read back
// from the disk, also after a reopen; a deleted key's slot is zeroed in
// the file and reused by the next key, so the file does not grow.
func TestKeysOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{KeyCache: 1})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{}
	for i := range 100 {
		keys[fmt.Sprintf("%064x", i)] = []byte(fmt.Sprintf("<key of customer %d>", i))
	}
	if _, err := s.AddCustomerKeys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store, want map[string][]byte) {
		t.Helper()
		refs := []string{"absent"}
		for r := range keys {
			refs = append(refs, r)
		}
		got, err := s.CustomerKeys(ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d keys read, want %d", len(got), len(want))
		}
		for r, v := range want {
			if !bytes.Equal(got[r], v) {
				t.Fatalf("key %s: %q, want %q", r, got[r], v)
			}
		}
		if n := s.keys.cache.Len(); n > 1 {
			t.Fatalf("%d keys in memory, at most 1", n)
		}
	}
	check(s, keys)
	gone := fmt.Sprintf("%064x", 7)
	if err := s.DeleteCustomerKey(ctx, gone); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, keys[gone]) {
		t.Fatal("the deleted key is still in the key file")
	}
	want := map[string][]byte{}
	for r, v := range keys {
		if r != gone {
			want[r] = v
		}
	}
	s.Close()
	if s, err = Open(dir, Options{KeyCache: 1}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s, want)
	if _, err := s.AddCustomerKeys(ctx, map[string][]byte{"new": []byte("new key")}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(len(file)) {
		t.Fatalf("the key file grew from %d to %d bytes: the freed slot was not reused", len(file), fi.Size())
	}
}

// TestKeyFileIndexed: a key file written before the index (slots only)
// is indexed at open, its zeroed slots free for reuse.
func TestKeyFileIndexed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var file []byte
	for _, ref := range []string{"a", "", "b"} { // slot 1 zeroed: a deleted key
		var s [slotSize]byte
		if ref != "" {
			key := "key " + ref
			s[0], s[1] = 1, byte(len(ref))
			binary.BigEndian.PutUint16(s[2:4], uint16(len(key)))
			copy(s[4:], ref)
			copy(s[4+len(ref):], key)
		}
		file = append(file, s[:]...)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFileName), file, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.CustomerKeys(ctx, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if string(got["a"]) != "key a" || string(got["b"]) != "key b" || len(got) != 2 {
		t.Fatalf("keys of an old file: %q", got)
	}
	if _, err := s.AddCustomerKeys(ctx, map[string][]byte{"c": []byte("key c")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != len(file) || !bytes.Contains(b[slotSize:2*slotSize], []byte("key c")) {
		t.Fatalf("c was not put in the free slot 1 (file of %d bytes)", len(b))
	}
}

// TestKeyDeletionInterrupted: a deletion that zeroed the slot but did not
// update the index (a crash between the two) reads as no key, and the ref
// added again takes its old slot.
func TestKeyDeletionInterrupted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCustomerKeys(ctx, map[string][]byte{"a": []byte("key a"), "b": []byte("key b")}); err != nil {
		t.Fatal(err)
	}
	var slot uint64
	err = s.db.View(func(tx *bolt.Tx) error {
		slot = binary.BigEndian.Uint64(tx.Bucket(bKeySlots).Get(refKey("a")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(filepath.Join(dir, KeyFileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var zero [slotSize]byte
	if _, err := f.WriteAt(zero[:], int64(slot)*slotSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.CustomerKeys(ctx, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["a"]; ok || string(got["b"]) != "key b" {
		t.Fatalf("after an interrupted deletion of a: %q", got)
	}
	got, err = s.AddCustomerKeys(ctx, map[string][]byte{"a": []byte("new a")})
	if err != nil || string(got["a"]) != "new a" {
		t.Fatalf("a added again: %q %v", got, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 2*slotSize || !bytes.Contains(b[slot*slotSize:(slot+1)*slotSize], []byte("new a")) {
		t.Fatalf("a was not put back in its slot %d (file of %d bytes)", slot, len(b))
	}
	if err := s.DeleteCustomerKey(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CustomerKeys(ctx, []string{"a"}); len(got) != 0 {
		t.Fatalf("a after its deletion: %q", got)
	}
}
