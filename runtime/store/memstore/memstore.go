package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Options configure a Store.
type Options struct {
	// DedupWindow is how long an event id deduplicates (default 7 days).
	DedupWindow time.Duration
	// Now is the store's clock, for the deduplication window, heartbeats
	// and leases (default time.Now).
	Now func() time.Time
	// OwnCommits makes Commit keep the customers' states, the facts and
	// the outbox entries it is given without a copy: the caller hands them over and does
	// not change them after (as the engine does).
	OwnCommits bool
	// ConsumeFacts is for a store whose facts have a single reader in
	// the process that never reads back, as the simulator's analytics
	// feed: Facts returns them without a copy (the reader must not
	// change them), and lets go of the facts at or before the positions
	// it is given, so that memory holds only the facts not yet read.
	ConsumeFacts bool
}

// Store is an in-memory store.Store.
type Store struct {
	opts Options

	mu          sync.Mutex
	closed      bool
	deployments map[string][]store.Deployment // by stack, oldest first
	tokens      map[string]store.Token
	audit       []store.AuditRecord
	log         []store.LogRecord // in order of Seq, which is index+1
	head        store.Head
	seen        map[string]time.Time
	members     map[string]time.Time
	leases      [store.Partitions + 1]store.Lease // and AnalyticsLease's
	cursors     [store.Partitions]store.Cursor
	customers   [store.Partitions]map[string]store.Customer // by partition, then id
	counts      map[partKey]int64
	models      map[partKey][]byte
	facts       [store.Partitions][]store.Fact // in order of Seq
	factSeq     [store.Partitions]uint64       // the last Seq given
	snapshot    []byte
	snapshotAt  [store.Partitions]uint64
	decisions   map[string]store.Decision
	deliveries  map[string]store.Delivery
	// deliveryIDs are the ids of deliveries, sorted when idsSorted; nil
	// when an entry was deleted, and made again when next needed.
	deliveryIDs []string
	idsSorted   bool
	keys        map[string][]byte // customer keys by ref
}

type partKey struct {
	partition int
	key       string
}

// New returns an empty Store.
func New(opts Options) *Store {
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{
		opts:        opts,
		deployments: map[string][]store.Deployment{},
		tokens:      map[string]store.Token{},
		seen:        map[string]time.Time{},
		members:     map[string]time.Time{},
		counts:      map[partKey]int64{},
		models:      map[partKey][]byte{},
		decisions:   map[string]store.Decision{},
		deliveries:  map[string]store.Delivery{},
		keys:        map[string][]byte{},
	}
	for p := range store.Partitions {
		s.customers[p] = map[string]store.Customer{}
		s.leases[p].Partition = p
		s.cursors[p].Partition = p
	}
	s.leases[store.AnalyticsLease].Partition = store.AnalyticsLease
	return s
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

// first returns the first n of s, or all of s.
func first[T any](s []T, n int) []T {
	return s[:min(len(s), max(n, 0))]
}

func checkPartition(what string, p int) error {
	if p < 0 || p >= store.Partitions {
		return fmt.Errorf("%s of partition %d: out of range", what, p)
	}
	return nil
}

// Deploy implements store.Deployments.
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
	rec.ID, rec.Partition = "", store.AllPartitions
	d.Serial = cur + 1
	d.Seq = s.appendRecord(rec)
	d.Document = bytes.Clone(d.Document)
	s.deployments[d.Stack] = append(hist, d)
	d.Document = bytes.Clone(d.Document)
	return d, nil
}

// Stacks implements store.Deployments.
func (s *Store) Stacks(ctx context.Context) ([]store.Deployment, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Deployment
	for _, h := range s.deployments {
		d := h[len(h)-1]
		d.Document = bytes.Clone(d.Document)
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b store.Deployment) int { return strings.Compare(a.Stack, b.Stack) })
	return out, nil
}

// Deployment implements store.Deployments.
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
		serial = h[len(h)-1].Serial
	}
	for _, d := range h {
		if d.Serial == serial {
			d.Document = bytes.Clone(d.Document)
			return d, nil
		}
	}
	return store.Deployment{}, store.ErrNotFound
}

