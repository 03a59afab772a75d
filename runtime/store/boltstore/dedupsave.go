package boltstore

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The deduplication index is saved in the file when the store closes, so
// that the next open reads it (about 13 bytes an id, in order) instead of
// the window's stretch of the log (every record of it, and every page of
// the log resident in memory for a while). The saved index names the last
// record it covers; the records after it (appended by a process that did
// not close) are read from the log and indexed as at open. A saved index
// older than the window, or that does not read back whole, is ignored and
// the log read instead.

var (
	bDedup     = []byte("dedup") // kDedupSeed -> seed; kDedupHead -> saved header; run, part -> run data
	kDedupSeed = []byte("seed")
	kDedupHead = []byte("head")
)

const (
	dedupFormat = 1
	dedupPart   = 4 << 20 // bytes of run data in one value
)

// openSeen reads the index's seed (made on the first open) and the saved
// index if it is still of use, and indexes the log after it. It reports
// false when the log is to be read instead.
func (s *Store) openSeen(horizon uint64) (bool, error) {
	x := s.dedup
	var saved []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bDedup)
		if err != nil {
			return err
		}
		if v := b.Get(kDedupSeed); len(v) == 8 {
			x.seed = binary.BigEndian.Uint64(v)
		} else {
			var seed [8]byte
			rand.Read(seed[:])
			x.seed = binary.BigEndian.Uint64(seed[:])
			if err := b.Put(kDedupSeed, seed[:]); err != nil {
				return err
			}
		}
		saved = append([]byte(nil), b.Get(kDedupHead)...)
		return nil
	})
	if err != nil || len(saved) == 0 {
		return false, err
	}
	ok := false
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = x.load(tx, saved, horizon)
		return err
	})
	if err != nil || !ok {
		*x = dedupIndex{d: x.d, seed: x.seed, recent: map[uint64]uint64{}, span: x.span, bgMerge: x.bgMerge}
	}
	return ok, err
}

// load loads the saved index whose header is h, then indexes the records
// after it.
func (x *dedupIndex) load(tx *bolt.Tx, h []byte, horizon uint64) (bool, error) {
	take := func(n int) []byte {
		if len(h) < n {
			h = nil
			return nil
		}
		v := h[:n]
		h = h[n:]
		return v
	}
	u := func() uint64 {
		if v := take(8); v != nil {
			return binary.BigEndian.Uint64(v)
		}
		return 0
	}
	if v := take(1); v == nil || v[0] != dedupFormat {
		return false, nil // another format: read the log
	}
	savedAt, through := u(), u()
	last, _ := tx.Bucket(bLog).Cursor().Last()
	if savedAt <= horizon || last == nil || binary.BigEndian.Uint64(last) < through {
		return false, nil
	}
	x.cut, x.added = u(), u()
	x.marks = make([]dedupMark, u())
	for i := range x.marks {
		x.marks[i] = dedupMark{lastSeq: u(), arrival: u(), first: u(), added: u()}
	}
	runs := u()
	if h == nil {
		return false, nil // corrupt: read the log
	}
	b := tx.Bucket(bDedup)
	for i := uint64(0); i < runs; i++ {
		r := &dedupRun{base: u(), minSeq: u(), maxSeq: u()}
		n, wide := u(), take(1)
		if h == nil || n > 1<<40 {
			return false, nil // corrupt: read the log
		}
		size := 12 * n
		if wide[0] == 1 {
			size = 16 * n
		}
		data := make([]byte, 0, size)
		c := b.Cursor()
		prefix := append([]byte("r"), binary.BigEndian.AppendUint32(nil, uint32(i))...)
		for k, v := c.Seek(prefix); k != nil && len(k) == 9 && string(k[:5]) == string(prefix); k, v = c.Next() {
			data = append(data, v...)
		}
		if uint64(len(data)) != size {
			return false, nil // corrupt: read the log
		}
		r.sums = make([]uint64, n)
		for j := range r.sums {
			r.sums[j] = binary.LittleEndian.Uint64(data[8*j:])
		}
		data = data[8*n:]
		if wide[0] == 1 {
			r.seqs = make([]uint64, n)
			for j := range r.seqs {
				r.seqs[j] = binary.LittleEndian.Uint64(data[8*j:])
			}
		} else {
			r.offs = make([]uint32, n)
			for j := range r.offs {
				r.offs[j] = binary.LittleEndian.Uint32(data[4*j:])
			}
		}
		r.index()
		x.runs = append(x.runs, r)
	}
	// The records appended after the index was saved.
	const run = 4096
	var latest, lastSeq uint64
	n := 0
	c := tx.Bucket(bLog).Cursor()
	for k, v := c.Seek(u64(through + 1)); k != nil; k, v = c.Next() {
		if len(v) < logHeader+1 {
			return false, fmt.Errorf("log record %d: too short", binary.BigEndian.Uint64(k))
		}
		arrival := binary.BigEndian.Uint64(v[2:])
		l, w := binary.Uvarint(v[logHeader:])
		if w <= 0 || uint64(len(v)-logHeader-w) < l {
			return false, fmt.Errorf("log record %d: corrupt id", binary.BigEndian.Uint64(k))
		}
		if l == 0 || arrival == 0 {
			continue
		}
		lastSeq = binary.BigEndian.Uint64(k)
		x.addSum(x.sumBytes(v[logHeader+w:logHeader+w+int(l)]), lastSeq)
		latest = max(latest, arrival)
		if n++; n%run == 0 {
			x.mark(lastSeq, latest)
			latest = 0
		}
	}
	if latest > 0 {
		x.mark(lastSeq, latest)
	}
	return true, nil
}

