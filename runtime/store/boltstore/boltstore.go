package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/waymarkhq/waymark/runtime/store"
)

// FileName is the name of the database file in the data directory.
const FileName = "waymark.db"

// Options configure a Store.
type Options struct {
	// DedupWindow is how long an event id deduplicates (default 7 days).
	DedupWindow time.Duration
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// MaxGroup caps the records that one group commit writes (default
	// 20,000).
	MaxGroup int
}

// Buckets.
var (
	bMeta        = []byte("meta")
	bStacks      = []byte("stacks")      // stack -> serial (8 bytes)
	bDeployments = []byte("deployments") // stack \x00 serial -> deployment JSON
	bTokens      = []byte("tokens")      // name -> token JSON
	bTokenHashes = []byte("token_hashes")
	bLog         = []byte("log")       // seq -> arrival, id, data
	bCustomers   = []byte("customers") // id -> data
	bFacts       = []byte("facts")     // seq -> fact
	bAnalytics   = []byte("analytics") // snapshot -> analytics snapshot
	bModels      = []byte("models")    // key -> model state
	bDecisions   = []byte("decisions") // id -> customer, time, record
	bDecisionsBy = []byte("decisions_by_customer")
	bDeliveries  = []byte("deliveries")             // id -> customer, state, updated, entry
	bDeliveryBy  = []byte("deliveries_by_customer") // entries with a customer only
	bDeliveryIn  = []byte("deliveries_by_state")

	kCursor   = []byte("cursor")
	kSnapshot = []byte("snapshot")

	// bTransitions held journey transitions before facts replaced them; it
	// is dropped at open.
	bTransitions = []byte("transitions")
)

// Store is the embedded store.Store.
type Store struct {
	db   *bolt.DB
	opts Options

	closeMu sync.RWMutex // held for reading by calls in flight
	closed  bool

	appends chan *appendReq
	stop    chan struct{}
	stopped chan struct{}

	lastSeq atomic.Uint64

	// seen maps an event id to its arrival (unix nanoseconds); only the
	// commit loop touches it. order lists ids by arrival, for pruning.
	seen  map[string]int64
	order []seenID
}

type seenID struct {
	id      string
	arrival int64
}

type appendReq struct {
	recs []store.LogRecord
	seqs []uint64
	err  error
	done chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the store in directory dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 20000
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         time.Second,
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: another runtime is using this data directory", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &Store{
		db: db, opts: opts,
		appends: make(chan *appendReq, 256),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		seen:    map[string]int64{},
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

// init creates the buckets and loads the ids still inside the
// deduplication window.
func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bStacks, bDeployments, bTokens, bTokenHashes, bLog, bCustomers, bFacts, bAnalytics,
			bModels, bDecisions, bDecisionsBy, bDeliveries, bDeliveryBy, bDeliveryIn} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bTransitions); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("initialising store: %w", err)
	}
	horizon := s.opts.Now().Add(-s.opts.DedupWindow).UnixNano()
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bLog)
		s.lastSeq.Store(b.Sequence())
		c := b.Cursor()
		var ids []seenID
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			arrival, id, _, err := decodeLog(v)
			if err != nil {
				return fmt.Errorf("log record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if arrival <= horizon {
				break
			}
			if id != "" {
				ids = append(ids, seenID{id, arrival})
			}
		}
		for i := len(ids) - 1; i >= 0; i-- {
			s.seen[ids[i].id] = ids[i].arrival
			s.order = append(s.order, ids[i])
		}
		return nil
	})
}

func (s *Store) enter() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.closeMu.RUnlock() }

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

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

func encodeLog(r store.LogRecord) []byte {
	b := make([]byte, 0, 8+binary.MaxVarintLen64+len(r.ID)+len(r.Data))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Arrival.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(r.ID)))
	b = append(b, r.ID...)
	return append(b, r.Data...)
}