// History implements store.Deployments.
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

// CreateToken implements store.Tokens.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.tokens[t.Name]; ok {
		return store.ErrExists
	}
	s.tokens[t.Name] = cloneToken(t)
	return nil
}

func cloneToken(t store.Token) store.Token {
	t.Hash = bytes.Clone(t.Hash)
	t.Scopes = slices.Clone(t.Scopes)
	return t
}

// TokenByHash implements store.Tokens.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	if err := s.lock(); err != nil {
		return store.Token{}, err
	}
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			return cloneToken(t), nil
		}
	}
	return store.Token{}, store.ErrNotFound
}

// Tokens implements store.Tokens.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, cloneToken(t))
	}
	slices.SortFunc(out, func(a, b store.Token) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// AddAudit implements store.Audit.
func (s *Store) AddAudit(ctx context.Context, a store.AuditRecord) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	a.Seq = uint64(len(s.audit)) + 1
	s.audit = append(s.audit, a)
	return nil
}

// AuditLog implements store.Audit.
func (s *Store) AuditLog(ctx context.Context, after uint64, max int) ([]store.AuditRecord, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if after >= uint64(len(s.audit)) || max <= 0 {
		return nil, nil
	}
	end := min(uint64(len(s.audit)), after+uint64(max))
	return slices.Clone(s.audit[after:end]), nil
}

// appendRecord adds r to the log with the next Seq and the clocks as they
// stand, and moves the clocks on.
func (s *Store) appendRecord(r store.LogRecord) uint64 {
	r.Seq = uint64(len(s.log)) + 1
	r.Clock, r.ArrivalClock = s.head.Clock, s.head.ArrivalClock
	r.Data = bytes.Clone(r.Data)
	s.log = append(s.log, r)
	s.head.Seq = r.Seq
	if r.Time.After(s.head.Clock) {
		s.head.Clock = r.Time
	}
	if r.Arrival.After(s.head.ArrivalClock) {
		s.head.ArrivalClock = r.Arrival
	}
	return r.Seq
}

// Append implements store.Log.
func (s *Store) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	for _, r := range recs {
		if r.Partition != store.AllPartitions {
			if err := checkPartition("log record", r.Partition); err != nil {
				return nil, err
			}
		}
	}
	horizon := s.opts.Now().Add(-s.opts.DedupWindow)
	seqs := make([]uint64, len(recs))
	for i, r := range recs {
		if r.ID != "" {
			if at, ok := s.seen[r.ID]; ok && at.After(horizon) {
				continue
			}
			s.seen[r.ID] = r.Arrival
		}
		seqs[i] = s.appendRecord(r)
	}
	return seqs, nil
}

// Read implements store.Log.
func (s *Store) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	if err := s.lock(); err != nil {
		return nil, store.Head{}, err
	}
	defer s.mu.Unlock()
	// after[p+1] is the position of p, AllPartitions's at after[0].
	var after [store.Partitions + 1]uint64
	var wanted [store.Partitions + 1]bool
	low := ^uint64(0)
	for _, f := range from {
		if f.Partition != store.AllPartitions {
			if err := checkPartition("read", f.Partition); err != nil {
				return nil, store.Head{}, err
			}
		}
		i := f.Partition + 1
		if !wanted[i] || f.After < after[i] {
			after[i] = f.After
		}
		wanted[i] = true
		low = min(low, f.After)
	}
	// AllPartitions: after the lowest position.
	wanted[0], after[0] = len(from) > 0, low
	var out []store.LogRecord
	for i := low; i < uint64(len(s.log)) && len(out) < max; i++ {
		r := s.log[i]
		if p := r.Partition + 1; wanted[p] && r.Seq > after[p] {
			r.Data = bytes.Clone(r.Data)
			out = append(out, r)
		}
	}
	return out, s.head, nil
}

// Head implements store.Log.
func (s *Store) Head(ctx context.Context) (store.Head, error) {
	if err := s.lock(); err != nil {
		return store.Head{}, err
	}
	defer s.mu.Unlock()
	return s.head, nil
}

