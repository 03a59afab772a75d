package memstore

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Options configure a Store.
type Options struct {
	// DedupWindow is how long an event id deduplicates (default 7 days).
	DedupWindow time.Duration
	// Now is the wall clock (default time.Now).
	Now func() time.Time
}

// Store is an in-memory store.Store.
type Store struct {
	opts Options

	mu          sync.Mutex
	closed      bool
	deployments map[string][]store.Deployment // by stack, oldest first
	tokens      map[string]store.Token
	log         []store.LogRecord
	seen        map[string]time.Time
	customers   map[string][]byte
	transitions []store.Transition
	cursor      store.Cursor
}

// New returns an empty Store.
func New(opts Options) *Store {
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{
		opts:        opts,
		deployments: map[string][]store.Deployment{},
		tokens:      map[string]store.Token{},
		seen:        map[string]time.Time{},
		customers:   map[string][]byte{},
	}
}

var _ store.Store = (*Store)(nil)

func (s *Store) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	return nil
}

// Deploy implements store.Store.
func (s *Store) Deploy(ctx context.Context, d store.Deployment, base int64, rec store.LogRecord) (store.Deployment, error) {
	if err := s.lock(); err != nil {
		return store.Deployment{}, err
	}
	defer s.mu.Unlock()
	hist := s.deployments[d.Stack]
	var cur int64
	if len(hist) > 0 {
		cur = hist[len(hist)-1].Serial
	}
	if cur != base {
		return store.Deployment{}, &store.StaleError{Stack: d.Stack, Base: base, Current: cur}
	}
	rec.Seq = uint64(len(s.log)) + 1
	rec.Data = bytes.Clone(rec.Data)
	s.log = append(s.log, rec)
	d.Serial = cur + 1
	d.Seq = rec.Seq
	d.Document = bytes.Clone(d.Document)
	s.deployments[d.Stack] = append(hist, d)
	return d, nil
}

// Stacks implements store.Store.
func (s *Store) Stacks(ctx context.Context) ([]store.Deployment, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Deployment
	for _, h := range s.deployments {
		out = append(out, h[len(h)-1])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stack < out[j].Stack })
	return out, nil
}

// Deployment implements store.Store.
func (s *Store) Deployment(ctx context.Context, stack string, serial int64) (store.Deployment, error) {
	if err := s.lock(); err != nil {
		return store.Deployment{}, err
	}
	defer s.mu.Unlock()
	h := s.deployments[stack]
	if len(h) == 0 {
		return store.Deployment{}, store.ErrNotFound
	}
	if serial == 0 {
		return h[len(h)-1], nil
	}
	for _, d := range h {
		if d.Serial == serial {
			return d, nil
		}
	}
	return store.Deployment{}, store.ErrNotFound
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, stack string) ([]store.Deployment, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	h := s.deployments[stack]
	out := make([]store.Deployment, 0, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		d := h[i]
		d.Document = nil
		out = append(out, d)
	}
	return out, nil
}

// CreateToken implements store.Store.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.tokens[t.Name]; ok {
		return store.ErrExists
	}
	t.Hash = bytes.Clone(t.Hash)
	t.Scopes = append([]store.Scope(nil), t.Scopes...)
	s.tokens[t.Name] = t
	return nil
}

// TokenByHash implements store.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	if err := s.lock(); err != nil {
		return store.Token{}, err
	}
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			return t, nil
		}
	}
	return store.Token{}, store.ErrNotFound
}

// Tokens implements store.Store.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Append implements store.Store.
func (s *Store) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	horizon := s.opts.Now().Add(-s.opts.DedupWindow)
	seqs := make([]uint64, len(recs))
	for i, r := range recs {
		if r.ID != "" {
			if at, ok := s.seen[r.ID]; ok && at.After(horizon) {
				continue
			}
			s.seen[r.ID] = r.Arrival
		}
		r.Seq = uint64(len(s.log)) + 1
		r.Data = bytes.Clone(r.Data)
		s.log = append(s.log, r)
		seqs[i] = r.Seq
	}
	return seqs, nil
}

// ReadLog implements store.Store.
func (s *Store) ReadLog(ctx context.Context, after uint64, max int) ([]store.LogRecord, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if after >= uint64(len(s.log)) {
		return nil, nil
	}
	end := min(uint64(len(s.log)), after+uint64(max))
	return append([]store.LogRecord(nil), s.log[after:end]...), nil
}

// LastSeq implements store.Store.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	return uint64(len(s.log)), nil
}

// Commit implements store.Store.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, id := range c.Delete {
		delete(s.customers, id)
	}
	for _, cu := range c.Customers {
		s.customers[cu.ID] = bytes.Clone(cu.Data)
	}
	for _, t := range c.Transitions {
		t.Seq = uint64(len(s.transitions)) + 1
		s.transitions = append(s.transitions, t)
	}
	s.cursor = c.Cursor
	return nil
}

// Cursor implements store.Store.
func (s *Store) Cursor(ctx context.Context) (store.Cursor, error) {
	if err := s.lock(); err != nil {
		return store.Cursor{}, err
	}
	defer s.mu.Unlock()
	return s.cursor, nil
}

// Customer implements store.Store.
func (s *Store) Customer(ctx context.Context, id string) (store.Customer, error) {
	if err := s.lock(); err != nil {
		return store.Customer{}, err
	}
	defer s.mu.Unlock()
	d, ok := s.customers[id]
	if !ok {
		return store.Customer{}, store.ErrNotFound
	}
	return store.Customer{ID: id, Data: bytes.Clone(d)}, nil
}

// Customers implements store.Store.
func (s *Store) Customers(ctx context.Context, fn func(store.Customer) error) error {
	if err := s.lock(); err != nil {
		return err
	}
	ids := make([]string, 0, len(s.customers))
	for id := range s.customers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	all := make([]store.Customer, len(ids))
	for i, id := range ids {
		all[i] = store.Customer{ID: id, Data: bytes.Clone(s.customers[id])}
	}
	s.mu.Unlock()
	for _, c := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// Transitions implements store.Store.
func (s *Store) Transitions(ctx context.Context, after uint64, max int) ([]store.Transition, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if after >= uint64(len(s.transitions)) {
		return nil, nil
	}
	end := min(uint64(len(s.transitions)), after+uint64(max))
	return append([]store.Transition(nil), s.transitions[after:end]...), nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