func decodeLog(v []byte) (arrival int64, id string, data []byte, err error) {
	if len(v) < 9 {
		return 0, "", nil, errors.New("record too short")
	}
	arrival = int64(binary.BigEndian.Uint64(v))
	n, w := binary.Uvarint(v[8:])
	if w <= 0 || uint64(len(v)-8-w) < n {
		return 0, "", nil, errors.New("corrupt id length")
	}
	id = string(v[8+w : 8+w+int(n)])
	return arrival, id, v[8+w+int(n):], nil
}

// Deploy implements store.Store.
func (s *Store) Deploy(ctx context.Context, d store.Deployment, base int64, rec store.LogRecord) (store.Deployment, error) {
	if err := s.enter(); err != nil {
		return store.Deployment{}, err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		stacks := tx.Bucket(bStacks)
		var cur int64
		if v := stacks.Get([]byte(d.Stack)); v != nil {
			cur = int64(binary.BigEndian.Uint64(v))
		}
		if cur != base {
			return &store.StaleError{Stack: d.Stack, Base: base, Current: cur}
		}
		log := tx.Bucket(bLog)
		seq, err := log.NextSequence()
		if err != nil {
			return err
		}
		rec.ID = ""
		if err := log.Put(u64(seq), encodeLog(rec)); err != nil {
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
	s.advance(d.Seq)
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

// Stacks implements store.Store.
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

// Deployment implements store.Store.
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

// History implements store.Store.
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

// CreateToken implements store.Store.
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

// TokenByHash implements store.Store.
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

// Tokens implements store.Store.
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

// Append implements store.Store. The records wait for the commit loop,
// which writes every append queued meanwhile in one transaction.
func (s *Store) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(recs) == 0 {
		return nil, nil
	}
	req := &appendReq{recs: recs, done: make(chan struct{})}
	select {
	case s.appends <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued the append happens; wait for its outcome so that the
	// answer is true.
	<-req.done
	return req.seqs, req.err
}

func (s *Store) commitLoop() {
	defer close(s.stopped)
	for {
		var first *appendReq
		select {
		case first = <-s.appends:
		case <-s.stop:
			return
		}
		group := []*appendReq{first}
		n := len(first.recs)
	drain:
		for n < s.opts.MaxGroup {
			select {
			case r := <-s.appends:
				group = append(group, r)
				n += len(r.recs)
			default:
				break drain
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup writes the records of a group in one transaction, skipping
// ids seen within the window (including earlier in the group).
func (s *Store) commitGroup(group []*appendReq) {
	now := s.opts.Now()
	horizon := now.Add(-s.opts.DedupWindow).UnixNano()
	s.prune(horizon)
	fresh := map[string]int64{}
	var added []seenID
	var last uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		clear(fresh)
		added = added[:0]
		b := tx.Bucket(bLog)
		b.FillPercent = 1 // keys only grow
		for _, req := range group {
			req.seqs = make([]uint64, len(req.recs))
			for i, r := range req.recs {
				if r.ID != "" {
					if at, ok := s.seen[r.ID]; ok && at > horizon {
						continue
					}
					if _, ok := fresh[r.ID]; ok {
						continue
					}
					fresh[r.ID] = r.Arrival.UnixNano()
					added = append(added, seenID{r.ID, r.Arrival.UnixNano()})
				}
				seq, err := b.NextSequence()
				if err != nil {
					return err
				}
				if err := b.Put(u64(seq), encodeLog(r)); err != nil {
					return err
				}
				req.seqs[i] = seq
				last = seq
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("appending to the event log: %w", err)
		for _, req := range group {
			req.seqs, req.err = nil, err
		}
	} else {
		for _, a := range added {
			s.seen[a.id] = a.arrival
		}
		s.order = append(s.order, added...)
		s.advance(last)
	}
	for _, req := range group {
		close(req.done)
	}
}

// advance raises lastSeq to seq; commits of appends and of deployments may
// report out of order.
func (s *Store) advance(seq uint64) {
	for {
		cur := s.lastSeq.Load()
		if seq <= cur || s.lastSeq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// prune forgets ids that arrived before horizon.
func (s *Store) prune(horizon int64) {
	i := 0
	for i < len(s.order) && s.order[i].arrival <= horizon {
		if s.seen[s.order[i].id] == s.order[i].arrival {
			delete(s.seen, s.order[i].id)
		}
		i++
	}
	if i > 0 {
		s.order = append(s.order[:0:0], s.order[i:]...)
	}
}

// ReadLog implements store.Store.
func (s *Store) ReadLog(ctx context.Context, after uint64, max int) ([]store.LogRecord, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.LogRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bLog).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			arrival, id, data, err := decodeLog(v)
			if err != nil {
				return fmt.Errorf("log record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, store.LogRecord{
				Seq: binary.BigEndian.Uint64(k), ID: id,
				Arrival: time.Unix(0, arrival).UTC(), Data: bytes.Clone(data),
			})
		}
		return nil
	})
	return out, err
}

// LastSeq implements store.Store.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	return s.lastSeq.Load(), nil
}

// Commit implements store.Store.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bCustomers)
		for _, id := range c.Delete {
			if err := cb.Delete([]byte(id)); err != nil {
				return err
			}
			if err := eraseCustomer(tx, id); err != nil {
				return err
			}
		}
		for _, cu := range c.Customers {
			if err := cb.Put([]byte(cu.ID), cu.Data); err != nil {
				return fmt.Errorf("customer %q: %w", cu.ID, err)
			}
		}
		mb := tx.Bucket(bModels)
		for _, m := range c.Models {
			if err := mb.Put([]byte(m.Key), m.Data); err != nil {
				return fmt.Errorf("model %q: %w", m.Key, err)
			}
		}
		if _, err := addDeliveries(tx, c.Deliveries); err != nil {
			return err
		}
		if err := appendFacts(tx, c.Facts); err != nil {
			return err
		}
		var cur [16]byte
		binary.BigEndian.PutUint64(cur[:8], c.Cursor.Seq)
		var wm int64
		if !c.Cursor.Watermark.IsZero() {
			wm = c.Cursor.Watermark.UnixNano()
		}
		binary.BigEndian.PutUint64(cur[8:], uint64(wm))
		return tx.Bucket(bMeta).Put(kCursor, cur[:])
	})
	if err != nil {
		return fmt.Errorf("committing processed events: %w", err)
	}
	return nil
}

// Cursor implements store.Store.
func (s *Store) Cursor(ctx context.Context) (store.Cursor, error) {
	if err := s.enter(); err != nil {
		return store.Cursor{}, err
	}
	defer s.leave()
	var c store.Cursor
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(kCursor)
		if len(v) == 16 {
			c.Seq = binary.BigEndian.Uint64(v)
			if wm := int64(binary.BigEndian.Uint64(v[8:])); wm != 0 {
				c.Watermark = time.Unix(0, wm).UTC()
			}
		}
		return nil
	})
	return c, err
}

