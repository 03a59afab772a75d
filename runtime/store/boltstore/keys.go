package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
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
const slotSize = 256

type keyFile struct {
	mu   sync.Mutex
	f    *os.File
	slot map[string]int64 // ref: slot number
	keys map[string][]byte
	free []int64
	n    int64 // slots in the file
}

func openKeyFile(path string) (*keyFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the customer keys: %w", err)
	}
	k := &keyFile{f: f, slot: map[string]int64{}, keys: map[string][]byte{}}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	k.n = int64(len(b) / slotSize) // a torn last slot is ignored, then overwritten
	for i := int64(0); i < k.n; i++ {
		s := b[i*slotSize : (i+1)*slotSize]
		if s[0] != 1 {
			k.free = append(k.free, i)
			continue
		}
		rl, kl := int(s[1]), int(binary.BigEndian.Uint16(s[2:4]))
		if 4+rl+kl > slotSize {
			f.Close()
			return nil, fmt.Errorf("%s: slot %d is corrupt", path, i)
		}
		ref := string(s[4 : 4+rl])
		k.slot[ref] = i
		k.keys[ref] = bytes.Clone(s[4+rl : 4+rl+kl])
	}
	return k, nil
}

func (k *keyFile) close() error { return k.f.Close() }

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
	for _, r := range refs {
		if v, ok := k.keys[r]; ok {
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
	wrote := false
	for r, v := range keys {
		if old, ok := k.keys[r]; ok {
			out[r] = bytes.Clone(old)
			continue
		}
		if 4+len(r)+len(v) > slotSize || len(r) > 255 {
			return nil, errors.New("a customer key or its ref is too long for its slot")
		}
		i := k.n
		if len(k.free) > 0 {
			i, k.free = k.free[len(k.free)-1], k.free[:len(k.free)-1]
		} else {
			k.n++
		}
		var b [slotSize]byte
		b[0], b[1] = 1, byte(len(r))
		binary.BigEndian.PutUint16(b[2:4], uint16(len(v)))
		copy(b[4:], r)
		copy(b[4+len(r):], v)
		if _, err := k.f.WriteAt(b[:], i*slotSize); err != nil {
			return nil, fmt.Errorf("adding customer keys: %w", err)
		}
		k.slot[r], k.keys[r] = i, bytes.Clone(v)
		out[r] = bytes.Clone(v)
		wrote = true
	}
	if wrote {
		if err := k.f.Sync(); err != nil {
			return nil, fmt.Errorf("adding customer keys: %w", err)
		}
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
	i, ok := k.slot[ref]
	if !ok {
		return nil
	}
	var zero [slotSize]byte
	if _, err := k.f.WriteAt(zero[:], i*slotSize); err != nil {
		return fmt.Errorf("deleting a customer key: %w", err)
	}
	if err := k.f.Sync(); err != nil {
		return fmt.Errorf("deleting a customer key: %w", err)
	}
	delete(k.slot, ref)
	delete(k.keys, ref)
	k.free = append(k.free, i)
	return nil
}
