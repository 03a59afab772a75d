package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// Now is the store's clock, for the deduplication window, heartbeats
	// and leases (default time.Now).
	Now func() time.Time
	// MaxGroup caps the records that one group commit writes (default
	// 20,000).
	MaxGroup int
	// KeyCache is the most customer keys kept in memory (default
	// 16,384); the others are read from the disk when asked for.
	KeyCache int
}

// format is the layout of the file this package writes; a file without
// one was written before partitions.
const format = 2

// Buckets, and the layout of their keys and values. p is a partition as 2
// bytes; times are 8 bytes that sort as the times do (timeKey).
var (
	bMeta        = []byte("meta")        // kFormat, kHead -> clock, arrival clock
	bStacks      = []byte("stacks")      // stack -> serial (8 bytes)
	bDeployments = []byte("deployments") // stack \x00 serial -> deployment JSON
	bTokens      = []byte("tokens")      // name -> token JSON
	bTokenHashes = []byte("token_hashes")
	bAudit       = []byte("audit")     // seq -> audit record JSON
	bLog         = []byte("log")       // seq -> p, arrival, time, clocks, id, data (logWriter.put)
	bMembers     = []byte("members")   // name -> expires
	bLeases      = []byte("leases")    // p -> epoch, expires, owner
	bCursors     = []byte("cursors")   // p -> seq, clock, arrival clock
	bCustomers   = []byte("customers") // p id -> due, data
	bTimers      = []byte("timers")    // p due id -> nothing
	bCounts      = []byte("counts")    // p key -> count (8 bytes)
	bModels      = []byte("models")    // p key -> model state
	bFacts       = []byte("facts")     // p seq -> fact, as written before fact runs
	bFactRuns    = []byte("fact_runs") // p first seq -> a run of facts (facts.go)
	bFactSeqs    = []byte("fact_seqs") // p -> the last seq given
	bAnalytics   = []byte("analytics") // kSnapshot -> snapshot, kSnapshotAt -> its positions
	bDecisions   = []byte("decisions") // id -> customer, time, record
	bDecisionsBy = []byte("decisions_by_customer")
	bDeliveries  = []byte("deliveries")             // id -> encodeDelivery
	bDeliveryBy  = []byte("deliveries_by_customer") // entries with a customer only
	bDeliveryIn  = []byte("deliveries_by_state")
	bDeliveryDue = []byte("deliveries_due") // due id -> nothing, pending entries only

	kFormat     = []byte("format")
	kHead       = []byte("head")
	kSnapshot   = []byte("snapshot")
	kSnapshotAt = []byte("snapshot_at")

	buckets = [][]byte{bMeta, bStacks, bDeployments, bTokens, bTokenHashes, bAudit, bLog, bMembers, bLeases, bCursors,
		bCustomers, bTimers, bCounts, bModels, bFacts, bFactRuns, bFactSeqs, bAnalytics, bDecisions, bDecisionsBy,
		bDeliveries, bDeliveryBy, bDeliveryIn, bDeliveryDue}
)

// Store is the embedded store.Store.
type Store struct {
	db   *bolt.DB
	opts Options
	keys *keyFile // customer keys, outside the database: see keys.go

	closeMu sync.RWMutex // held for reading by calls in flight
	closed  bool

	headMu sync.Mutex
	head   store.Head // durable: see durable

	appends chan *appendReq
	stop    chan struct{}
	stopped chan struct{}

	// dedup indexes the event ids appended within the window; only the
	// commit loop touches it.
	dedup *dedupIndex
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
	if opts.KeyCache <= 0 {
		opts.KeyCache = 16384
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
		dedup:   newDedupIndex(opts.DedupWindow),
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if s.keys, err = openKeyFile(db, filepath.Join(dir, KeyFileName), opts.KeyCache); err != nil {
		db.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

// init checks the file's format, creates the buckets and loads the ids
// still inside the deduplication window.
func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bMeta); meta != nil {
			v := meta.Get(kFormat)
			if v == nil && !empty(tx) {
				return errors.New("the data directory holds a store of an earlier format, which this version cannot read; move it away to start afresh")
			}
			if v != nil && (len(v) != 8 || binary.BigEndian.Uint64(v) > format) {
				return errors.New("the data directory holds a store of a later format than this version knows")
			}
		} else if !empty(tx) {
			return errors.New("the data directory holds a store of an earlier format, which this version cannot read; move it away to start afresh")
		}
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := releaseClaims(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kFormat, u64(format))
	})
	if err != nil {
		return err
	}
	return s.loadSeen()
}

// empty reports whether the file holds no event, customer or deployment.
func empty(tx *bolt.Tx) bool {
	for _, name := range [][]byte{bLog, bCustomers, bStacks} {
		if b := tx.Bucket(name); b != nil {
			if k, _ := b.Cursor().First(); k != nil {
				return false
			}
		}
	}
	return true
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

// Exclusive reports that no other process uses the store: bbolt locks its
// file (Open refuses a second runtime on it). The service then trusts the
// customer keys it cached, as every erasure goes through it.
func (s *Store) Exclusive() bool { return true }

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
	// The last transaction writes the free-list, so that the next open
	// reads it rather than every page of the file; the first commit after
	// that open drops it again (NoFreelistSync).
	s.db.NoFreelistSync = false
	return errors.Join(s.saveSeen(), s.db.Close(), s.keys.close())
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// timeKey encodes t in 8 bytes that sort as the times do, the zero time
// first (as 0).
func timeKey(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()) ^ 1<<63
}

// keyTime decodes a timeKey.
func keyTime(k uint64) time.Time {
	if k == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(k^1<<63)).UTC()
}

func appendTime(b []byte, t time.Time) []byte { return binary.BigEndian.AppendUint64(b, timeKey(t)) }

func readTime(b []byte) time.Time { return keyTime(binary.BigEndian.Uint64(b)) }

// partKey is the key of something of partition p: p, then rest.
func partKey(p int, rest string) []byte {
	k := make([]byte, 2, 2+len(rest))
	binary.BigEndian.PutUint16(k, uint16(p))
	return append(k, rest...)
}

func partPrefix(p int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(p)) }

func checkPartition(what string, p int) error {
	if p < 0 || p >= store.Partitions {
		return fmt.Errorf("%s of partition %d: out of range", what, p)
	}
	return nil
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
