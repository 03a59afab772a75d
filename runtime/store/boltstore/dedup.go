package boltstore

import (
	"encoding/binary"
	"slices"
	"sort"
	"time"

	"github.com/cespare/xxhash/v2"
	bolt "go.etcd.io/bbolt"
)

// dedupIndex remembers the event ids appended within the deduplication
// window in about 13 bytes each, whatever their length. An id is known by
// a 64-bit hash (xxHash64 under a random seed kept in the file, so that
// ids are not easily chosen to collide) and the sequence number of its
// record; a hit is confirmed by reading that record's id from the log, so
// two ids of one hash are told apart and the index is exact: a collision
// costs a read of the log, never a wrong answer.
//
// The ids appended lately are in a map (recent). Every sealSize of them
// are sealed into a run: the hashes sorted, with the sequence numbers
// beside them in 4 bytes (an offset from the run's lowest; 8 bytes in a
// run whose records span 2^32 or more) and a table of where each range of
// hashes starts, so a look-up reads about two cache lines of a run.
// Adjacent runs are merged while one is not more than mergeRatio times
// the size of the next newer one: the runs number about log4 of the ids
// over sealSize, and an id is copied a few times in its life. A merge of
// bgMerge ids or more runs in a goroutine of its own, one at a time,
// while look-ups read both of its runs.
//
// Pruning moves a horizon (cut): ids of records at or before it have left
// the window and are ignored at once; their room is reclaimed when their
// run is merged, or filtered once half its sequence numbers are below the
// horizon.
type dedupIndex struct {
	seed uint64
	d    *xxhash.Digest
	// recent maps the hash of each id added since the last seal to its
	// seq; clash holds those whose hash another id in recent has.
	recent map[uint64]uint64
	clash  []dedupEntry
	runs   []*dedupRun // oldest first
	// marks cut the ids added into stretches, by the latest arrival of
	// each, for pruning; a stretch covers at most span of arrivals.
	marks []dedupMark
	span  uint64
	added uint64 // ids ever added, for marks
	cut   uint64 // ids of records at or before this seq have expired
	// merging is the merge under way in the background, if any; merges
	// of bgMerge ids or more are done so, rather than in the commit loop.
	merging *dedupMerge
	bgMerge int
}

const (
	sealSize   = 1 << 13
	mergeRatio = 4
	markIDs    = 4096 // a mark covers at most this many ids...
	markSpans  = 64   // ...and a window/markSpans of arrivals
)

type dedupEntry struct{ sum, seq uint64 }

type dedupMark struct {
	lastSeq uint64 // the highest seq among its ids
	arrival uint64 // their latest arrival (timeKey)
	first   uint64 // their earliest arrival
	added   uint64 // dedupIndex.added at its last id
}

func newDedupIndex(window time.Duration) *dedupIndex {
	return &dedupIndex{d: xxhash.New(), recent: map[uint64]uint64{}, span: uint64(window / markSpans), bgMerge: 1 << 17}
}

// sum is the hash of an id.
func (x *dedupIndex) sum(id string) uint64 {
	x.d.ResetWithSeed(x.seed)
	x.d.WriteString(id)
	return x.d.Sum64()
}

func (x *dedupIndex) sumBytes(id []byte) uint64 {
	x.d.ResetWithSeed(x.seed)
	x.d.Write(id)
	return x.d.Sum64()
}

// dedupRun is a sealed, sorted run of ids.
type dedupRun struct {
	sums []uint64 // sorted
	// The seq of sums[i]: base+offs[i] when the run's seqs span less than
	// 2^32, else seqs[i].
	offs   []uint32
	seqs   []uint64
	base   uint64
	minSeq uint64 // the lowest seq, base or more
	maxSeq uint64
	// dir[j] is the first i whose sums[i]>>shift is j or more.
	dir   []uint32
	shift uint
}

func (r *dedupRun) seq(i int) uint64 {
	if r.seqs != nil {
		return r.seqs[i]
	}
	return r.base + uint64(r.offs[i])
}

func (r *dedupRun) len() int { return len(r.sums) }

// buildRun makes a run of the n entries next gives, in order of sum,
// whose seqs are within [minSeq, maxSeq], keeping those after cut.
func buildRun(n int, minSeq, maxSeq, cut uint64, next func() dedupEntry) *dedupRun {
	r := &dedupRun{sums: make([]uint64, 0, n), base: minSeq, minSeq: ^uint64(0)}
	if maxSeq-minSeq < 1<<32 {
		r.offs = make([]uint32, 0, n)
	} else {
		r.seqs = make([]uint64, 0, n)
	}
	for range n {
		e := next()
		if e.seq <= cut {
			continue
		}
		r.sums = append(r.sums, e.sum)
		if r.seqs != nil {
			r.seqs = append(r.seqs, e.seq)
		} else {
			r.offs = append(r.offs, uint32(e.seq-minSeq))
		}
		r.minSeq, r.maxSeq = min(r.minSeq, e.seq), max(r.maxSeq, e.seq)
	}
	r.sums = slices.Clip(r.sums)
	r.offs, r.seqs = slices.Clip(r.offs), slices.Clip(r.seqs)
	r.index()
	return r
}