// Heartbeat implements store.Leases.
func (s *Store) Heartbeat(ctx context.Context, owner string, ttl time.Duration) ([]store.Member, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.members[owner] = now.Add(ttl)
	var out []store.Member
	for name, until := range s.members {
		if !now.Before(until) {
			delete(s.members, name)
			continue
		}
		out = append(out, store.Member{Name: name, Expires: until})
	}
	slices.SortFunc(out, func(a, b store.Member) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Leases implements store.Leases.
func (s *Store) Leases(ctx context.Context) ([]store.Lease, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return slices.Clone(s.leases[:store.Partitions]), nil
}

// AcquireLeases implements store.Leases.
func (s *Store) AcquireLeases(ctx context.Context, owner string, ps []int, ttl time.Duration) ([]store.Lease, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	for _, p := range ps {
		if p != store.AnalyticsLease {
			if err := checkPartition("lease", p); err != nil {
				return nil, err
			}
		}
	}
	now := s.opts.Now()
	var out []store.Lease
	for _, p := range slices.Compact(slices.Sorted(slices.Values(ps))) {
		l := &s.leases[p]
		if l.Owner != owner && l.Owner != "" && now.Before(l.Expires) {
			continue
		}
		if l.Owner != owner {
			l.Owner = owner
			l.Epoch++
		}
		l.Expires = now.Add(ttl)
		out = append(out, *l)
	}
	return out, nil
}

// RenewLeases implements store.Leases.
func (s *Store) RenewLeases(ctx context.Context, owner string, held []store.Lease, ttl time.Duration) ([]store.Lease, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	until := s.opts.Now().Add(ttl)
	var out []store.Lease
	for _, h := range held {
		if h.Partition < 0 || h.Partition > store.AnalyticsLease {
			continue
		}
		l := &s.leases[h.Partition]
		if l.Owner != owner || l.Epoch != h.Epoch || owner == "" {
			continue
		}
		l.Expires = until
		out = append(out, *l)
	}
	return out, nil
}

// ReleaseLeases implements store.Leases.
func (s *Store) ReleaseLeases(ctx context.Context, ls []store.Lease) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, h := range ls {
		if h.Partition < 0 || h.Partition > store.AnalyticsLease {
			continue
		}
		l := &s.leases[h.Partition]
		if l.Owner == h.Owner && l.Epoch == h.Epoch {
			l.Owner, l.Expires = "", time.Time{}
		}
	}
	return nil
}

// held reports whether every lease of ls is held by its owner with its
// epoch.
func (s *Store) held(ls []store.Lease) bool {
	for _, l := range ls {
		if l.Partition < 0 || l.Partition > store.AnalyticsLease {
			return false
		}
		cur := s.leases[l.Partition]
		if cur.Owner == "" || cur.Owner != l.Owner || cur.Epoch != l.Epoch {
			return false
		}
	}
	return true
}

func checkCommit(c store.Commit) error {
	for _, f := range c.Facts {
		if err := checkPartition("fact", f.Partition); err != nil {
			return err
		}
	}
	for _, m := range c.Models {
		if err := checkPartition("model", m.Partition); err != nil {
			return err
		}
	}
	for _, n := range c.Counts {
		if err := checkPartition("count", n.Partition); err != nil {
			return err
		}
	}
	for _, cu := range c.Cursors {
		if err := checkPartition("cursor", cu.Partition); err != nil {
			return err
		}
	}
	return nil
}

// Commit implements store.State.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := checkCommit(c); err != nil {
		return fmt.Errorf("committing processed events: %w", err)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if !s.held(c.Leases) {
		return store.ErrLeaseLost
	}
	for _, id := range c.Delete {
		s.erase(id)
	}
	for _, cu := range c.Customers {
		cu.Partition = store.PartitionOf(cu.ID)
		if !s.opts.OwnCommits {
			cu.Data = bytes.Clone(cu.Data)
		}
		s.customers[cu.Partition][cu.ID] = cu
	}
	for _, m := range c.Models {
		if len(m.Data) == 0 {
			delete(s.models, partKey{m.Partition, m.Key})
			continue
		}
		s.models[partKey{m.Partition, m.Key}] = bytes.Clone(m.Data)
	}
	for _, n := range c.Counts {
		k := partKey{n.Partition, n.Key}
		if v := s.counts[k] + n.Delta; v != 0 {
			s.counts[k] = v
		} else {
			delete(s.counts, k)
		}
	}
	s.addDeliveries(c.Deliveries, true, s.opts.OwnCommits)
	s.appendFacts(c.Facts, s.opts.OwnCommits)
	for _, cu := range c.Cursors {
		s.cursors[cu.Partition] = cu
	}
	return nil
}

