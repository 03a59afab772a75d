package memstore

import (
	"bytes"
	"context"
	"fmt"
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

// Store is an in-memory store.Store, for tests and for runtimes that
// keep nothing (waymark dev, waymark test); one Store may be shared by
// several engines in one process, as replicas share a database.
type Store struct {
	opts Options

	mu          sync.Mutex
	closed      bool
	deployments map[string][]store.Deployment // by stack, oldest first
	tokens      map[string]store.Token
	log         []store.LogRecord
	head        store.Head
	seen        map[string]time.Time
	audit       []store.AuditRecord
	members     map[string]time.Time
	leases      [store.Partitions]store.Lease
	customers   map[string]store.Customer
	counts      map[countKey]int64
	cursors     [store.Partitions]store.Cursor
	facts       [store.Partitions][]store.Fact // in order of Seq
	factSeq     [store.Partitions]uint64       // the last Seq given
	snapshot    []byte
	snapUpTo    []uint64
	models      map[modelKey][]byte
	decisions   map[string]store.Decision
	deliveries  map[string]store.Delivery
}

type countKey struct {
	p   int
	key string
}

type modelKey struct {
	p   int
	key string
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
		customers:   map[string]store.Customer{},
		counts:      map[countKey]int64{},
		members:     map[string]time.Time{},
		models:      map[modelKey][]byte{},
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
	rec.Partition = store.AllPartitions
	s.appendRecord(&rec)
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
	if after >= uint64(len(s.audit)) {
		return nil, nil
	}
	end := min(uint64(len(s.audit)), after+uint64(max))
	return append([]store.AuditRecord(nil), s.audit[after:end]...), nil
}

// appendRecord gives a record its Seq and clocks and adds it to the log;
// called with mu held.
func (s *Store) appendRecord(r *store.LogRecord) {
	r.Seq = uint64(len(s.log)) + 1
	r.Clock, r.ArrivalClock = s.head.Clock, s.head.ArrivalClock
	r.Data = bytes.Clone(r.Data)
	s.log = append(s.log, *r)
	s.head.Seq = r.Seq
	if r.Time.After(s.head.Clock) {
		s.head.Clock = r.Time
	}
	if r.Arrival.After(s.head.ArrivalClock) {
		s.head.ArrivalClock = r.Arrival
	}
}

// Append implements store.Log.
func (s *Store) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	for _, r := range recs {
		if r.Partition < store.AllPartitions || r.Partition >= store.Partitions {
			return nil, fmt.Errorf("log record of partition %d", r.Partition)
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
		s.appendRecord(&r)
		seqs[i] = r.Seq
	}
	return seqs, nil
}

// Read implements store.Log.
func (s *Store) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	if err := s.lock(); err != nil {
		return nil, store.Head{}, err
	}
	defer s.mu.Unlock()
	after := map[int]uint64{}
	low := uint64(0)
	for i, f := range from {
		if f.Partition < 0 || f.Partition >= store.Partitions {
			return nil, store.Head{}, fmt.Errorf("reading partition %d", f.Partition)
		}
		if a, ok := after[f.Partition]; !ok || f.After < a {
			after[f.Partition] = f.After
		}
		if i == 0 || f.After < low {
			low = f.After
		}
	}
	var out []store.LogRecord
	for i := low; i < uint64(len(s.log)) && len(out) < max; i++ {
		r := s.log[i]
		if r.Partition == store.AllPartitions {
			if len(from) > 0 && r.Seq > low {
				out = append(out, r)
			}
			continue
		}
		if a, ok := after[r.Partition]; ok && r.Seq > a {
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
	if ttl > 0 {
		s.members[owner] = now.Add(ttl)
	} else {
		delete(s.members, owner)
	}
	var out []store.Member
	for name, exp := range s.members {
		if now.Before(exp) {
			out = append(out, store.Member{Name: name, Expires: exp})
		} else {
			delete(s.members, name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Leases implements store.Leases.
func (s *Store) Leases(ctx context.Context) ([]store.Lease, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Lease, store.Partitions)
	for p := range out {
		out[p] = s.leases[p]
		out[p].Partition = p
	}
	return out, nil
}

// AcquireLeases implements store.Leases.
func (s *Store) AcquireLeases(ctx context.Context, owner string, ps []int, ttl time.Duration) ([]store.Lease, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	now := s.opts.Now()
	var out []store.Lease
	for _, p := range ps {
		if p < 0 || p >= store.Partitions {
			return nil, fmt.Errorf("leasing partition %d", p)
		}
		l := s.leases[p]
		if l.Owner != "" && l.Owner != owner && now.Before(l.Expires) {
			continue
		}
		if l.Owner != owner {
			l.Epoch++
		}
		l.Partition, l.Owner, l.Expires = p, owner, now.Add(ttl)
		s.leases[p] = l
		out = append(out, l)
	}
	return out, nil
}

// RenewLeases implements store.Leases.
func (s *Store) RenewLeases(ctx context.Context, owner string, held []store.Lease, ttl time.Duration) ([]store.Lease, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	now := s.opts.Now()
	var out []store.Lease
	for _, h := range held {
		if h.Partition < 0 || h.Partition >= store.Partitions {
			continue
		}
		l := s.leases[h.Partition]
		if l.Owner != owner || l.Epoch != h.Epoch {
			continue
		}
		l.Expires = now.Add(ttl)
		s.leases[h.Partition] = l
		out = append(out, l)
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
		if h.Partition < 0 || h.Partition >= store.Partitions {
			continue
		}
		l := s.leases[h.Partition]
		if l.Owner == h.Owner && l.Epoch == h.Epoch {
			l.Owner, l.Expires = "", time.Time{}
			s.leases[h.Partition] = l
		}
	}
	return nil
}

// Commit implements store.State.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, l := range c.Leases {
		if l.Partition < 0 || l.Partition >= store.Partitions {
			return fmt.Errorf("commit fenced by partition %d", l.Partition)
		}
		if cur := s.leases[l.Partition]; cur.Owner != l.Owner || cur.Epoch != l.Epoch {
			return store.ErrLeaseLost
		}
	}
	for _, id := range c.Delete {
		delete(s.customers, id)
		for k, d := range s.decisions {
			if d.Customer == id {
				delete(s.decisions, k)
			}
		}
		for k, d := range s.deliveries {
			if d.Customer == id {
				delete(s.deliveries, k)
			}
		}
	}
	for _, cu := range c.Customers {
		cu.Data = bytes.Clone(cu.Data)
		s.customers[cu.ID] = cu
	}
	s.appendFacts(c.Facts)
	for _, m := range c.Models {
		s.models[modelKey{m.Partition, m.Key}] = bytes.Clone(m.Data)
	}
	for _, n := range c.Counts {
		k := countKey{n.Partition, n.Key}
		s.counts[k] += n.Delta
		if s.counts[k] == 0 {
			delete(s.counts, k)
		}
	}
	s.addDeliveries(c.Deliveries)
	for _, cur := range c.Cursors {
		if cur.Partition >= 0 && cur.Partition < store.Partitions {
			s.cursors[cur.Partition] = cur
		}
	}
	return nil
}

// Cursors implements store.State.
func (s *Store) Cursors(ctx context.Context) ([]store.Cursor, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Cursor, store.Partitions)
	for p := range out {
		out[p] = s.cursors[p]
		out[p].Partition = p
	}
	return out, nil
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
	c, ok := s.customers[id]
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
	for _, id := range ids {
		if c, ok := s.customers[id]; ok {
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
	for id, c := range s.customers {
		if c.Partition == p && id > after {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > max {
		out = out[:max]
	}
	for i := range out {
		out[i] = cloneCustomer(out[i])
	}
	return out, nil
}

// DueTimers implements store.State.
func (s *Store) DueTimers(ctx context.Context, p int, after store.Timer, until time.Time, max int) ([]store.Timer, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Timer
	for id, c := range s.customers {
		if c.Partition != p || c.Due.IsZero() || c.Due.After(until) {
			continue
		}
		if c.Due.Before(after.Due) || (c.Due.Equal(after.Due) && id <= after.Customer) {
			continue
		}
		out = append(out, store.Timer{Customer: id, Due: c.Due})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].Customer < out[j].Customer
	})
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// StageCounts implements store.State.
func (s *Store) StageCounts(ctx context.Context) (map[string]int64, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := map[string]int64{}
	for k, n := range s.counts {
		out[k.key] += n
		if out[k.key] == 0 {
			delete(out, k.key)
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
		out = append(out, store.Model{Partition: k.p, Key: k.key, Data: bytes.Clone(v)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// appendFacts numbers facts in their partitions and keeps them; called
// with mu held.
func (s *Store) appendFacts(facts []store.Fact) {
	for _, f := range facts {
		if f.Partition < 0 || f.Partition >= store.Partitions {
			f.Partition = 0
		}
		s.factSeq[f.Partition]++
		f.Seq = s.factSeq[f.Partition]
		f.Data = bytes.Clone(f.Data)
		s.facts[f.Partition] = append(s.facts[f.Partition], f)
	}
}

// Facts implements store.Facts.
func (s *Store) Facts(ctx context.Context, after []uint64, max int) ([]store.Fact, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Fact
	for p := 0; p < store.Partitions && len(out) < max; p++ {
		var a uint64
		if p < len(after) {
			a = after[p]
		}
		for _, f := range s.facts[p] {
			if f.Seq > a {
				out = append(out, f)
				if len(out) == max {
					break
				}
			}
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
	if s.snapshot == nil {
		return nil, nil, nil
	}
	return bytes.Clone(s.snapshot), append([]uint64(nil), s.snapUpTo...), nil
}

// SaveAnalyticsSnapshot implements store.Facts.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, data []byte, upTo []uint64) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.snapshot, s.snapUpTo = bytes.Clone(data), append([]uint64(nil), upTo...)
	for p := 0; p < store.Partitions && p < len(upTo); p++ {
		kept := s.facts[p][:0]
		for _, f := range s.facts[p] {
			if f.Seq > upTo[p] {
				kept = append(kept, f)
			}
		}
		s.facts[p] = kept
	}
	return nil
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
	d.Claim, d.ClaimedUntil = "", time.Time{}
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

// ClaimDeliveries implements store.Queue.
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]store.Delivery, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var due []store.Delivery
	for _, d := range s.deliveries {
		if d.State == store.DeliveryPending && !d.Due.After(now) && (d.Claim == "" || d.Claim == worker || !now.Before(d.ClaimedUntil)) {
			due = append(due, d)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].Due.Equal(due[j].Due) {
			return due[i].Due.Before(due[j].Due)
		}
		return due[i].ID < due[j].ID
	})
	if len(due) > max {
		due = due[:max]
	}
	for i := range due {
		due[i].Claim, due[i].ClaimedUntil = worker, now.Add(lease)
		s.deliveries[due[i].ID] = due[i]
		due[i].Data = bytes.Clone(due[i].Data)
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

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
