package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/waymarkhq/waymark/runtime/store"
)

// The log is one bucket keyed by Seq, so that an append writes only the
// rightmost pages of one B+tree and a group commit costs little more than
// its fsync. A record's value starts with its partition, so that a read of
// some partitions skips the others without decoding them:
//
//	partition (2 bytes, 0xffff for AllPartitions)
//	arrival, time, clock, arrival clock (8 bytes each, timeKey)
//	id (uvarint length, bytes), data (the rest)
const logHeader = 2 + 4*8

const allPartitionsKey = 0xffff

func logPartition(v []byte) int {
	p := int(binary.BigEndian.Uint16(v))
	if p == allPartitionsKey {
		return store.AllPartitions
	}
	return p
}

func decodeLog(seq uint64, v []byte) (store.LogRecord, error) {
	if len(v) < logHeader+1 {
		return store.LogRecord{}, fmt.Errorf("log record %d: too short", seq)
	}
	id, data, err := readString(v[logHeader:])
	if err != nil {
		return store.LogRecord{}, fmt.Errorf("log record %d: %w", seq, err)
	}
	return store.LogRecord{
		Seq: seq, Partition: logPartition(v), ID: id,
		Arrival: readTime(v[2:]), Time: readTime(v[10:]), Clock: readTime(v[18:]), ArrivalClock: readTime(v[26:]),
		Data: data,
	}, nil
}

// logWriter appends records to the log in a transaction, numbering them
// and giving them the clocks as they stand.
type logWriter struct {
	b, meta        *bolt.Bucket
	seq            uint64
	clock, arrival uint64 // timeKeys
	// slab holds the keys and values written: bolt keeps them until the
	// transaction ends.
	slab []byte
}

func newLogWriter(tx *bolt.Tx, size int) *logWriter {
	w := &logWriter{b: tx.Bucket(bLog), meta: tx.Bucket(bMeta)}
	w.b.FillPercent = 1 // keys only grow
	w.seq = w.b.Sequence()
	if v := w.meta.Get(kHead); len(v) == 16 {
		w.clock, w.arrival = binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])
	}
	w.slab = make([]byte, 0, size)
	return w
}

// recordSize is about what a record takes in the slab.
func recordSize(r store.LogRecord) int {
	return 8 + logHeader + binary.MaxVarintLen64 + len(r.ID) + len(r.Data)
}

func (w *logWriter) put(r store.LogRecord) (uint64, error) {
	w.seq++
	p := uint16(r.Partition)
	if r.Partition == store.AllPartitions {
		p = allPartitionsKey
	}
	start := len(w.slab)
	w.slab = binary.BigEndian.AppendUint64(w.slab, w.seq)
	key := w.slab[start:len(w.slab):len(w.slab)]
	start = len(w.slab)
	w.slab = binary.BigEndian.AppendUint16(w.slab, p)
	arrival, t := timeKey(r.Arrival), timeKey(r.Time)
	for _, n := range []uint64{arrival, t, w.clock, w.arrival} {
		w.slab = binary.BigEndian.AppendUint64(w.slab, n)
	}
	w.slab = putString(w.slab, r.ID)
	w.slab = append(w.slab, r.Data...)
	if err := w.b.Put(key, w.slab[start:len(w.slab):len(w.slab)]); err != nil {
		return 0, err
	}
	w.clock, w.arrival = max(w.clock, t), max(w.arrival, arrival)
	return w.seq, nil
}

// finish records the log's sequence and clocks, and returns the head they
// make.
func (w *logWriter) finish() (store.Head, error) {
	if err := w.b.SetSequence(w.seq); err != nil {
		return store.Head{}, err
	}
	head := binary.BigEndian.AppendUint64(make([]byte, 0, 16), w.clock)
	if err := w.meta.Put(kHead, binary.BigEndian.AppendUint64(head, w.arrival)); err != nil {
		return store.Head{}, err
	}
	return store.Head{Seq: w.seq, Clock: keyTime(w.clock), ArrivalClock: keyTime(w.arrival)}, nil
}

