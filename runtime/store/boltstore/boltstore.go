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
	bLog         = []byte("log")        // seq -> partition, times, id, data
	bCustomers   = []byte("customers")  // partition id -> due, data
	bTimers      = []byte("timers")     // partition due id
	bCounts      = []byte("counts")     // partition key -> int64
	bCursors     = []byte("cursors")    // partition -> seq, clock, arrival clock
	bLeases      = []byte("leases")     // partition -> owner, epoch, expires
	bMembers     = []byte("members")    // name -> expires
	bFacts       = []byte("facts")      // partition seq -> fact
	bFactHeads   = []byte("fact_heads") // partition -> last seq given
	bAnalytics   = []byte("analytics")  // snapshot -> analytics snapshot
	bModels      = []byte("models")     // partition key -> model state
	bAudit       = []byte("audit")      // seq -> record JSON
	bDecisions   = []byte("decisions")  // id -> customer, time, record
	bDecisionsBy = []byte("decisions_by_customer")
	bDeliveries  = []byte("deliveries")             // id -> customer, state, updated, entry
	bDeliveryBy  = []byte("deliveries_by_customer") // entries with a customer only
	bDeliveryIn  = []byte("deliveries_by_state")
	bDeliveryDue = []byte("deliveries_due") // due id, of pending entries

	kHead     = []byte("head")
	kFormat   = []byte("format")
	kSnapshot = []byte("snapshot")
	kSnapUpTo = []byte("snapshot_up_to")

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
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		if log := tx.Bucket(bLog); log != nil && log.Sequence() > 0 && meta.Get(kFormat) == nil {
			return errors.New("the store was written by an earlier version of waymark, before partitions: start with an empty data directory")
		}
		if err := meta.Put(kFormat, []byte{formatVersion}); err != nil {
			return err
		}
		for _, b := range [][]byte{bStacks, bDeployments, bTokens, bTokenHashes, bLog, bCustomers, bTimers, bCounts,
			bCursors, bLeases, bMembers, bFacts, bFactHeads, bAnalytics, bModels, bAudit, bDecisions, bDecisionsBy,
			bDeliveries, bDeliveryBy, bDeliveryIn, bDeliveryDue} {
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
		c := tx.Bucket(bLog).Cursor()
		var ids []seenID
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			r, err := decodeLog(k, v)
			if err != nil {
				return err
			}
			arrival := r.Arrival.UnixNano()
			if arrival <= horizon {
				break
			}
			if r.ID != "" {
				ids = append(ids, seenID{r.ID, arrival})
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

// formatVersion is the layout of the file: 2 is partitioned.
const formatVersion = 2

// nano is a time as stored: Unix nanoseconds, 0 for the zero time.
func nano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// ordered is a time as a key that sorts as the time does.
func ordered(t time.Time) []byte { return u64(uint64(nano(t)) ^ 1<<63) }

func u16(p int) []byte { return []byte{byte(p >> 8), byte(p)} }

// partKey is a key in a partition's part of a bucket.
func partKey(p int, rest ...[]byte) []byte {
	k := u16(p)
	for _, r := range rest {
		k = append(k, r...)
	}
	return k
}

func encodeLog(r store.LogRecord) []byte {
	b := make([]byte, 0, 40+binary.MaxVarintLen64*2+len(r.ID)+len(r.Data))
	b = binary.AppendUvarint(b, uint64(r.Partition+1))
	for _, t := range []time.Time{r.Arrival, r.Time, r.Clock, r.ArrivalClock} {
		b = binary.BigEndian.AppendUint64(b, uint64(nano(t)))
	}
	b = binary.AppendUvarint(b, uint64(len(r.ID)))
	b = append(b, r.ID...)
	return append(b, r.Data...)
}

// decodeLog reads a record; its Data aliases v.
func decodeLog(k, v []byte) (store.LogRecord, error) {
	seq := binary.BigEndian.Uint64(k)
	bad := fmt.Errorf("log record %d is corrupt", seq)
	p, w := binary.Uvarint(v)
	if w <= 0 || p > store.Partitions || len(v) < w+32 {
		return store.LogRecord{}, bad
	}
	r := store.LogRecord{Seq: seq, Partition: int(p) - 1}
	v = v[w:]
	ts := make([]time.Time, 4)
	for i := range ts {
		ts[i] = fromNano(int64(binary.BigEndian.Uint64(v)))
		v = v[8:]
	}
	r.Arrival, r.Time, r.Clock, r.ArrivalClock = ts[0], ts[1], ts[2], ts[3]
	n, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < n {
		return store.LogRecord{}, bad
	}
	r.ID = string(v[w : w+int(n)])
	r.Data = v[w+int(n):]
	return r, nil
}

func readHead(tx *bolt.Tx) store.Head {
	v := tx.Bucket(bMeta).Get(kHead)
	if len(v) != 24 {
		return store.Head{}
	}
	return store.Head{Seq: binary.BigEndian.Uint64(v), Clock: fromNano(int64(binary.BigEndian.Uint64(v[8:]))),
		ArrivalClock: fromNano(int64(binary.BigEndian.Uint64(v[16:])))}
}

func writeHead(tx *bolt.Tx, h store.Head) error {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(nano(h.Clock)))
	b = binary.BigEndian.AppendUint64(b, uint64(nano(h.ArrivalClock)))
	return tx.Bucket(bMeta).Put(kHead, b)
}

// appendRecord gives r its sequence number and clocks and writes it.
func appendRecord(b *bolt.Bucket, h *store.Head, r *store.LogRecord) error {
	if r.Partition < store.AllPartitions || r.Partition >= store.Partitions {
		return fmt.Errorf("log record of partition %d", r.Partition)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	r.Seq, r.Clock, r.ArrivalClock = seq, h.Clock, h.ArrivalClock
	if err := b.Put(u64(seq), encodeLog(*r)); err != nil {
		return err
	}
	h.Seq = seq
	if r.Time.After(h.Clock) {
		h.Clock = r.Time
	}
	if r.Arrival.After(h.ArrivalClock) {
		h.ArrivalClock = r.Arrival
	}
	return nil
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
		h := readHead(tx)
		rec.ID, rec.Partition = "", store.AllPartitions
		if err := appendRecord(tx.Bucket(bLog), &h, &rec); err != nil {
			return err
		}
		if err := writeHead(tx, h); err != nil {
			return err
		}
		d.Serial, d.Seq = cur+1, rec.Seq
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		clear(fresh)
		added = added[:0]
		b := tx.Bucket(bLog)
		b.FillPercent = 1 // keys only grow
		h := readHead(tx)
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
				if err := appendRecord(b, &h, &r); err != nil {
					return err
				}
				req.seqs[i] = r.Seq
			}
		}
		return writeHead(tx, h)
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
	}
	for _, req := range group {
		close(req.done)
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

// Read implements store.Log: one scan of the log from the lowest
// position asked for, keeping the records of the partitions asked for.
func (s *Store) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	if err := s.enter(); err != nil {
		return nil, store.Head{}, err
	}
	defer s.leave()
	var after [store.Partitions]uint64
	var want [store.Partitions]bool
	low := uint64(0)
	for i, f := range from {
		if f.Partition < 0 || f.Partition >= store.Partitions {
			return nil, store.Head{}, fmt.Errorf("reading partition %d", f.Partition)
		}
		if !want[f.Partition] || f.After < after[f.Partition] {
			after[f.Partition] = f.After
		}
		want[f.Partition] = true
		if i == 0 || f.After < low {
			low = f.After
		}
	}
	var out []store.LogRecord
	var head store.Head
	err := s.db.View(func(tx *bolt.Tx) error {
		head = readHead(tx)
		if len(from) == 0 {
			return nil
		}
		c := tx.Bucket(bLog).Cursor()
		for k, v := c.Seek(u64(low + 1)); k != nil && len(out) < max; k, v = c.Next() {
			r, err := decodeLog(k, v)
			if err != nil {
				return err
			}
			if r.Seq > head.Seq {
				break
			}
			if r.Partition != store.AllPartitions && (!want[r.Partition] || r.Seq <= after[r.Partition]) {
				continue
			}
			r.Data = bytes.Clone(r.Data)
			out = append(out, r)
		}
		return nil
	})
	return out, head, err
}