// erase removes a customer with their decision records and outbox entries.
func (s *Store) erase(id string) {
	delete(s.customers[store.PartitionOf(id)], id)
	for k, d := range s.decisions {
		if d.Customer == id {
			delete(s.decisions, k)
		}
	}
	for k, d := range s.deliveries {
		if d.Customer == id && d.Customer != "" {
			delete(s.deliveries, k)
			s.deliveryIDs = nil
		}
	}
}

// Cursors implements store.State.
func (s *Store) Cursors(ctx context.Context) ([]store.Cursor, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return slices.Clone(s.cursors[:]), nil
}

func cloneCustomer(c store.Customer) store.Customer {
	c.Data = bytes.Clone(c.Data)
	return c
}

// Customer implements store.State.
func (s *Store) Customer(ctx context.Context, id string) (store.Customer, error) {
	if err := s.lock(); err != nil {
		return store.Customer{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.customers[store.PartitionOf(id)][id]
	if !ok {
		return store.Customer{}, store.ErrNotFound
	}
	return cloneCustomer(c), nil
}

// CustomersByID implements store.State.
func (s *Store) CustomersByID(ctx context.Context, ids []string) ([]store.Customer, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Customer
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		if c, ok := s.customers[store.PartitionOf(id)][id]; ok {
			out = append(out, cloneCustomer(c))
		}
	}
	return out, nil
}

// Customers implements store.State.
func (s *Store) Customers(ctx context.Context, p int, after string, max int) ([]store.Customer, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Customer
	if p < 0 || p >= store.Partitions {
		return nil, nil
	}
	for id, c := range s.customers[p] {
		if id > after {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	out = first(out, max)
	for i := range out {
		out[i] = cloneCustomer(out[i])
	}
	return out, nil
}

func compareTimers(a, b store.Timer) int {
	return cmp.Or(a.Due.Compare(b.Due), strings.Compare(a.Customer, b.Customer))
}

// DueTimers implements store.State.
func (s *Store) DueTimers(ctx context.Context, p int, after store.Timer, until time.Time, max int) ([]store.Timer, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Timer
	if p < 0 || p >= store.Partitions {
		return nil, nil
	}
	for id, c := range s.customers[p] {
		t := store.Timer{Customer: id, Due: c.Due}
		if !c.Due.IsZero() && !c.Due.After(until) && compareTimers(t, after) > 0 {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, compareTimers)
	return first(out, max), nil
}

// StageCounts implements store.State.
func (s *Store) StageCounts(ctx context.Context) (map[string]int64, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := map[string]int64{}
	for k, v := range s.counts {
		out[k.key] += v
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out, nil
}

// Models implements store.State.
func (s *Store) Models(ctx context.Context) ([]store.Model, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Model, 0, len(s.models))
	for k, v := range s.models {
		out = append(out, store.Model{Partition: k.partition, Key: k.key, Data: bytes.Clone(v)})
	}
	slices.SortFunc(out, func(a, b store.Model) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), strings.Compare(a.Key, b.Key))
	})
	return out, nil
}

// appendFacts numbers facts and keeps them, copying their data unless
// owned.
func (s *Store) appendFacts(facts []store.Fact, owned bool) {
	for _, f := range facts {
		s.factSeq[f.Partition]++
		if !owned {
			f.Data = bytes.Clone(f.Data)
		}
		s.facts[f.Partition] = append(s.facts[f.Partition], store.Fact{Partition: f.Partition, Seq: s.factSeq[f.Partition], Data: f.Data, Value: f.Value})
	}
}

// factIndex is the index in fs of the first fact after seq.
func factIndex(fs []store.Fact, seq uint64) int {
	i, _ := slices.BinarySearchFunc(fs, seq+1, func(f store.Fact, seq uint64) int { return cmp.Compare(f.Seq, seq) })
	return i
}

func checkPositions(what string, ps []uint64) error {
	if ps != nil && len(ps) != store.Partitions {
		return fmt.Errorf("%s: %d positions, not %d", what, len(ps), store.Partitions)
	}
	return nil
}

// Facts implements store.Facts.
func (s *Store) Facts(ctx context.Context, after []uint64, max int) ([]store.Fact, error) {
	if err := checkPositions("reading facts", after); err != nil {
		return nil, err
	}
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	// Where each partition's facts to return start, and how many there
	// are, so that out is made once.
	var from [store.Partitions]int
	n := 0
	for p := 0; p < store.Partitions && n < max; p++ {
		var a uint64
		if after != nil {
			a = after[p]
		}
		fs := s.facts[p]
		i := factIndex(fs, a)
		if s.opts.ConsumeFacts && i > 0 {
			clear(fs[:i]) // the data goes with the reader
			if i == len(fs) {
				fs = fs[:0] // all read: the next facts reuse the array
			} else {
				fs = fs[i:]
			}
			s.facts[p], i = fs, 0
		}
		from[p] = i
		n += len(fs) - i
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]store.Fact, 0, min(n, max))
	for p := 0; p < store.Partitions && len(out) < max; p++ {
		fs := s.facts[p]
		for i := from[p]; i < len(fs) && len(out) < max; i++ {
			f := fs[i]
			if !s.opts.ConsumeFacts {
				f.Data = bytes.Clone(f.Data)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// AnalyticsSnapshot implements store.Facts.
func (s *Store) AnalyticsSnapshot(ctx context.Context) ([]byte, []uint64, error) {
	if err := s.lock(); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	return bytes.Clone(s.snapshot), slices.Clone(s.snapshotAt[:]), nil
}

// SaveAnalyticsSnapshot implements store.Facts.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, data []byte, upTo []uint64, fence []store.Lease) error {
	if err := checkPositions("saving the analytics snapshot", upTo); err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if !s.held(fence) {
		return store.ErrLeaseLost
	}
	s.snapshot = nil
	if len(data) > 0 {
		s.snapshot = bytes.Clone(data)
	}
	for p := range store.Partitions {
		var at uint64
		if upTo != nil {
			at = upTo[p]
		}
		s.snapshotAt[p] = at
		fs := s.facts[p]
		s.facts[p] = slices.Clone(fs[factIndex(fs, at):])
		s.factSeq[p] = max(s.factSeq[p], at)
	}
	return nil
}

// PutDecisions implements store.Decisions.
func (s *Store) PutDecisions(ctx context.Context, ds []store.Decision) error {
	for _, d := range ds {
		for _, f := range d.Facts {
			if err := checkPartition("fact", f.Partition); err != nil {
				return fmt.Errorf("storing decision records: %w", err)
			}
		}
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, d := range ds {
		d.Data = bytes.Clone(d.Data)
		s.appendFacts(d.Facts, false)
		d.Facts = nil
		s.decisions[d.ID] = d
	}
	return nil
}

// Decision implements store.Decisions.
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

// CustomerDecisions implements store.Decisions.
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
	slices.SortFunc(out, func(a, b store.Decision) int { return strings.Compare(b.ID, a.ID) })
	return first(out, max), nil
}

// PruneDecisions implements store.Decisions.
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

func cloneDelivery(d store.Delivery) store.Delivery {
	d.Data = bytes.Clone(d.Data)
	return d
}

// Delivery implements store.Queue.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	if err := s.lock(); err != nil {
		return store.Delivery{}, err
	}
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return store.Delivery{}, store.ErrNotFound
	}
	return cloneDelivery(d), nil
}

