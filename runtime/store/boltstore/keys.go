package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/internal/lru"
)

// KeyFileName is the file in the data directory that holds the customer
// keys.
const KeyFileName = "customer-keys"

// The customer keys are not in the database: bbolt writes every change to
// a fresh page and leaves the old one as it was until it reuses it, so a
// deleted key would stay readable in the file for a while. They are in a
// file of fixed slots, each overwritten in place with zeros when its key
// is deleted, then synced: on a file system that writes in place (ext4,
// XFS), the key is gone from the disk when DeleteCustomerKey returns.
//
// A slot is slotSize bytes: 1 (in use), the ref's length (1 byte), the
// key's length (2 bytes, big-endian), the ref, the key, zeros.
//
// Which slot holds a ref's key is in the database (bKeySlots, ref: slot),
// with the slots free for reuse (bKeyFree), so that neither the file nor
// its index is held in memory: a read looks the slot up and reads it, and
// the store keeps only the most recently used keys (Options.KeyCache). A
// slot is written and synced before the index names it, and zeroed and
// synced before the index forgets it, so a crash between the two leaves
// at worst a slot that no ref names (reused if it was free) or a ref
// naming a zeroed slot (read as no key); a slot's own ref is checked on
// every read.
const slotSize = 256

var (
	bKeySlots = []byte("customer_key_slots") // ref (refKey) -> slot (8 bytes)
	bKeyFree  = []byte("customer_key_free")  // slot (8 bytes) -> nothing
	kKeysIdx  = []byte("customer_keys_indexed")
)

type keyFile struct {
	db *bolt.DB

	mu    sync.Mutex
	f     *os.File
	n     int64                      // slots in the file
	cache *lru.Cache[string, []byte] // ref: key, the most recently used
}

func openKeyFile(db *bolt.DB, path string, cache int) (*keyFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the customer keys: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening the customer keys: %w", err)
	}
	k := &keyFile{db: db, f: f, n: fi.Size() / slotSize, cache: lru.New[string, []byte](cache)} // a torn last slot is ignored, then overwritten
	if err := k.index(path); err != nil {
		f.Close()
		return nil, err
	}
	return k, nil
}

// index creates the index of a key file written before there was one,
// reading the file once, a slot at a time.
func (k *keyFile) index(path string) error {
	return k.db.Update(func(tx *bolt.Tx) error {
		slots, err := tx.CreateBucketIfNotExists(bKeySlots)
		if err != nil {
			return err
		}
		free, err := tx.CreateBucketIfNotExists(bKeyFree)
		if err != nil {
			return err
		}
		meta := tx.Bucket(bMeta)
		if meta.Get(kKeysIdx) != nil {
			return nil
		}
		r := io.NewSectionReader(k.f, 0, k.n*slotSize)
		var s [slotSize]byte
		for i := int64(0); i < k.n; i++ {
			if _, err := io.ReadFull(r, s[:]); err != nil {
				return fmt.Errorf("reading %s: %w", path, err)
			}
			if s[0] != 1 {
				if err := free.Put(u64(uint64(i)), nil); err != nil {
					return err
				}
				continue
			}
			ref, _, ok := parseSlot(s[:])
			if !ok {
				return fmt.Errorf("%s: slot %d is corrupt", path, i)
			}
			if err := slots.Put(refKey(ref), u64(uint64(i))); err != nil {
				return err
			}
		}
		return meta.Put(kKeysIdx, u64(1))
	})
}

// parseSlot returns the ref and key of a slot in use.
func parseSlot(s []byte) (string, []byte, bool) {
	if s[0] != 1 {
		return "", nil, false
	}
	rl, kl := int(s[1]), int(binary.BigEndian.Uint16(s[2:4]))
	if 4+rl+kl > slotSize {
		return "", nil, false
	}
	return string(s[4 : 4+rl]), s[4+rl : 4+rl+kl], true
}

// refKey is the index's key for ref: the bytes of a ref in hex (as the
// runtime's are, digests), else the ref itself.
func refKey(ref string) []byte {
	if len(ref) == 64 {
		var b [33]byte
		if _, err := hex.Decode(b[1:], []byte(ref)); err == nil && hex.EncodeToString(b[1:]) == ref {
			return b[:]
		}
	}
	return append([]byte{1}, ref...)
}

func (k *keyFile) close() error { return k.f.Close() }

// read reads the key of ref from slot i; nil when the slot holds no key
// of ref.
func (k *keyFile) read(ref string, i uint64) ([]byte, error) {
	var s [slotSize]byte
	if _, err := k.f.ReadAt(s[:], int64(i)*slotSize); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading customer keys: %w", err)
	}
	r, key, ok := parseSlot(s[:])
	if !ok || r != ref {
		return nil, nil
	}
	return bytes.Clone(key), nil
}

// lookup returns the keys of refs not cached, and their slots, as the
// store holds them; k.mu is held.
func (k *keyFile) lookup(refs []string) (map[string][]byte, map[string]uint64, error) {
	keys, slots := make(map[string][]byte, len(refs)), make(map[string]uint64, len(refs))
	// In the order of the index's keys with one cursor, then of the
	// slots: refs are digests, so neighbours in a batch are far apart
	// otherwise, and each Get would walk the tree from its root.
	type slotted struct {
		ref  string
		key  []byte
		slot uint64
	}
	order := make([]slotted, len(refs))
	for i, r := range refs {
		order[i] = slotted{ref: r, key: refKey(r)}
	}
	slices.SortFunc(order, func(a, b slotted) int { return bytes.Compare(a.key, b.key) })
	found := order[:0]
	err := k.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bKeySlots).Cursor()
		for _, o := range order {
			if ck, v := c.Seek(o.key); bytes.Equal(ck, o.key) && len(v) == 8 {
				o.slot = binary.BigEndian.Uint64(v)
				slots[o.ref] = o.slot
				found = append(found, o)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading customer keys: %w", err)
	}
	slices.SortFunc(found, func(a, b slotted) int { return cmp.Compare(a.slot, b.slot) })
	for _, o := range found {
		key, err := k.read(o.ref, o.slot)
		if err != nil {
			return nil, nil, err
		}
		if key != nil {
			keys[o.ref] = key
			k.cache.Add(o.ref, key)
		}
	}
	return keys, slots, nil
}