// index builds the run's table of where each range of hashes starts.
func (r *dedupRun) index() {
	bits := 0
	for 8<<bits < len(r.sums) {
		bits++
	}
	r.shift = uint(64 - bits)
	r.dir = make([]uint32, 1<<bits+1)
	j := 0
	for i, s := range r.sums {
		for b := int(s >> r.shift); j <= b; j++ {
			r.dir[j] = uint32(i)
		}
	}
	for ; j < len(r.dir); j++ {
		r.dir[j] = uint32(len(r.sums))
	}
}

// find calls f with the seq of each entry of sum until f returns true.
func (r *dedupRun) find(sum uint64, f func(seq uint64) bool) bool {
	b := sum >> r.shift
	lo, hi := int(r.dir[b]), int(r.dir[b+1])
	i := lo + sort.Search(hi-lo, func(i int) bool { return r.sums[lo+i] >= sum })
	for ; i < hi && r.sums[i] == sum; i++ {
		if f(r.seq(i)) {
			return true
		}
	}
	return false
}

// undoEntry is what an add did, to take it back if the transaction
// fails.
type undoEntry struct {
	sum   uint64
	clash bool
}

// recordID reads the id of the log record seq in tx; "" when it has none.
func recordID(b *bolt.Bucket, seq uint64) (string, uint64, bool) {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	v := b.Get(k[:])
	if len(v) < logHeader+1 {
		return "", 0, false
	}
	id, _, err := readString(v[logHeader:])
	if err != nil {
		return "", 0, false
	}
	return id, binary.BigEndian.Uint64(v[2:]), true
}

// seen reports whether id was appended within the window: a record of it
// is indexed and after the horizon. b is the log bucket of the
// transaction, whose own writes it reads.
func (x *dedupIndex) seen(b *bolt.Bucket, id string) bool {
	sum := x.sum(id)
	is := func(seq uint64) bool {
		if seq <= x.cut {
			return false
		}
		got, _, ok := recordID(b, seq)
		return ok && got == id
	}
	if seq, ok := x.recent[sum]; ok && is(seq) {
		return true
	}
	for _, e := range x.clash {
		if e.sum == sum && is(e.seq) {
			return true
		}
	}
	for i := len(x.runs) - 1; i >= 0; i-- {
		if x.runs[i].find(sum, is) {
			return true
		}
	}
	return false
}

// add indexes id at seq, returning what to undo.
func (x *dedupIndex) add(b *bolt.Bucket, id string, seq uint64) undoEntry {
	return x.addSum(x.sum(id), seq)
}

func (x *dedupIndex) addSum(sum, seq uint64) undoEntry {
	x.added++
	if _, ok := x.recent[sum]; ok {
		x.clash = append(x.clash, dedupEntry{sum, seq})
		return undoEntry{sum: sum, clash: true}
	}
	x.recent[sum] = seq
	return undoEntry{sum: sum}
}

// addLoaded indexes the record seq, whose id hashes to sum, as the log
// is read at open, oldest first.
func (x *dedupIndex) addLoaded(b *bolt.Bucket, sum, seq uint64) { x.addSum(sum, seq) }

// undo takes back the adds of a failed transaction, last first.
func (x *dedupIndex) undo(us []undoEntry) {
	for i := len(us) - 1; i >= 0; i-- {
		x.added--
		if us[i].clash {
			x.clash = x.clash[:len(x.clash)-1]
		} else {
			delete(x.recent, us[i].sum)
		}
	}
}

// mark closes a stretch of adds whose highest seq is lastSeq and latest
// arrival arrival, and seals the recent ids into a run once there are
// sealSize of them.
func (x *dedupIndex) mark(lastSeq, arrival uint64) {
	n := len(x.marks)
	switch {
	case n > 0 && x.marks[n-1].added == x.added:
		return
	case n > 0 && x.added-x.marksBefore(n-1) <= markIDs && arrival <= x.marks[n-1].first+x.span:
		m := &x.marks[n-1]
		m.lastSeq, m.arrival, m.added = lastSeq, max(m.arrival, arrival), x.added
	default:
		x.marks = append(x.marks, dedupMark{lastSeq: lastSeq, arrival: arrival, first: arrival, added: x.added})
	}
	if len(x.recent)+len(x.clash) >= sealSize {
		x.seal()
	} else if x.merging != nil {
		x.compact(false)
	}
}

