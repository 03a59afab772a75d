package service

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeySize is the length of the secret key in bytes.
const KeySize = 32

// Keys derive what the runtime encrypts and digests with from one secret
// key.
type keys struct {
	aead   cipher.AEAD
	data   cipher.AEAD
	digest []byte
	// macs holds HMAC-SHA256 states keyed with digest, reset between
	// uses: keying one costs more than the digest of a customer id.
	macs sync.Pool
	// unsub seals one-click unsubscribe tokens, whose nonce is an HMAC
	// under unsubMAC (unsubscribe.go).
	unsub    cipher.AEAD
	unsubMAC []byte
}

func newKeys(secret []byte) (*keys, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("the secret key must be %d bytes, not %d", KeySize, len(secret))
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("waymark encryption"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	dblock, err := aes.NewCipher(derive("waymark data at rest"))
	if err != nil {
		return nil, err
	}
	data, err := cipher.NewGCM(dblock)
	if err != nil {
		return nil, err
	}
	ublock, err := aes.NewCipher(derive("waymark unsubscribe"))
	if err != nil {
		return nil, err
	}
	unsub, err := cipher.NewGCM(ublock)
	if err != nil {
		return nil, err
	}
	k := &keys{aead: aead, data: data, digest: derive("waymark digest"), unsub: unsub, unsubMAC: derive("waymark unsubscribe nonce")}
	k.macs.New = func() any { return hmac.New(sha256.New, k.digest) }
	return k, nil
}

// sealData encrypts customers' data at rest (sealedStore).
func (k *keys) sealData(plain []byte) []byte {
	nonce := make([]byte, k.data.NonceSize(), k.data.NonceSize()+len(plain)+k.data.Overhead())
	rand.Read(nonce)
	return k.data.Seal(nonce, nonce, plain, nil)
}

func (k *keys) openData(sealed []byte) ([]byte, error) {
	n := k.data.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed data too short")
	}
	plain, err := k.data.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, errors.New("cannot decrypt: the secret key is not the one this data was written with")
	}
	return plain, nil
}

func (k *keys) seal(plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plain, nil)
}

func (k *keys) open(sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed data too short")
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, errors.New("cannot decrypt: the secret key is not the one this data was written with")
	}
	return plain, nil
}

// hmac returns the digest the API shows in place of a sensitive value.
func (k *keys) hmac(value []byte) string {
	sum := k.hmacSum(value)
	return hex.EncodeToString(sum[:])
}

// hmacSum is hmac's digest, raw.
func (k *keys) hmacSum(value []byte) [sha256.Size]byte {
	m := k.macs.Get().(hash.Hash)
	m.Write(value)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	m.Reset()
	k.macs.Put(m)
	return sum
}

// stackDigestKey is the key of one stack's withheld-value digests
// (deploy.SensitiveDigest). The API gives it to clients that may read the
// stack, so that plan can tell whether a sensitive value changed without
// the runtime ever returning it; it is derived per stack so that one
// stack's key says nothing of another's digests.
func (k *keys) stackDigestKey(stack string) []byte {
	m := hmac.New(sha256.New, k.digest)
	m.Write([]byte("stack digest key\x00" + stack))
	return m.Sum(nil)
}

// KeyFileName is the key file the runtime creates in its data directory.
const KeyFileName = "secret.key"

// LoadKey reads the secret key: from file if it is set, else from env
// (hex), else from KeyFileName in dataDir, creating that file (mode 0600)
// when it does not exist; created reports that it did.
func LoadKey(file, env, dataDir string) (key []byte, created bool, err error) {
	parse := func(text, where string) ([]byte, error) {
		b, err := hex.DecodeString(strings.TrimSpace(text))
		if err != nil || len(b) != KeySize {
			return nil, fmt.Errorf("%s must hold a %d-byte key as %d hex digits", where, KeySize, 2*KeySize)
		}
		return b, nil
	}
	switch {
	case file != "":
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, false, fmt.Errorf("reading the secret key: %w", err)
		}
		k, err := parse(string(text), file)
		return k, false, err
	case env != "":
		k, err := parse(env, "WAYMARK_SECRET_KEY")
		return k, false, err
	}
	path := filepath.Join(dataDir, KeyFileName)
	if text, err := os.ReadFile(path); err == nil {
		k, err := parse(string(text), path)
		return k, false, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("reading the secret key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating the data directory: %w", err)
	}
	k := make([]byte, KeySize)
	rand.Read(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("creating the secret key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("writing the secret key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	return k, true, f.Close()
}