// Head implements store.Log.
func (s *Store) Head(ctx context.Context) (store.Head, error) {
	if err := s.enter(); err != nil {
		return store.Head{}, err
	}
	defer s.leave()
	var h store.Head
	err := s.db.View(func(tx *bolt.Tx) error {
		h = readHead(tx)
		return nil
	})
	return h, err
}

// AddAudit implements store.Audit.
func (s *Store) AddAudit(ctx context.Context, a store.AuditRecord) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		a.Seq = seq
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put(u64(seq), v)
	})
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
			var a store.AuditRecord
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("audit record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func encodeLease(l store.Lease) []byte {
	b := putString(nil, l.Owner)
	b = binary.BigEndian.AppendUint64(b, l.Epoch)
	return binary.BigEndian.AppendUint64(b, uint64(nano(l.Expires)))
}

func getLease(tx *bolt.Tx, p int) store.Lease {
	l := store.Lease{Partition: p}
	v := tx.Bucket(bLeases).Get(u16(p))
	owner, rest, err := readString(v)
	if v == nil || err != nil || len(rest) != 16 {
		return l
	}
	l.Owner, l.Epoch, l.Expires = owner, binary.BigEndian.Uint64(rest), fromNano(int64(binary.BigEndian.Uint64(rest[8:])))
	return l
}