// Customer implements store.Store.
func (s *Store) Customer(ctx context.Context, id string) (store.Customer, error) {
	if err := s.enter(); err != nil {
		return store.Customer{}, err
	}
	defer s.leave()
	var c store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCustomers).Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		c = store.Customer{ID: id, Data: bytes.Clone(v)}
		return nil
	})
	return c, err
}

// Customers implements store.Store.
func (s *Store) Customers(ctx context.Context, fn func(store.Customer) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCustomers).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(store.Customer{ID: string(k), Data: bytes.Clone(v)})
		})
	})
}

// appendFacts appends facts to the facts bucket, each with the next
// sequence number. The bucket's sequence survives deletions, so a number is
// never given twice.
func appendFacts(tx *bolt.Tx, facts []store.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	b := tx.Bucket(bFacts)
	b.FillPercent = 1 // keys only grow
	for _, f := range facts {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(u64(seq), f.Data); err != nil {
			return fmt.Errorf("fact %d: %w", seq, err)
		}
	}
	return nil
}

// Facts implements store.Store.
func (s *Store) Facts(ctx context.Context, after uint64, max int) ([]store.Fact, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Fact
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bFacts).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			out = append(out, store.Fact{Seq: binary.BigEndian.Uint64(k), Data: bytes.Clone(v)})
		}
		return nil
	})
	return out, err
}