// Deliveries implements store.Queue.
func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, after string, max int) ([]store.Delivery, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Delivery
	ids := s.sortedDeliveryIDs()
	i, found := slices.BinarySearch(ids, after)
	if found {
		i++
	}
	for ; i < len(ids) && len(out) < max; i++ {
		if d := s.deliveries[ids[i]]; d.State == state {
			out = append(out, cloneDelivery(d))
		}
	}
	return out, nil
}

// sortedDeliveryIDs returns the ids of the outbox in order, sorting them
// (or listing them again after a delete) when they are not.
func (s *Store) sortedDeliveryIDs() []string {
	if s.deliveryIDs == nil && len(s.deliveries) > 0 {
		s.deliveryIDs = slices.Collect(maps.Keys(s.deliveries))
		s.idsSorted = false
	}
	if !s.idsSorted {
		slices.Sort(s.deliveryIDs)
		s.idsSorted = true
	}
	return s.deliveryIDs
}

// addDeliveries adds, unclaimed, the entries whose ID is not in the outbox
// (nor earlier in ds) and returns them, or, for a commit (owned: what
// Options.OwnCommits says), only adds them.
func (s *Store) addDeliveries(ds []store.Delivery, commit, owned bool) []store.Delivery {
	var added []store.Delivery
	for _, d := range ds {
		if _, ok := s.deliveries[d.ID]; ok {
			continue
		}
		d.Claim, d.ClaimedUntil = "", time.Time{}
		if owned {
			s.deliveries[d.ID] = d
		} else {
			s.deliveries[d.ID] = cloneDelivery(d)
		}
		if s.deliveryIDs != nil {
			s.idsSorted = s.idsSorted && d.ID > s.deliveryIDs[len(s.deliveryIDs)-1]
			s.deliveryIDs = append(s.deliveryIDs, d.ID)
		}
		if !commit {
			added = append(added, cloneDelivery(d))
		}
	}
	return added
}