// Heartbeat implements store.Leases.
func (s *Store) Heartbeat(ctx context.Context, owner string, ttl time.Duration) ([]store.Member, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Member
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bMembers)
		now := s.opts.Now()
		if ttl > 0 {
			if err := b.Put([]byte(owner), u64(uint64(now.Add(ttl).UnixNano()))); err != nil {
				return err
			}
		} else if err := b.Delete([]byte(owner)); err != nil {
			return err
		}
		var gone [][]byte
		err := b.ForEach(func(k, v []byte) error {
			exp := fromNano(int64(binary.BigEndian.Uint64(v)))
			if now.Before(exp) {
				out = append(out, store.Member{Name: string(k), Expires: exp})
			} else {
				gone = append(gone, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return err
	})
	return out, err
}

// Leases implements store.Leases.
func (s *Store) Leases(ctx context.Context) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := make([]store.Lease, store.Partitions)
	err := s.db.View(func(tx *bolt.Tx) error {
		for p := range out {
			out[p] = getLease(tx, p)
		}
		return nil
	})
	return out, err
}

// AcquireLeases implements store.Leases.
func (s *Store) AcquireLeases(ctx context.Context, owner string, ps []int, ttl time.Duration) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Lease
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		now := s.opts.Now()
		for _, p := range ps {
			if p < 0 || p >= store.Partitions {
				return fmt.Errorf("leasing partition %d", p)
			}
			l := getLease(tx, p)
			if l.Owner != "" && l.Owner != owner && now.Before(l.Expires) {
				continue
			}
			if l.Owner != owner {
				l.Epoch++
			}
			l.Owner, l.Expires = owner, now.Add(ttl)
			if err := tx.Bucket(bLeases).Put(u16(p), encodeLease(l)); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// RenewLeases implements store.Leases.
func (s *Store) RenewLeases(ctx context.Context, owner string, held []store.Lease, ttl time.Duration) ([]store.Lease, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Lease
	if len(held) == 0 {
		return nil, nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		now := s.opts.Now()
		for _, h := range held {
			if h.Partition < 0 || h.Partition >= store.Partitions {
				continue
			}
			l := getLease(tx, h.Partition)
			if l.Owner != owner || l.Epoch != h.Epoch {
				continue
			}
			l.Expires = now.Add(ttl)
			if err := tx.Bucket(bLeases).Put(u16(h.Partition), encodeLease(l)); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// ReleaseLeases implements store.Leases.
func (s *Store) ReleaseLeases(ctx context.Context, ls []store.Lease) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if len(ls) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, h := range ls {
			if h.Partition < 0 || h.Partition >= store.Partitions {
				continue
			}
			l := getLease(tx, h.Partition)
			if l.Owner != h.Owner || l.Epoch != h.Epoch {
				continue
			}
			l.Owner, l.Expires = "", time.Time{}
			if err := tx.Bucket(bLeases).Put(u16(h.Partition), encodeLease(l)); err != nil {
				return err
			}
		}
		return nil
	})
}

// customerKey is a customer's key: their partition, then their id, so
// that a partition's customers are together.
func customerKey(id string) []byte { return partKey(store.PartitionOf(id), []byte(id)) }

func encodeCustomer(c store.Customer) []byte {
	b := make([]byte, 0, 8+len(c.Data))
	b = binary.BigEndian.AppendUint64(b, uint64(nano(c.Due)))
	return append(b, c.Data...)
}

// decodeCustomer reads a customer; Data aliases v.
func decodeCustomer(id string, v []byte) (store.Customer, error) {
	if len(v) < 8 {
		return store.Customer{}, fmt.Errorf("customer %q: corrupt state", id)
	}
	return store.Customer{ID: id, Partition: store.PartitionOf(id), Due: fromNano(int64(binary.BigEndian.Uint64(v))), Data: v[8:]}, nil
}

func timerKey(p int, due time.Time, id string) []byte { return partKey(p, ordered(due), []byte(id)) }

// deleteCustomer removes a customer with their timer's index entry.
func deleteCustomer(tx *bolt.Tx, id string) error {
	cb := tx.Bucket(bCustomers)
	k := customerKey(id)
	v := cb.Get(k)
	if v == nil {
		return nil
	}
	old, err := decodeCustomer(id, v)
	if err != nil {
		return err
	}
	if !old.Due.IsZero() {
		if err := tx.Bucket(bTimers).Delete(timerKey(old.Partition, old.Due, id)); err != nil {
			return err
		}
	}
	return cb.Delete(k)
}

// putCustomer writes a customer and moves their timer's index entry when
// its due time changed.
func putCustomer(tx *bolt.Tx, c store.Customer) error {
	cb := tx.Bucket(bCustomers)
	k := customerKey(c.ID)
	c.Partition = store.PartitionOf(c.ID)
	var oldDue time.Time
	if v := cb.Get(k); len(v) >= 8 {
		oldDue = fromNano(int64(binary.BigEndian.Uint64(v)))
	}
	if !oldDue.Equal(c.Due) {
		if !oldDue.IsZero() {
			if err := tx.Bucket(bTimers).Delete(timerKey(c.Partition, oldDue, c.ID)); err != nil {
				return err
			}
		}
		if !c.Due.IsZero() {
			if err := tx.Bucket(bTimers).Put(timerKey(c.Partition, c.Due, c.ID), nil); err != nil {
				return err
			}
		}
	}
	return cb.Put(k, encodeCustomer(c))
}

// Commit implements store.State.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, l := range c.Leases {
			if l.Partition < 0 || l.Partition >= store.Partitions {
				return fmt.Errorf("a commit fenced by partition %d", l.Partition)
			}
			if cur := getLease(tx, l.Partition); cur.Owner != l.Owner || cur.Epoch != l.Epoch {
				return store.ErrLeaseLost
			}
		}
		for _, id := range c.Delete {
			if err := deleteCustomer(tx, id); err != nil {
				return err
			}
			if err := eraseCustomer(tx, id); err != nil {
				return err
			}
		}
		// In order of key, so that each page is found once and written once.
		cs := slices.Clone(c.Customers)
		slices.SortFunc(cs, func(a, b store.Customer) int { return bytes.Compare(customerKey(a.ID), customerKey(b.ID)) })
		for _, cu := range cs {
			if err := putCustomer(tx, cu); err != nil {
				return fmt.Errorf("customer %q: %w", cu.ID, err)
			}
		}
		mb := tx.Bucket(bModels)
		for _, m := range c.Models {
			if err := mb.Put(partKey(m.Partition, []byte(m.Key)), m.Data); err != nil {
				return fmt.Errorf("model %q: %w", m.Key, err)
			}
		}
		cb := tx.Bucket(bCounts)
		for _, n := range c.Counts {
			k := partKey(n.Partition, []byte(n.Key))
			var cur int64
			if v := cb.Get(k); len(v) == 8 {
				cur = int64(binary.BigEndian.Uint64(v))
			}
			cur += n.Delta
			var err error
			if cur == 0 {
				err = cb.Delete(k)
			} else {
				err = cb.Put(k, u64(uint64(cur)))
			}
			if err != nil {
				return err
			}
		}
		if _, err := addDeliveries(tx, c.Deliveries); err != nil {
			return err
		}
		if err := appendFacts(tx, c.Facts); err != nil {
			return err
		}
		cur := tx.Bucket(bCursors)
		for _, cu := range c.Cursors {
			b := make([]byte, 0, 24)
			b = binary.BigEndian.AppendUint64(b, cu.Seq)
			b = binary.BigEndian.AppendUint64(b, uint64(nano(cu.Clock)))
			b = binary.BigEndian.AppendUint64(b, uint64(nano(cu.ArrivalClock)))
			if err := cur.Put(u16(cu.Partition), b); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrLeaseLost) {
		return err
	}
	if err != nil {
		return fmt.Errorf("committing processed events: %w", err)
	}
	return nil
}

