package service

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/internal/lru"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Crypto-shredding of the event log. Each customer has a key of their own,
// made when their first event arrives and kept in the store
// (store.CustomerKeys) wrapped with the runtime's secret key, under a
// digest of their id. Every event is appended sealed with its customer's
// key; erasure destroys the key, so their events, wherever the log, the
// store's files or a backup still hold them, can no longer be read. See
// docs/runtime-storage.md for why this rather than compacting the log.
//
// A sealed payload is engine.TagSealed, the 32-byte ref, the 8-byte key id
// and the AES-GCM nonce and ciphertext of the plain payload. The key id
// tells a record sealed with a destroyed key from one sealed with the key
// made for the customer afterwards (an event after the erasure).

const (
	refSize   = 32
	keyIDSize = 8
	// maxCachedKeys bounds the unwrapped keys kept in memory, the most
	// recently used (about 900 bytes each, the AES-GCM state included).
	maxCachedKeys = 16_384
)

type customerKey struct {
	id   [keyIDSize]byte
	ref  [refSize]byte // the key's ref, raw
	aead cipher.AEAD
	// wrapped is the key as the store holds it: a cached key is reused
	// while the store still holds these bytes.
	wrapped []byte
}

// shredder seals and opens events with their customers' keys.
type shredder struct {
	st     store.CustomerKeys
	master *keys
	// exclusive: no other process uses the store (it says so), so every
	// key is destroyed through destroy, and a cached key is the stored
	// one while destroying holds no destroy.
	exclusive  bool
	destroying sync.RWMutex // held by destroy; read by keysOf where exclusive

	mu    sync.Mutex
	cache *lru.Cache[[refSize]byte, *customerKey] // by ref, raw
}

// exclusiveStore is a store that reports whether no other process uses
// it (boltstore: bbolt locks its file).
type exclusiveStore interface{ Exclusive() bool }

func newShredder(st store.CustomerKeys, master *keys) *shredder {
	s := &shredder{st: st, master: master, cache: lru.New[[refSize]byte, *customerKey](maxCachedKeys)}
	if x, ok := st.(exclusiveStore); ok {
		s.exclusive = x.Exclusive()
	}
	return s
}

// ref names a customer's key: a digest of the id, so that the store holds
// no id next to a key. The store names keys by its hex.
func (s *shredder) ref(customer string) [refSize]byte {
	return s.master.hmacSum([]byte("waymark customer key\x00" + customer))
}

func refHex(r [refSize]byte) string { return hex.EncodeToString(r[:]) }

// cached returns the key cached under ref, nil if none.
func (s *shredder) cached(ref [refSize]byte) *customerKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, _ := s.cache.Get(ref)
	return k
}