// AddDeliveries implements store.Queue.
func (s *Store) AddDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Delivery, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return s.addDeliveries(ds, false, false), nil
}

// ClaimDeliveries implements store.Queue.
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]store.Delivery, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var due []store.Delivery
	for _, d := range s.deliveries {
		if d.State == store.DeliveryPending && !d.Due.After(now) && !d.ClaimedUntil.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b store.Delivery) int {
		return cmp.Or(a.Due.Compare(b.Due), strings.Compare(a.ID, b.ID))
	})
	due = first(due, max)
	for i := range due {
		due[i].Claim, due[i].ClaimedUntil = worker, now.Add(lease)
		s.deliveries[due[i].ID] = due[i]
		due[i] = cloneDelivery(due[i])
	}
	return due, nil
}

// NextDue implements store.Queue.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.lock(); err != nil {
		return time.Time{}, false, err
	}
	defer s.mu.Unlock()
	var next time.Time
	found := false
	for _, d := range s.deliveries {
		if d.State == store.DeliveryPending && (!found || d.Due.Before(next)) {
			next, found = d.Due, true
		}
	}
	return next, found, nil
}

// UpdateDelivery implements store.Queue.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.deliveries[d.ID]; !ok {
		return store.ErrNotFound
	}
	d.Claim, d.ClaimedUntil = "", time.Time{}
	s.deliveries[d.ID] = cloneDelivery(d)
	return nil
}

// PruneDeliveries implements store.Queue.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, d := range s.deliveries {
		if (d.State == store.DeliveryDelivered || d.State == store.DeliveryCancelled) && d.Updated.Before(before) {
			delete(s.deliveries, k)
			s.deliveryIDs = nil
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

// CustomerKeys implements store.CustomerKeys.
func (s *Store) CustomerKeys(ctx context.Context, refs []string) (map[string][]byte, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(refs))
	for _, r := range refs {
		if k, ok := s.keys[r]; ok {
			out[r] = bytes.Clone(k)
		}
	}
	return out, nil
}

// AddCustomerKeys implements store.CustomerKeys.
func (s *Store) AddCustomerKeys(ctx context.Context, keys map[string][]byte) (map[string][]byte, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(keys))
	for r, k := range keys {
		if _, ok := s.keys[r]; !ok {
			s.keys[r] = bytes.Clone(k)
		}
		out[r] = bytes.Clone(s.keys[r])
	}
	return out, nil
}

// DeleteCustomerKey implements store.CustomerKeys.
func (s *Store) DeleteCustomerKey(ctx context.Context, ref string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.keys, ref)
	return nil
}
