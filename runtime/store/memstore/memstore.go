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
	facts       []store.Fact // in order of Seq
	factSeq     uint64       // the last Seq given
	snapshot    []byte
	cursor      store.Cursor
	models      map[string][]byte
	decisions   map[string]store.Decision
	deliveries  map[string]store.Delivery
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
		models:      map[string][]byte{},
		decisions:   map[string]store.Decision{},
		deliveries:  map[string]store.Delivery{},
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
		for k, d := range s.decisions {
			if d.Customer == id {
				delete(s.decisions, k)
			}
		}
		for k, d := range s.deliveries {
			if d.Customer == id && d.Customer != "" {
				delete(s.deliveries, k)
			}
		}
	}
	for _, cu := range c.Customers {
		s.customers[cu.ID] = bytes.Clone(cu.Data)
	}
	for _, m := range c.Models {
		s.models[m.Key] = bytes.Clone(m.Data)
	}
	s.addDeliveries(c.Deliveries)
	s.appendFacts(c.Facts)
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

func (s *Store) appendFacts(facts []store.Fact) {
	for _, f := range facts {
		s.factSeq++
		s.facts = append(s.facts, store.Fact{Seq: s.factSeq, Data: bytes.Clone(f.Data)})
	}
}

// Facts implements store.Store.
func (s *Store) Facts(ctx context.Context, after uint64, max int) ([]store.Fact, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	i := sort.Search(len(s.facts), func(i int) bool { return s.facts[i].Seq > after })
	var out []store.Fact
	for ; i < len(s.facts) && len(out) < max; i++ {
		out = append(out, store.Fact{Seq: s.facts[i].Seq, Data: bytes.Clone(s.facts[i].Data)})
	}
	return out, nil
}

// AnalyticsSnapshot implements store.Store. An empty snapshot is none.
func (s *Store) AnalyticsSnapshot(ctx context.Context) ([]byte, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return bytes.Clone(s.snapshot), nil
}

// SaveAnalyticsSnapshot implements store.Store. If upTo is beyond the last
// fact, the sequence is raised to it, so that no later fact gets a number
// the snapshot claims to hold.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, snapshot []byte, upTo uint64) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.snapshot = nil
	if len(snapshot) > 0 {
		s.snapshot = bytes.Clone(snapshot)
	}
	i := sort.Search(len(s.facts), func(i int) bool { return s.facts[i].Seq > upTo })
	s.facts = append([]store.Fact(nil), s.facts[i:]...)
	s.factSeq = max(s.factSeq, upTo)
	return nil
}

// Models implements store.Store.
func (s *Store) Models(ctx context.Context) ([]store.Model, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Model, 0, len(s.models))
	for k, v := range s.models {
		out = append(out, store.Model{Key: k, Data: bytes.Clone(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// PutDecisions implements store.Store.
func (s *Store) PutDecisions(ctx context.Context, ds []store.Decision) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, d := range ds {
		d.Data = bytes.Clone(d.Data)
		s.appendFacts(d.Facts)
		d.Facts = nil
		s.decisions[d.ID] = d
	}
	return nil
}

// Decision implements store.Store.
func (s *Store) Decision(ctx context.Context, id string) (store.Decision, error) {
	if err := s.lock(); err != nil {
		return store.Decision{}, err
	}
	defer s.mu.Unlock()
	d, ok := s.decisions[id]
	if !ok {
		return store.Decision{}, store.ErrNotFound
	}
	d.Data = bytes.Clone(d.Data)
	return d, nil
}

// CustomerDecisions implements store.Store.
func (s *Store) CustomerDecisions(ctx context.Context, customer string, max int) ([]store.Decision, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Decision
	for _, d := range s.decisions {
		if d.Customer == customer {
			d.Data = bytes.Clone(d.Data)
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// PruneDecisions implements store.Store.
func (s *Store) PruneDecisions(ctx context.Context, before time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, d := range s.decisions {
		if d.Time.Before(before) {
			delete(s.decisions, k)
			n++
		}
	}
	return n, nil
}

// Delivery implements store.Store.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	if err := s.lock(); err != nil {
		return store.Delivery{}, err
	}
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return store.Delivery{}, store.ErrNotFound
	}
	d.Data = bytes.Clone(d.Data)
	return d, nil
}

// Deliveries implements store.Store.
func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, after string, max int) ([]store.Delivery, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Delivery
	for _, d := range s.deliveries {
		if d.State == state && d.ID > after {
			d.Data = bytes.Clone(d.Data)
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// addDeliveries adds the entries whose ID is not in the outbox (nor earlier
// in ds) and returns them.
func (s *Store) addDeliveries(ds []store.Delivery) []store.Delivery {
	var added []store.Delivery
	for _, d := range ds {
		if _, ok := s.deliveries[d.ID]; ok {
			continue
		}
		d.Data = bytes.Clone(d.Data)
		s.deliveries[d.ID] = d
		d.Data = bytes.Clone(d.Data)
		added = append(added, d)
	}
	return added
}

// AddDeliveries implements store.Store.
func (s *Store) AddDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Delivery, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return s.addDeliveries(ds), nil
}

// UpdateDelivery implements store.Store.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.deliveries[d.ID]; !ok {
		return store.ErrNotFound
	}
	d.Data = bytes.Clone(d.Data)
	s.deliveries[d.ID] = d
	return nil
}

// PruneDeliveries implements store.Store.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, d := range s.deliveries {
		if (d.State == store.DeliveryDelivered || d.State == store.DeliveryCancelled) && d.Updated.Before(before) {
			delete(s.deliveries, k)
			n++
		}
	}
	return n, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