// Cursors implements store.State.
func (s *Store) Cursors(ctx context.Context) ([]store.Cursor, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := make([]store.Cursor, store.Partitions)
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCursors)
		for p := range out {
			out[p].Partition = p
			if v := b.Get(u16(p)); len(v) == 24 {
				out[p].Seq = binary.BigEndian.Uint64(v)
				out[p].Clock = fromNano(int64(binary.BigEndian.Uint64(v[8:])))
				out[p].ArrivalClock = fromNano(int64(binary.BigEndian.Uint64(v[16:])))
			}
		}
		return nil
	})
	return out, err
}

// Customer implements store.State.
func (s *Store) Customer(ctx context.Context, id string) (store.Customer, error) {
	if err := s.enter(); err != nil {
		return store.Customer{}, err
	}
	defer s.leave()
	var c store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCustomers).Get(customerKey(id))
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		c, err = decodeCustomer(id, v)
		c.Data = bytes.Clone(c.Data)
		return err
	})
	return c, err
}

// CustomersByID implements store.State.
func (s *Store) CustomersByID(ctx context.Context, ids []string) ([]store.Customer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCustomers)
		for _, id := range ids {
			v := b.Get(customerKey(id))
			if v == nil {
				continue
			}
			c, err := decodeCustomer(id, v)
			if err != nil {
				return err
			}
			c.Data = bytes.Clone(c.Data)
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Customers implements store.State.
func (s *Store) Customers(ctx context.Context, p int, after string, max int) ([]store.Customer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := u16(p)
		c := tx.Bucket(bCustomers).Cursor()
		k, v := c.Seek(partKey(p, []byte(after)))
		if k != nil && string(k[2:]) == after {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, v = c.Next() {
			cu, err := decodeCustomer(string(k[2:]), v)
			if err != nil {
				return err
			}
			cu.Data = bytes.Clone(cu.Data)
			out = append(out, cu)
		}
		return nil
	})
	return out, err
}