// unwrap reads a stored key, the one under ref: the master key opens key
// id and key.
func (s *shredder) unwrap(ref string, wrapped []byte) (*customerKey, error) {
	plain, err := s.master.open(wrapped)
	if err != nil {
		return nil, err
	}
	if len(plain) != keyIDSize+KeySize {
		return nil, errors.New("a customer key has the wrong length")
	}
	block, err := aes.NewCipher(plain[keyIDSize:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &customerKey{aead: aead, wrapped: wrapped}
	copy(k.id[:], plain[:keyIDSize])
	if _, err := hex.Decode(k.ref[:], []byte(ref)); err != nil {
		return nil, fmt.Errorf("a customer key's ref: %w", err)
	}
	return k, nil
}

// keysOf returns the key of each customer, made for those without one.
// It reads the store, not only the cache: another replica may have erased
// a customer since. A cached key is reused while the store holds the same
// wrapped bytes, so that only new keys are unwrapped. On a store no other
// process uses, a cached key is used as it is: erasures go through
// destroy, which keysOf does not overlap.
func (s *shredder) keysOf(ctx context.Context, customers []string) (map[string]*customerKey, error) {
	type named struct {
		customer string
		ref      [refSize]byte
	}
	if s.exclusive {
		s.destroying.RLock()
		defer s.destroying.RUnlock()
	}
	out := make(map[string]*customerKey, len(customers))
	var distinct []named
	refs := make([]string, 0, len(customers))
	for _, c := range customers {
		if _, ok := out[c]; ok {
			continue
		}
		r := s.ref(c)
		if s.exclusive {
			if k := s.cached(r); k != nil {
				out[c] = k
				continue
			}
		}
		out[c] = nil // seen
		distinct = append(distinct, named{c, r})
		refs = append(refs, refHex(r))
	}
	if len(refs) == 0 {
		return out, nil
	}
	stored, err := s.st.CustomerKeys(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("reading customer keys: %w", err)
	}
	var missing map[string][]byte
	for _, r := range refs {
		if _, ok := stored[r]; ok {
			continue
		}
		if missing == nil {
			missing = map[string][]byte{}
		}
		plain := make([]byte, keyIDSize+KeySize)
		rand.Read(plain)
		missing[r] = s.master.seal(plain)
	}
	if missing != nil {
		added, err := s.st.AddCustomerKeys(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("adding customer keys: %w", err)
		}
		for r, w := range added {
			stored[r] = w
		}
	}
	for i, d := range distinct {
		w, ok := stored[refs[i]]
		if !ok {
			return nil, errors.New("the store did not keep a customer key it was given")
		}
		k := s.cached(d.ref)
		if k == nil || !bytes.Equal(k.wrapped, w) {
			var err error
			if k, err = s.unwrap(refs[i], w); err != nil {
				return nil, fmt.Errorf("a customer key: %w", err)
			}
			s.remember(k)
		}
		out[d.customer] = k
	}
	return out, nil
}

func (s *shredder) remember(k *customerKey) {
	s.mu.Lock()
	s.cache.Add(k.ref, k)
	s.mu.Unlock()
}

// seal seals the payloads of recs, the events of the customers named.
func (s *shredder) seal(ctx context.Context, recs []store.LogRecord, customers []string) error {
	ks, err := s.keysOf(ctx, customers)
	if err != nil {
		return err
	}
	for i := range recs {
		recs[i].Data = sealWith(ks[customers[i]], recs[i].Data)
	}
	return nil
}

// sealWith seals plain with k, in one allocation.
func sealWith(k *customerKey, plain []byte) []byte {
	const hdr = 1 + refSize + keyIDSize
	n := k.aead.NonceSize()
	b := make([]byte, hdr+n, hdr+n+len(plain)+k.aead.Overhead())
	b[0] = engine.TagSealed
	copy(b[1:], k.ref[:])
	copy(b[1+refSize:], k.id[:])
	rand.Read(b[hdr:])
	// The header is authenticated with the payload; Seal appends after
	// the header and the nonce, so neither overlaps what it writes.
	return k.aead.Seal(b, b[hdr:hdr+n], plain, b[:hdr])
}

// openWith opens a sealed payload with k.
func openWith(k *customerKey, d []byte) ([]byte, error) {
	hdr := 1 + refSize + keyIDSize
	n := k.aead.NonceSize()
	if len(d) < hdr+n {
		return nil, errors.New("a sealed payload too short")
	}
	plain, err := k.aead.Open(nil, d[hdr:hdr+n], d[hdr+n:], d[:hdr])
	if err != nil {
		return nil, errors.New("its customer's key does not open it")
	}
	return plain, nil
}

// sealState is engine.Options.SealState.
func (s *shredder) sealState(ctx context.Context, id string, data []byte) ([]byte, error) {
	k := s.cached(s.ref(id))
	if k == nil {
		ks, err := s.keysOf(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		k = ks[id]
	}
	return sealWith(k, data), nil
}

// openState is engine.Options.OpenState.
func (s *shredder) openState(ctx context.Context, id string, data []byte) ([]byte, error) {
	r, kid, ok := sealedHeader(data)
	if !ok || r != s.ref(id) {
		return nil, errors.New("the sealed state is not its customer's")
	}
	k := s.cached(r)
	if k == nil || k.id != kid {
		rh := refHex(r)
		stored, err := s.st.CustomerKeys(ctx, []string{rh})
		if err != nil {
			return nil, fmt.Errorf("reading a customer key: %w", err)
		}
		w, ok := stored[rh]
		if !ok {
			return nil, errors.New("the customer's key is destroyed")
		}
		if k, err = s.unwrap(rh, w); err != nil {
			return nil, fmt.Errorf("a customer key: %w", err)
		}
		if k.id != kid {
			return nil, errors.New("the customer's state was sealed with a destroyed key")
		}
		s.remember(k)
	}
	return openWith(k, data)
}

// open is engine.Options.Open. The keys it uses are held in a map of its
// own: others may push them out of the cache meanwhile.
func (s *shredder) open(ctx context.Context, recs []store.LogRecord) error {
	have := map[[refSize]byte]*customerKey{}
	var need []string
	var needRaw [][refSize]byte
	s.mu.Lock()
	for i := range recs {
		r, id, ok := sealedHeader(recs[i].Data)
		if !ok {
			continue
		}
		if k, ok := have[r]; ok && k.id == id {
			continue
		}
		if k, _ := s.cache.Get(r); k != nil && k.id == id {
			have[r] = k
			continue
		}
		need, needRaw = append(need, refHex(r)), append(needRaw, r)
	}
	for _, r := range needRaw {
		s.cache.Remove(r)
	}
	s.mu.Unlock()
	if len(need) > 0 {
		stored, err := s.st.CustomerKeys(ctx, need)
		if err != nil {
			return fmt.Errorf("reading customer keys: %w", err)
		}
		for r, w := range stored {
			k, err := s.unwrap(r, w)
			if err != nil {
				return fmt.Errorf("a customer key: %w", err)
			}
			s.remember(k)
			have[k.ref] = k
		}
	}
	for i := range recs {
		r, id, ok := sealedHeader(recs[i].Data)
		if !ok {
			continue
		}
		k := have[r]
		if k == nil || k.id != id {
			recs[i].Data = []byte{engine.TagShredded}
			continue
		}
		plain, err := openWith(k, recs[i].Data)
		if err != nil {
			return fmt.Errorf("log record %d: %w", recs[i].Seq, err)
		}
		recs[i].Data = plain
	}
	return nil
}

// sealedHeader returns the ref and key id of a sealed payload.
func sealedHeader(d []byte) ([refSize]byte, [keyIDSize]byte, bool) {
	var ref [refSize]byte
	var id [keyIDSize]byte
	if len(d) < 1+refSize+keyIDSize || d[0] != engine.TagSealed {
		return ref, id, false
	}
	copy(ref[:], d[1:])
	copy(id[:], d[1+refSize:])
	return ref, id, true
}

// destroy destroys a customer's key: their sealed events can no longer be
// opened.
func (s *shredder) destroy(ctx context.Context, customer string) error {
	s.destroying.Lock()
	defer s.destroying.Unlock()
	r := s.ref(customer)
	if err := s.st.DeleteCustomerKey(ctx, refHex(r)); err != nil {
		return fmt.Errorf("destroying the customer's key: %w", err)
	}
	s.mu.Lock()
	s.cache.Remove(r)
	s.mu.Unlock()
	return nil
}

// OpenLog replaces the payload of each sealed log record read from the
// store with the payload it seals, as the engine reads them: an erased
// customer's events become engine.TagShredded.
func (s *Service) OpenLog(ctx context.Context, recs []store.LogRecord) error {
	return s.shred.open(ctx, recs)
}