// CustomerKeys implements store.CustomerKeys.
func (s *Store) CustomerKeys(ctx context.Context, refs []string) (map[string][]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	k := s.keys
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string][]byte, len(refs))
	var miss []string
	for _, r := range refs {
		if v, ok := k.cache.Get(r); ok {
			out[r] = bytes.Clone(v)
		} else {
			miss = append(miss, r)
		}
	}
	if len(miss) > 0 {
		found, _, err := k.lookup(miss)
		if err != nil {
			return nil, err
		}
		for r, v := range found {
			out[r] = bytes.Clone(v)
		}
	}
	return out, nil
}

// AddCustomerKeys implements store.CustomerKeys.
func (s *Store) AddCustomerKeys(ctx context.Context, keys map[string][]byte) (map[string][]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	k := s.keys
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string][]byte, len(keys))
	var miss []string
	for r, v := range keys {
		if 4+len(r)+len(v) > slotSize || len(r) > 255 {
			return nil, errors.New("a customer key or its ref is too long for its slot")
		}
		if old, ok := k.cache.Get(r); ok {
			out[r] = bytes.Clone(old)
		} else {
			miss = append(miss, r)
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	found, slots, err := k.lookup(miss)
	if err != nil {
		return nil, fmt.Errorf("adding customer keys: %w", err)
	}
	// Slots for the new keys: a ref's own slot if the index still names
	// one (zeroed by a deletion the index did not record), else a free
	// one, else a new one at the end.
	var freed []uint64
	err = k.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bKeyFree).Cursor()
		need := len(miss) - len(found)
		for key, _ := c.First(); key != nil && len(freed) < need; key, _ = c.Next() {
			freed = append(freed, binary.BigEndian.Uint64(key))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adding customer keys: %w", err)
	}
	placed := map[string]uint64{}
	n := k.n
	for _, r := range miss {
		if v, ok := found[r]; ok {
			out[r] = bytes.Clone(v)
			continue
		}
		i, ok := slots[r]
		switch {
		case ok:
		case len(freed) > 0:
			i, freed = freed[0], freed[1:]
		default:
			i = uint64(n)
			n++
		}
		v := keys[r]
		var b [slotSize]byte
		b[0], b[1] = 1, byte(len(r))
		binary.BigEndian.PutUint16(b[2:4], uint16(len(v)))
		copy(b[4:], r)
		copy(b[4+len(r):], v)
		if _, err := k.f.WriteAt(b[:], int64(i)*slotSize); err != nil {
			return nil, fmt.Errorf("adding customer keys: %w", err)
		}
		placed[r] = i
	}
	if len(placed) == 0 {
		return out, nil
	}
	if err := k.f.Sync(); err != nil {
		return nil, fmt.Errorf("adding customer keys: %w", err)
	}
	k.n = n
	err = k.db.Update(func(tx *bolt.Tx) error {
		idx, free := tx.Bucket(bKeySlots), tx.Bucket(bKeyFree)
		for r, i := range placed {
			if err := idx.Put(refKey(r), u64(i)); err != nil {
				return err
			}
			if err := free.Delete(u64(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adding customer keys: %w", err)
	}
	for r := range placed {
		v := bytes.Clone(keys[r])
		k.cache.Add(r, v)
		out[r] = bytes.Clone(v)
	}
	return out, nil
}

// DeleteCustomerKey implements store.CustomerKeys: the key's slot is
// overwritten with zeros and synced before it returns.
func (s *Store) DeleteCustomerKey(ctx context.Context, ref string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k := s.keys
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cache.Remove(ref)
	var slot []byte
	err := k.db.View(func(tx *bolt.Tx) error {
		slot = bytes.Clone(tx.Bucket(bKeySlots).Get(refKey(ref)))
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting a customer key: %w", err)
	}
	if len(slot) != 8 {
		return nil
	}
	i := binary.BigEndian.Uint64(slot)
	var s0 [slotSize]byte
	if _, err := k.f.ReadAt(s0[:], int64(i)*slotSize); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("deleting a customer key: %w", err)
	}
	r, _, inUse := parseSlot(s0[:])
	switch {
	case inUse && r == ref:
		var zero [slotSize]byte
		if _, err := k.f.WriteAt(zero[:], int64(i)*slotSize); err != nil {
			return fmt.Errorf("deleting a customer key: %w", err)
		}
		if err := k.f.Sync(); err != nil {
			return fmt.Errorf("deleting a customer key: %w", err)
		}
	case inUse:
		slot = nil // another ref's key: the slot is not free
	}
	err = k.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bKeySlots).Delete(refKey(ref)); err != nil || slot == nil {
			return err
		}
		return tx.Bucket(bKeyFree).Put(slot, nil)
	})
	if err != nil {
		return fmt.Errorf("deleting a customer key: %w", err)
	}
	return nil
}