// DueTimers implements store.State.
func (s *Store) DueTimers(ctx context.Context, p int, after store.Timer, until time.Time, max int) ([]store.Timer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Timer
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := u16(p)
		c := tx.Bucket(bTimers).Cursor()
		start := timerKey(p, after.Due, after.Customer)
		if after.Due.IsZero() && after.Customer == "" {
			start = prefix
		}
		k, _ := c.Seek(start)
		if k != nil && bytes.Equal(k, start) && after.Customer != "" {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, _ = c.Next() {
			due := fromNano(int64(binary.BigEndian.Uint64(k[2:10]) ^ 1<<63))
			if due.After(until) {
				break
			}
			out = append(out, store.Timer{Customer: string(k[10:]), Due: due})
		}
		return nil
	})
	return out, err
}

// StageCounts implements store.State.
func (s *Store) StageCounts(ctx context.Context) (map[string]int64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCounts).ForEach(func(k, v []byte) error {
			if len(v) == 8 && len(k) >= 2 {
				out[string(k[2:])] += int64(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	for k, n := range out {
		if n == 0 {
			delete(out, k)
		}
	}
	return out, err
}

// appendFacts appends facts to their partitions, each with the next
// sequence number of its partition; the numbers survive deletions, so one
// is never given twice.
func appendFacts(tx *bolt.Tx, facts []store.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	b, heads := tx.Bucket(bFacts), tx.Bucket(bFactHeads)
	var last [store.Partitions]uint64
	var touched [store.Partitions]bool
	for _, f := range facts {
		p := f.Partition
		if p < 0 || p >= store.Partitions {
			return fmt.Errorf("a fact of partition %d", p)
		}
		if !touched[p] {
			if v := heads.Get(u16(p)); len(v) == 8 {
				last[p] = binary.BigEndian.Uint64(v)
			}
			touched[p] = true
		}
		last[p]++
		if err := b.Put(partKey(p, u64(last[p])), f.Data); err != nil {
			return fmt.Errorf("fact %d of partition %d: %w", last[p], p, err)
		}
	}
	for p, t := range touched {
		if t {
			if err := heads.Put(u16(p), u64(last[p])); err != nil {
				return err
			}
		}
	}
	return nil
}

// Facts implements store.Facts.
func (s *Store) Facts(ctx context.Context, after []uint64, max int) ([]store.Fact, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Fact
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bFacts).Cursor()
		for p := 0; p < store.Partitions && len(out) < max; p++ {
			var a uint64
			if p < len(after) {
				a = after[p]
			}
			prefix := u16(p)
			for k, v := c.Seek(partKey(p, u64(a+1))); k != nil && bytes.HasPrefix(k, prefix) && len(out) < max; k, v = c.Next() {
				out = append(out, store.Fact{Partition: p, Seq: binary.BigEndian.Uint64(k[2:]), Data: bytes.Clone(v)})
			}
		}
		return nil
	})
	return out, err
}