// marksBefore is how many ids were added before mark i.
func (x *dedupIndex) marksBefore(i int) uint64 {
	if i == 0 {
		return 0
	}
	return x.marks[i-1].added
}

// seal makes a run of the recent ids and merges runs as mergeRatio asks.
func (x *dedupIndex) seal() {
	es := make([]dedupEntry, 0, len(x.recent)+len(x.clash))
	lo, hi := ^uint64(0), uint64(0)
	for sum, seq := range x.recent {
		es = append(es, dedupEntry{sum, seq})
	}
	es = append(es, x.clash...)
	for _, e := range es {
		lo, hi = min(lo, e.seq), max(hi, e.seq)
	}
	slices.SortFunc(es, func(a, b dedupEntry) int {
		switch {
		case a.sum < b.sum:
			return -1
		case a.sum > b.sum:
			return 1
		}
		return 0
	})
	i := 0
	r := buildRun(len(es), lo, hi, x.cut, func() dedupEntry { i++; return es[i-1] })
	clear(x.recent)
	x.clash = nil
	if r.len() > 0 {
		x.runs = append(x.runs, r)
	}
	x.compact(false)
}

// merge merges two runs, dropping the entries at or before cut.
func merge(a, b *dedupRun, cut uint64) *dedupRun {
	i, j := 0, 0
	next := func() dedupEntry {
		if j >= len(b.sums) || i < len(a.sums) && a.sums[i] <= b.sums[j] {
			i++
			return dedupEntry{a.sums[i-1], a.seq(i - 1)}
		}
		j++
		return dedupEntry{b.sums[j-1], b.seq(j - 1)}
	}
	return buildRun(a.len()+b.len(), min(a.base, b.base), max(a.maxSeq, b.maxSeq), cut, next)
}

// dedupMerge is a merge of two adjacent runs under way.
type dedupMerge struct {
	a, b *dedupRun
	done chan *dedupRun
}

// compact merges adjacent runs while one is not more than mergeRatio
// times the size of the next newer one, and takes in a merge done in the
// background; with wait it waits for those until none is left to do.
func (x *dedupIndex) compact(wait bool) {
	for {
		if m := x.merging; m != nil {
			var r *dedupRun
			if wait {
				r = <-m.done
			} else {
				select {
				case r = <-m.done:
				default:
				}
			}
			if r != nil {
				i := slices.Index(x.runs, m.a)
				x.runs = slices.Replace(x.runs, i, i+2, r)
				x.merging = nil
			}
		}
		if !x.mergeOne() && (!wait || x.merging == nil) {
			return
		}
	}
}

// mergeOne merges the newest pair of runs that asks for it, or starts it
// in the background, and reports whether it did.
func (x *dedupIndex) mergeOne() bool {
	for i := len(x.runs) - 2; i >= 0; i-- {
		a, b := x.runs[i], x.runs[i+1]
		if a.len() > mergeRatio*b.len() {
			continue
		}
		if m := x.merging; m != nil && (a == m.a || a == m.b || b == m.a || b == m.b) {
			continue
		}
		if a.len()+b.len() < x.bgMerge {
			x.runs = slices.Replace(x.runs, i, i+2, merge(a, b, x.cut))
			return true
		}
		if x.merging != nil {
			continue
		}
		m := &dedupMerge{a: a, b: b, done: make(chan *dedupRun, 1)}
		cut := x.cut
		go func() { m.done <- merge(a, b, cut) }()
		x.merging = m
		return true
	}
	return false
}

// prune forgets the ids of the stretches whose latest arrival is at or
// before horizon.
func (x *dedupIndex) prune(horizon uint64) {
	cut := 0
	for cut < len(x.marks) && x.marks[cut].arrival <= horizon {
		x.cut = max(x.cut, x.marks[cut].lastSeq)
		cut++
	}
	if cut == 0 {
		return
	}
	x.marks = append(x.marks[:0:0], x.marks[cut:]...)
	runs := x.runs[:0]
	for _, r := range x.runs {
		switch {
		case x.merging != nil && (r == x.merging.a || r == x.merging.b):
		case r.maxSeq <= x.cut:
			continue // wholly expired
		case x.cut >= r.minSeq+(r.maxSeq-r.minSeq)/2:
			i := 0
			r = buildRun(r.len(), r.base, r.maxSeq, x.cut, func() dedupEntry { i++; return dedupEntry{r.sums[i-1], r.seq(i - 1)} })
		}
		if r.len() > 0 {
			runs = append(runs, r)
		}
	}
	clear(x.runs[len(runs):])
	x.runs = runs
}

// len is the number of ids indexed, expired ones not yet reclaimed
// included.
func (x *dedupIndex) len() int {
	n := len(x.recent) + len(x.clash)
	for _, r := range x.runs {
		n += r.len()
	}
	return n
}