// AnalyticsSnapshot implements store.Store. An empty snapshot is none.
func (s *Store) AnalyticsSnapshot(ctx context.Context) ([]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bAnalytics).Get(kSnapshot))
		return nil
	})
	return out, err
}

// SaveAnalyticsSnapshot implements store.Store. If upTo is beyond the last
// fact, the sequence is raised to it, so that no later fact gets a number
// the snapshot claims to hold.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, snapshot []byte, upTo uint64) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		a := tx.Bucket(bAnalytics)
		put := func() error { return a.Put(kSnapshot, snapshot) }
		if len(snapshot) == 0 {
			put = func() error { return a.Delete(kSnapshot) }
		}
		if err := put(); err != nil {
			return err
		}
		// Keys first, then deletions: a cursor moved while its bucket
		// shrinks skips keys or, from First, walks the emptied pages again.
		b := tx.Bucket(bFacts)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= upTo; k, _ = c.Next() {
			keys = append(keys, k)
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if upTo > b.Sequence() {
			return b.SetSequence(upTo)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving the analytics snapshot: %w", err)
	}
	return nil
}

// byCustomer is the key of an index entry: the customer's id, length
// first, then the id of what it indexes.
func byCustomer(customer, id string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(customer)+len(id)+2), uint64(len(customer)))
	b = append(b, customer...)
	return append(b, id...)
}

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(v []byte) (string, []byte, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < n {
		return "", nil, errors.New("corrupt string")
	}
	return string(v[w : w+int(n)]), v[w+int(n):], nil
}

func encodeDecision(d store.Decision) []byte {
	b := putString(make([]byte, 0, len(d.Customer)+len(d.Data)+10), d.Customer)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Time.UnixNano()))
	return append(b, d.Data...)
}

func decodeDecision(id string, v []byte) (store.Decision, error) {
	cust, rest, err := readString(v)
	if err != nil || len(rest) < 8 {
		return store.Decision{}, fmt.Errorf("decision %s: corrupt record", id)
	}
	return store.Decision{ID: id, Customer: cust, Time: time.Unix(0, int64(binary.BigEndian.Uint64(rest))).UTC(), Data: bytes.Clone(rest[8:])}, nil
}

func encodeDelivery(d store.Delivery) []byte {
	b := putString(make([]byte, 0, len(d.Customer)+len(d.Data)+24), d.Customer)
	b = putString(b, string(d.State))
	b = binary.BigEndian.AppendUint64(b, uint64(d.Updated.UnixNano()))
	return append(b, d.Data...)
}

func decodeDelivery(id string, v []byte) (store.Delivery, error) {
	bad := fmt.Errorf("delivery %s: corrupt entry", id)
	cust, rest, err := readString(v)
	if err != nil {
		return store.Delivery{}, bad
	}
	state, rest, err := readString(rest)
	if err != nil || len(rest) < 8 {
		return store.Delivery{}, bad
	}
	return store.Delivery{ID: id, Customer: cust, State: store.DeliveryState(state),
		Updated: time.Unix(0, int64(binary.BigEndian.Uint64(rest))).UTC(), Data: bytes.Clone(rest[8:])}, nil
}