// saveSeen saves the index, once the commit loop has stopped.
func (s *Store) saveSeen() error {
	x := s.dedup
	if len(x.recent)+len(x.clash) > 0 {
		x.seal()
	}
	x.compact(true)
	var through uint64
	h := []byte{dedupFormat}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if last, _ := tx.Bucket(bLog).Cursor().Last(); last != nil {
			through = binary.BigEndian.Uint64(last)
		}
		old := tx.Bucket(bDedup)
		var seed []byte
		if old != nil {
			seed = append(seed, old.Get(kDedupSeed)...)
			if err := tx.DeleteBucket(bDedup); err != nil {
				return err
			}
		}
		b, err := tx.CreateBucket(bDedup)
		if err != nil {
			return err
		}
		if len(seed) == 8 {
			if err := b.Put(kDedupSeed, seed); err != nil {
				return err
			}
		}
		h = binary.BigEndian.AppendUint64(h, timeKey(s.opts.Now()))
		h = binary.BigEndian.AppendUint64(h, through)
		h = binary.BigEndian.AppendUint64(h, x.cut)
		h = binary.BigEndian.AppendUint64(h, x.added)
		h = binary.BigEndian.AppendUint64(h, uint64(len(x.marks)))
		for _, m := range x.marks {
			for _, v := range []uint64{m.lastSeq, m.arrival, m.first, m.added} {
				h = binary.BigEndian.AppendUint64(h, v)
			}
		}
		h = binary.BigEndian.AppendUint64(h, uint64(len(x.runs)))
		for i, r := range x.runs {
			for _, v := range []uint64{r.base, r.minSeq, r.maxSeq, uint64(r.len())} {
				h = binary.BigEndian.AppendUint64(h, v)
			}
			wide := byte(0)
			if r.seqs != nil {
				wide = 1
			}
			h = append(h, wide)
			if err := putRun(b, uint32(i), r); err != nil {
				return err
			}
		}
		return b.Put(kDedupHead, h)
	})
	if err != nil {
		return fmt.Errorf("saving the deduplication index: %w", err)
	}
	return nil
}

// putRun writes run i's hashes then seqs, in parts of dedupPart bytes.
func putRun(b *bolt.Bucket, i uint32, r *dedupRun) error {
	part := uint32(0)
	buf := make([]byte, 0, dedupPart)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		k := append([]byte("r"), binary.BigEndian.AppendUint32(nil, i)...)
		k = binary.BigEndian.AppendUint32(k, part)
		part++
		err := b.Put(k, buf)
		buf = make([]byte, 0, dedupPart)
		return err
	}
	for _, v := range r.sums {
		if len(buf)+8 > dedupPart {
			if err := flush(); err != nil {
				return err
			}
		}
		buf = binary.LittleEndian.AppendUint64(buf, v)
	}
	for j := range r.sums {
		w := 4
		if r.seqs != nil {
			w = 8
		}
		if len(buf)+w > dedupPart {
			if err := flush(); err != nil {
				return err
			}
		}
		if r.seqs != nil {
			buf = binary.LittleEndian.AppendUint64(buf, r.seqs[j])
		} else {
			buf = binary.LittleEndian.AppendUint32(buf, r.offs[j])
		}
	}
	return flush()
}