// durable returns the head of the log as of the last write that has
// returned, so fsynced: bbolt lets readers see a transaction once its meta
// page is written, a moment before that page is synced, and no record may
// be read before it is durable.
func (s *Store) durable() store.Head {
	s.headMu.Lock()
	defer s.headMu.Unlock()
	return s.head
}

// advance moves the durable head on to h; writes may report out of order.
func (s *Store) advance(h store.Head) {
	s.headMu.Lock()
	if h.Seq > s.head.Seq {
		s.head = h
	}
	s.headMu.Unlock()
}

func readHead(tx *bolt.Tx) store.Head {
	h := store.Head{Seq: tx.Bucket(bLog).Sequence()}
	if v := tx.Bucket(bMeta).Get(kHead); len(v) == 16 {
		h.Clock, h.ArrivalClock = readTime(v), readTime(v[8:])
	}
	return h
}

type appendReq struct {
	recs []store.LogRecord
	seqs []uint64
	err  error
	done chan struct{}
}

// Append implements store.Log. The records wait for the commit loop,
// which writes every append queued meanwhile in one transaction.
func (s *Store) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(recs) == 0 {
		return nil, nil
	}
	for _, r := range recs {
		if r.Partition != store.AllPartitions {
			if err := checkPartition("log record", r.Partition); err != nil {
				return nil, fmt.Errorf("appending to the event log: %w", err)
			}
		}
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
	horizon := timeKey(s.opts.Now().Add(-s.opts.DedupWindow))
	s.prune(horizon)
	size := 0
	for _, req := range group {
		for _, r := range req.recs {
			size += recordSize(r)
		}
	}
	// The ids are indexed as they are written, so that a repeat later in
	// the group is skipped too (the transaction reads its own writes), and
	// taken out again if the transaction fails. An id is remembered at
	// least until the next group, also if it arrived before the window.
	var head store.Head
	var undo []undoEntry
	var lastSeq, latest uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		w := newLogWriter(tx, size)
		for _, req := range group {
			req.seqs = make([]uint64, len(req.recs))
			for i, r := range req.recs {
				if r.ID != "" && s.dedup.seen(w.b, r.ID) {
					continue
				}
				seq, err := w.put(r)
				if err != nil {
					return err
				}
				req.seqs[i] = seq
				if r.ID != "" {
					undo = append(undo, s.dedup.add(w.b, r.ID, seq))
					lastSeq, latest = seq, max(latest, timeKey(r.Arrival), horizon+1)
				}
			}
		}
		var err error
		head, err = w.finish()
		return err
	})
	if err != nil {
		s.dedup.undo(undo)
		err = fmt.Errorf("appending to the event log: %w", err)
		for _, req := range group {
			req.seqs, req.err = nil, err
		}
	} else {
		if lastSeq > 0 {
			s.dedup.mark(lastSeq, latest)
		}
		s.advance(head)
	}
	for _, req := range group {
		close(req.done)
	}
}

// prune forgets ids that arrived at or before horizon.
func (s *Store) prune(horizon uint64) { s.dedup.prune(horizon) }

// loadSeen loads the ids that arrived within the deduplication window:
// the index saved at the last close (dedupsave.go) if it is of use, else
// by reading the log backwards to the first record (with an arrival
// time) that arrived before it.
func (s *Store) loadSeen() error {
	horizon := timeKey(s.opts.Now().Add(-s.opts.DedupWindow))
	saved, err := s.openSeen(horizon)
	if err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bLog)
		c := b.Cursor()
		s.head = readHead(tx)
		if saved {
			return nil
		}
		type loaded struct{ seq, arrival, sum uint64 }
		var recs []loaded
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if len(v) < logHeader+1 {
				return fmt.Errorf("log record %d: too short", binary.BigEndian.Uint64(k))
			}
			arrival := binary.BigEndian.Uint64(v[2:])
			if arrival != 0 && arrival <= horizon {
				break
			}
			n, w := binary.Uvarint(v[logHeader:])
			if w <= 0 || uint64(len(v)-logHeader-w) < n {
				return fmt.Errorf("log record %d: corrupt id", binary.BigEndian.Uint64(k))
			}
			if n > 0 && arrival != 0 {
				id := v[logHeader+w : logHeader+w+int(n)]
				recs = append(recs, loaded{binary.BigEndian.Uint64(k), arrival, s.dedup.sumBytes(id)})
			}
		}
		const run = 4096
		var latest uint64
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			s.dedup.addLoaded(b, r.sum, r.seq)
			latest = max(latest, r.arrival)
			if (len(recs)-i)%run == 0 || i == 0 {
				s.dedup.mark(r.seq, latest)
				latest = 0
			}
		}
		return nil
	})
}