// AnalyticsSnapshot implements store.Facts. An empty snapshot is none.
func (s *Store) AnalyticsSnapshot(ctx context.Context) ([]byte, []uint64, error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	var data []byte
	var upTo []uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		a := tx.Bucket(bAnalytics)
		data = bytes.Clone(a.Get(kSnapshot))
		v := a.Get(kSnapUpTo)
		for len(v) >= 8 {
			upTo = append(upTo, binary.BigEndian.Uint64(v))
			v = v[8:]
		}
		return nil
	})
	if len(data) == 0 {
		return nil, nil, err
	}
	return data, upTo, err
}

// SaveAnalyticsSnapshot implements store.Facts. A partition's sequence is
// raised to its position if that is beyond its last fact, so that no later
// fact gets a number the snapshot claims to hold.
func (s *Store) SaveAnalyticsSnapshot(ctx context.Context, data []byte, upTo []uint64) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.Update(func(tx *bolt.Tx) error {
		a := tx.Bucket(bAnalytics)
		if len(data) == 0 {
			if err := a.Delete(kSnapshot); err != nil {
				return err
			}
		} else if err := a.Put(kSnapshot, data); err != nil {
			return err
		}
		var enc []byte
		for _, n := range upTo {
			enc = binary.BigEndian.AppendUint64(enc, n)
		}
		if err := a.Put(kSnapUpTo, enc); err != nil {
			return err
		}
		b, heads := tx.Bucket(bFacts), tx.Bucket(bFactHeads)
		for p := 0; p < store.Partitions && p < len(upTo); p++ {
			// Keys first, then deletions: a cursor moved while its bucket
			// shrinks skips keys.
			var keys [][]byte
			c := b.Cursor()
			prefix := u16(p)
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && binary.BigEndian.Uint64(k[2:]) <= upTo[p]; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			var last uint64
			if v := heads.Get(prefix); len(v) == 8 {
				last = binary.BigEndian.Uint64(v)
			}
			if upTo[p] > last {
				if err := heads.Put(prefix, u64(upTo[p])); err != nil {
					return err
				}
			}
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
	b := putString(make([]byte, 0, len(d.Customer)+len(d.Claim)+len(d.Data)+40), d.Customer)
	b = putString(b, string(d.State))
	b = binary.BigEndian.AppendUint64(b, uint64(d.Updated.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(nano(d.Due)))
	b = putString(b, d.Claim)
	b = binary.BigEndian.AppendUint64(b, uint64(nano(d.ClaimedUntil)))
	return append(b, d.Data...)
}

func decodeDelivery(id string, v []byte) (store.Delivery, error) {
	bad := fmt.Errorf("delivery %s: corrupt entry", id)
	cust, rest, err := readString(v)
	if err != nil {
		return store.Delivery{}, bad
	}
	state, rest, err := readString(rest)
	if err != nil || len(rest) < 16 {
		return store.Delivery{}, bad
	}
	d := store.Delivery{ID: id, Customer: cust, State: store.DeliveryState(state),
		Updated: time.Unix(0, int64(binary.BigEndian.Uint64(rest))).UTC(), Due: fromNano(int64(binary.BigEndian.Uint64(rest[8:])))}
	d.Claim, rest, err = readString(rest[16:])
	if err != nil || len(rest) < 8 {
		return store.Delivery{}, bad
	}
	d.ClaimedUntil = fromNano(int64(binary.BigEndian.Uint64(rest)))
	d.Data = bytes.Clone(rest[8:])
	return d, nil
}

func dueKey(d store.Delivery) []byte { return append(ordered(d.Due), d.ID...) }

// putDelivery writes d and its index entries, in place of old (nil for a
// new entry).
func putDelivery(tx *bolt.Tx, d store.Delivery, old *store.Delivery) error {
	if old != nil {
		if err := tx.Bucket(bDeliveryIn).Delete(byCustomer(string(old.State), d.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bDeliveryDue).Delete(dueKey(*old)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bDeliveries).Put([]byte(d.ID), encodeDelivery(d)); err != nil {
		return fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	if err := tx.Bucket(bDeliveryIn).Put(byCustomer(string(d.State), d.ID), nil); err != nil {
		return err
	}
	if d.State == store.DeliveryPending {
		if err := tx.Bucket(bDeliveryDue).Put(dueKey(d), nil); err != nil {
			return err
		}
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
	if err := tx.Bucket(bDeliveryDue).Delete(dueKey(d)); err != nil {
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

// Models implements store.State.
func (s *Store) Models(ctx context.Context) ([]store.Model, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []store.Model
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bModels).ForEach(func(k, v []byte) error {
			if len(k) < 2 {
				return nil
			}
			out = append(out, store.Model{Partition: int(binary.BigEndian.Uint16(k)), Key: string(k[2:]), Data: bytes.Clone(v)})
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
		if err := putDelivery(tx, d, nil); err != nil {
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
		d.Claim, d.ClaimedUntil = "", time.Time{}
		return putDelivery(tx, d, &old)
	})
}

// ClaimDeliveries implements store.Queue.
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]store.Delivery, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	claimable := func(tx *bolt.Tx) ([]store.Delivery, error) {
		b := tx.Bucket(bDeliveries)
		c := tx.Bucket(bDeliveryDue).Cursor()
		limit := ordered(now)
		var claimed []store.Delivery
		for k, _ := c.First(); k != nil && len(claimed) < max && bytes.Compare(k[:8], limit) <= 0; k, _ = c.Next() {
			id := string(k[8:])
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			d, err := decodeDelivery(id, v)
			if err != nil {
				return nil, err
			}
			if d.State != store.DeliveryPending || (d.Claim != "" && d.Claim != worker && now.Before(d.ClaimedUntil)) {
				continue
			}
			claimed = append(claimed, d)
		}
		return claimed, nil
	}
	// A look first, so that an outbox with nothing due writes nothing.
	any := false
	if err := s.db.View(func(tx *bolt.Tx) error {
		ds, err := claimable(tx)
		any = len(ds) > 0
		return err
	}); err != nil || !any {
		return nil, err
	}
	var out []store.Delivery
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(bDeliveries)
		claimed, err := claimable(tx)
		if err != nil {
			return err
		}
		for _, d := range claimed {
			d.Claim, d.ClaimedUntil = worker, now.Add(lease)
			if err := b.Put([]byte(d.ID), encodeDelivery(d)); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	return out, nil
}

// NextDue implements store.Queue.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.enter(); err != nil {
		return time.Time{}, false, err
	}
	defer s.leave()
	var due time.Time
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bDeliveryDue).Cursor().First()
		if len(k) >= 8 {
			due, found = fromNano(int64(binary.BigEndian.Uint64(k)^1<<63)), true
		}
		return nil
	})
	return due, found, err
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