// putDelivery writes d and its index entries, moving its state index entry
// from old (empty for a new entry).
func putDelivery(tx *bolt.Tx, d store.Delivery, old store.DeliveryState) error {
	if old != "" {
		if err := tx.Bucket(bDeliveryIn).Delete(byCustomer(string(old), d.ID)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bDeliveries).Put([]byte(d.ID), encodeDelivery(d)); err != nil {
		return fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	if err := tx.Bucket(bDeliveryIn).Put(byCustomer(string(d.State), d.ID), nil); err != nil {
		return err
	}
	if d.Customer == "" {
		return nil // no customer's erasure concerns it
	}
	return tx.Bucket(bDeliveryBy).Put(byCustomer(d.Customer, d.ID), nil)
}

func deleteDelivery(tx *bolt.Tx, d store.Delivery) error {
	if err := tx.Bucket(bDeliveries).Delete([]byte(d.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bDeliveryIn).Delete(byCustomer(string(d.State), d.ID)); err != nil {
		return err
	}
	if d.Customer == "" {
		return nil
	}
	return tx.Bucket(bDeliveryBy).Delete(byCustomer(d.Customer, d.ID))
}

// indexed returns the ids an index holds under prefix.
func indexed(b *bolt.Bucket, prefix []byte) []string {
	var ids []string
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

// eraseCustomer deletes a customer's decision records and outbox entries.
// Entries with no customer are not indexed by customer, so an empty id
// never reaches them.
func eraseCustomer(tx *bolt.Tx, customer string) error {
	prefix := byCustomer(customer, "")
	for _, id := range indexed(tx.Bucket(bDecisionsBy), prefix) {
		if err := tx.Bucket(bDecisions).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bDecisionsBy).Delete(byCustomer(customer, id)); err != nil {
			return err
		}
	}
	for _, id := range indexed(tx.Bucket(bDeliveryBy), prefix) {
		v := tx.Bucket(bDeliveries).Get([]byte(id))
		if v == nil {
			continue
		}
		d, err := decodeDelivery(id, v)
		if err != nil {
			return err
		}
		if err := deleteDelivery(tx, d); err != nil {
			return err
		}
	}
	return nil
}

// Models implements store.Store.
func (s *Store) Models(ctx context.Context) ([]store.Model, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Model
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bModels).ForEach(func(k, v []byte) error {
			out = append(out, store.Model{Key: string(k), Data: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}

// PutDecisions implements store.Store.
func (s *Store) PutDecisions(ctx context.Context, ds []store.Decision) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if len(ds) == 0 {
		return nil
	}
	// In order of id, which is mostly the order of time: appends, which
	// fill the bucket's pages to the brim.
	sorted := slices.SortedFunc(slices.Values(ds), func(a, b store.Decision) int { return strings.Compare(a.ID, b.ID) })
	// The index too, so that each of its pages is written once.
	keys := make([][]byte, len(ds))
	for i, d := range ds {
		keys[i] = byCustomer(d.Customer, d.ID)
	}
	slices.SortFunc(keys, bytes.Compare)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, idx := tx.Bucket(bDecisions), tx.Bucket(bDecisionsBy)
		b.FillPercent = 0.95
		for _, d := range sorted {
			if err := b.Put([]byte(d.ID), encodeDecision(d)); err != nil {
				return fmt.Errorf("decision %s: %w", d.ID, err)
			}
		}
		for _, k := range keys {
			if err := idx.Put(k, nil); err != nil {
				return err
			}
		}
		for _, d := range ds {
			if err := appendFacts(tx, d.Facts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing decision records: %w", err)
	}
	return nil
}

// Decision implements store.Store.
func (s *Store) Decision(ctx context.Context, id string) (store.Decision, error) {
	if err := s.enter(); err != nil {
		return store.Decision{}, err
	}
	defer s.leave()
	var d store.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDecisions).Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		d, err = decodeDecision(id, v)
		return err
	})
	return d, err
}

// CustomerDecisions implements store.Store.
func (s *Store) CustomerDecisions(ctx context.Context, customer string, max int) ([]store.Decision, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := byCustomer(customer, "")
		c := tx.Bucket(bDecisionsBy).Cursor()
		k, _ := c.Seek(append(bytes.Clone(prefix), 0xff))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		b := tx.Bucket(bDecisions)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, _ = c.Prev() {
			id := string(k[len(prefix):])
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDecision(id, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// pruneBatch bounds the records one pruning transaction deletes.
const pruneBatch = 10000

// PruneDecisions implements store.Store.
func (s *Store) PruneDecisions(ctx context.Context, before time.Time) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	total := 0
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			b, idx := tx.Bucket(bDecisions), tx.Bucket(bDecisionsBy)
			c := b.Cursor()
			for k, v := c.First(); k != nil && n < pruneBatch; k, v = c.First() {
				d, err := decodeDecision(string(k), v)
				if err != nil {
					return err
				}
				if !d.Time.Before(before) {
					break
				}
				if err := idx.Delete(byCustomer(d.Customer, d.ID)); err != nil {
					return err
				}
				if err := b.Delete(k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("pruning decision records: %w", err)
		}
		if n < pruneBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// Delivery implements store.Store.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	if err := s.enter(); err != nil {
		return store.Delivery{}, err
	}
	defer s.leave()
	var d store.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDeliveries).Get([]byte(id))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		d, err = decodeDelivery(id, v)
		return err
	})
	return d, err
}

// Deliveries implements store.Store.
func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, after string, max int) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := byCustomer(string(state), "")
		c := tx.Bucket(bDeliveryIn).Cursor()
		k, _ := c.Seek(byCustomer(string(state), after))
		if k != nil && string(k[len(prefix):]) == after {
			k, _ = c.Next()
		}
		b := tx.Bucket(bDeliveries)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, _ = c.Next() {
			id := string(k[len(prefix):])
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDelivery(id, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// addDeliveries adds the entries whose ID is not in the outbox (nor earlier
// in ds) and returns them.
func addDeliveries(tx *bolt.Tx, ds []store.Delivery) ([]store.Delivery, error) {
	var added []store.Delivery
	b := tx.Bucket(bDeliveries)
	for _, d := range ds {
		if b.Get([]byte(d.ID)) != nil {
			continue
		}
		if err := putDelivery(tx, d, ""); err != nil {
			return nil, err
		}
		added = append(added, d)
	}
	return added, nil
}

// AddDeliveries implements store.Store.
func (s *Store) AddDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(ds) == 0 {
		return nil, nil
	}
	var added []store.Delivery
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		added, err = addDeliveries(tx, ds)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("adding to the outbox: %w", err)
	}
	return added, nil
}

// UpdateDelivery implements store.Store.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDeliveries).Get([]byte(d.ID))
		if v == nil {
			return store.ErrNotFound
		}
		old, err := decodeDelivery(d.ID, v)
		if err != nil {
			return err
		}
		if old.Customer != d.Customer && old.Customer != "" {
			if err := tx.Bucket(bDeliveryBy).Delete(byCustomer(old.Customer, d.ID)); err != nil {
				return err
			}
		}
		return putDelivery(tx, d, old.State)
	})
}

// PruneDeliveries implements store.Store.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, state := range []store.DeliveryState{store.DeliveryDelivered, store.DeliveryCancelled} {
			b := tx.Bucket(bDeliveries)
			for _, id := range indexed(tx.Bucket(bDeliveryIn), byCustomer(string(state), "")) {
				v := b.Get([]byte(id))
				if v == nil {
					continue
				}
				d, err := decodeDelivery(id, v)
				if err != nil {
					return err
				}
				if !d.Updated.Before(before) {
					continue
				}
				if err := deleteDelivery(tx, d); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("pruning delivered entries: %w", err)
	}
	return n, nil
}

// Close implements store.Store: it waits for calls in flight, stops the
// commit loop and closes the file.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.stop)
	<-s.stopped
	return s.db.Close()
}