// Read implements store.Log. It scans the log once from the lowest
// position asked for, skipping the records of other partitions and those
// before their partition's position: the cost is that of the stretch of
// the log from there, so partitions read together should be at positions
// near one another (as a processor's are).
func (s *Store) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	if err := s.enter(); err != nil {
		return nil, store.Head{}, err
	}
	defer s.leave()
	// after[p+1] is the position of p, AllPartitions's at after[0].
	var after [store.Partitions + 1]uint64
	var wanted [store.Partitions + 1]bool
	low := ^uint64(0)
	for _, f := range from {
		if f.Partition != store.AllPartitions {
			if err := checkPartition("read", f.Partition); err != nil {
				return nil, store.Head{}, fmt.Errorf("reading the event log: %w", err)
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
	var head store.Head
	durable := s.durable()
	err := s.db.View(func(tx *bolt.Tx) error {
		// The head as of the read: the file's, or the durable one if that
		// is behind.
		if head = readHead(tx); head.Seq > durable.Seq {
			head = durable
		}
		if len(from) == 0 || max <= 0 || low >= head.Seq {
			return nil
		}
		out = make([]store.LogRecord, 0, min(uint64(max), head.Seq-low))
		// Copies out of the file go to slabs rather than one by one: data
		// to byte slabs, ids to one string made at the end.
		var slab, ids []byte
		var idEnds []int
		c := tx.Bucket(bLog).Cursor()
		for k, v := c.Seek(u64(low + 1)); k != nil && len(out) < max; k, v = c.Next() {
			if len(v) < logHeader+1 {
				return fmt.Errorf("log record %d: too short", binary.BigEndian.Uint64(k))
			}
			seq := binary.BigEndian.Uint64(k)
			if seq > head.Seq {
				break
			}
			i := logPartition(v) + 1
			if !wanted[i] || seq <= after[i] {
				continue
			}
			n, w := binary.Uvarint(v[logHeader:])
			if w <= 0 || uint64(len(v)-logHeader-w) < n {
				return fmt.Errorf("log record %d: corrupt id", seq)
			}
			id := v[logHeader+w : logHeader+w+int(n)]
			data := v[logHeader+w+int(n):]
			ids = append(ids, id...)
			idEnds = append(idEnds, len(ids))
			if len(data) > cap(slab)-len(slab) {
				slab = make([]byte, 0, slabSize(len(data)))
			}
			start := len(slab)
			slab = append(slab, data...)
			out = append(out, store.LogRecord{
				Seq: seq, Partition: i - 1,
				Arrival: readTime(v[2:]), Time: readTime(v[10:]), Clock: readTime(v[18:]), ArrivalClock: readTime(v[26:]),
				Data: slab[start:len(slab):len(slab)],
			})
		}
		all, start := string(ids), 0
		for i, end := range idEnds {
			out[i].ID = all[start:end]
			start = end
		}
		return nil
	})
	if err != nil {
		return nil, store.Head{}, fmt.Errorf("reading the event log: %w", err)
	}
	return out, head, nil
}

// Head implements store.Log.
func (s *Store) Head(ctx context.Context) (store.Head, error) {
	if err := s.enter(); err != nil {
		return store.Head{}, err
	}
	defer s.leave()
	return s.durable(), nil
}

// slabSize is the size of a slab that takes n bytes.
func slabSize(n int) int { return max(n, 64<<10) }
