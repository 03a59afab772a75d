package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

func deploymentKey(stack string, serial int64) []byte {
	k := make([]byte, 0, len(stack)+9)
	k = append(k, stack...)
	k = append(k, 0)
	return append(k, u64(uint64(serial))...)
}

type deploymentJSON struct {
	Stack    string    `json:"stack"`
	Serial   int64     `json:"serial"`
	Time     time.Time `json:"time"`
	Who      string    `json:"who"`
	Digest   string    `json:"digest"`
	Summary  string    `json:"summary"`
	Document []byte    `json:"document"`
	Seq      uint64    `json:"seq"`
}

// Deploy implements store.Deployments.
func (s *Store) Deploy(ctx context.Context, d store.Deployment, base int64, rec store.LogRecord) (store.Deployment, error) {
	if err := s.enter(); err != nil {
		return store.Deployment{}, err
	}
	defer s.leave()
	var head store.Head
	err := s.db.Update(func(tx *bolt.Tx) error {
		stacks := tx.Bucket(bStacks)
		var cur int64
		if v := stacks.Get([]byte(d.Stack)); v != nil {
			cur = int64(binary.BigEndian.Uint64(v))
		}
		if cur != base {
			return &store.StaleError{Stack: d.Stack, Base: base, Current: cur}
		}
		rec.ID, rec.Partition = "", store.AllPartitions
		w := newLogWriter(tx, recordSize(rec))
		seq, err := w.put(rec)
		if err != nil {
			return err
		}
		if head, err = w.finish(); err != nil {
			return err
		}
		d.Serial, d.Seq = cur+1, seq
		v, err := json.Marshal(deploymentJSON(d))
		if err != nil {
			return err
		}
		if err := tx.Bucket(bDeployments).Put(deploymentKey(d.Stack, d.Serial), v); err != nil {
			return err
		}
		return stacks.Put([]byte(d.Stack), u64(uint64(d.Serial)))
	})
	var stale *store.StaleError
	if errors.As(err, &stale) {
		return store.Deployment{}, err
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("deploying stack %q: %w", d.Stack, err)
	}
	s.advance(head)
	return d, nil
}

func getDeployment(tx *bolt.Tx, stack string, serial int64) (store.Deployment, error) {
	v := tx.Bucket(bDeployments).Get(deploymentKey(stack, serial))
	if v == nil {
		return store.Deployment{}, store.ErrNotFound
	}
	var d deploymentJSON
	if err := json.Unmarshal(v, &d); err != nil {
		return store.Deployment{}, fmt.Errorf("reading deployment %d of stack %q: %w", serial, stack, err)
	}
	return store.Deployment(d), nil
}

// Stacks implements store.Deployments.
func (s *Store) Stacks(ctx context.Context) ([]store.Deployment, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Deployment
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bStacks).ForEach(func(k, v []byte) error {
			d, err := getDeployment(tx, string(k), int64(binary.BigEndian.Uint64(v)))
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// Deployment implements store.Deployments.
func (s *Store) Deployment(ctx context.Context, stack string, serial int64) (store.Deployment, error) {
	if err := s.enter(); err != nil {
		return store.Deployment{}, err
	}
	defer s.leave()
	var d store.Deployment
	err := s.db.View(func(tx *bolt.Tx) error {
		if serial == 0 {
			v := tx.Bucket(bStacks).Get([]byte(stack))
			if v == nil {
				return store.ErrNotFound
			}
			serial = int64(binary.BigEndian.Uint64(v))
		}
		var err error
		d, err = getDeployment(tx, stack, serial)
		return err
	})
	return d, err
}

// History implements store.Deployments.
func (s *Store) History(ctx context.Context, stack string) ([]store.Deployment, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := []store.Deployment{}
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(stack), 0)
		c := tx.Bucket(bDeployments).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var d deploymentJSON
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("reading deployment of stack %q: %w", stack, err)
			}
			d.Document = nil
			out = append(out, store.Deployment(d))
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

type tokenJSON struct {
	Name    string        `json:"name"`
	Hash    []byte        `json:"hash"`
	Scopes  []store.Scope `json:"scopes"`
	Created time.Time     `json:"created"`
}

// CreateToken implements store.Tokens.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		if b.Get([]byte(t.Name)) != nil {
			return store.ErrExists
		}
		v, err := json.Marshal(tokenJSON(t))
		if err != nil {
			return err
		}
		if err := b.Put([]byte(t.Name), v); err != nil {
			return err
		}
		return tx.Bucket(bTokenHashes).Put(t.Hash, []byte(t.Name))
	})
}

// TokenByHash implements store.Tokens.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	if err := s.enter(); err != nil {
		return store.Token{}, err
	}
	defer s.leave()
	var t store.Token
	err := s.db.View(func(tx *bolt.Tx) error {
		name := tx.Bucket(bTokenHashes).Get(hash)
		if name == nil {
			return store.ErrNotFound
		}
		v := tx.Bucket(bTokens).Get(name)
		if v == nil {
			return store.ErrNotFound
		}
		var j tokenJSON
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("reading token %q: %w", name, err)
		}
		t = store.Token(j)
		return nil
	})
	return t, err
}

// Tokens implements store.Tokens.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := []store.Token{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bTokens).ForEach(func(k, v []byte) error {
			var j tokenJSON
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("reading token %q: %w", k, err)
			}
			out = append(out, store.Token(j))
			return nil
		})
	})
	return out, err
}

type auditJSON struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	What    string    `json:"what"`
	Subject string    `json:"subject"`
}

// AddAudit implements store.Audit.
func (s *Store) AddAudit(ctx context.Context, a store.AuditRecord) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		b.FillPercent = 1 // keys only grow
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		a.Seq = seq
		v, err := json.Marshal(auditJSON(a))
		if err != nil {
			return err
		}
		return b.Put(u64(seq), v)
	})
	if err != nil {
		return fmt.Errorf("adding to the audit log: %w", err)
	}
	return nil
}

// AuditLog implements store.Audit.
func (s *Store) AuditLog(ctx context.Context, after uint64, max int) ([]store.AuditRecord, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.AuditRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			var a auditJSON
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("audit record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, store.AuditRecord(a))
		}
		return nil
	})
	return out, err
}
