package boltstore

import (
	"encoding/binary"
	"hash/maphash"

	bolt "go.etcd.io/bbolt"
)

// dedupIndex remembers the event ids appended within the deduplication
// window in about 30 bytes each, whatever their length: a 64-bit hash of
// the id (keyed by a seed of this process, so that ids cannot be chosen to
// collide) maps to the sequence number of the record that has it, and a
// hit is confirmed by reading that record's id from the log. Two ids of
// one hash are both kept exactly, in a small map beside it.
type dedupIndex struct {
	seed maphash.Seed
	// bySum maps the hash of an id to the seq of its last record.
	bySum map[uint64]uint64
	// exact holds, by id, the seq of ids whose hash another id in the
	// window has too.
	exact map[string]uint64
	// order lists the hashes as appended; marks cut it into runs, by the
	// latest arrival of each, for pruning.
	order []uint64
	marks []dedupMark
}

type dedupMark struct {
	end     int    // order[:end] are at or before this mark
	lastSeq uint64 // the highest seq among them
	arrival uint64 // their latest arrival (timeKey)
}

func newDedupIndex() *dedupIndex {
	return &dedupIndex{seed: maphash.MakeSeed(), bySum: map[uint64]uint64{}, exact: map[string]uint64{}}
}

// undoEntry is what an add replaced, to take it back if the transaction
// fails.
type undoEntry struct {
	sum      uint64
	id       string // set when the entry was in exact
	seq      uint64 // 0 for none
	inExact  bool
	addedSum bool
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
// is indexed and arrived after horizon (or has not yet been pruned since
// its run's latest arrival is after it). b is the log bucket of the
// transaction, whose own writes it reads.
func (x *dedupIndex) seen(b *bolt.Bucket, id string) bool {
	if _, ok := x.exact[id]; ok {
		return true
	}
	seq, ok := x.bySum[maphash.String(x.seed, id)]
	if !ok {
		return false
	}
	got, _, ok := recordID(b, seq)
	return ok && got == id
}

// add indexes id at seq, returning what to undo.
func (x *dedupIndex) add(b *bolt.Bucket, id string, seq uint64) undoEntry {
	sum := maphash.String(x.seed, id)
	prev, ok := x.bySum[sum]
	if ok {
		if other, _, found := recordID(b, prev); found && other != id {
			// Another id of the same hash: this one is kept exactly.
			old, had := x.exact[id]
			x.exact[id] = seq
			x.order = append(x.order, sum)
			return undoEntry{sum: sum, id: id, seq: old, inExact: had, addedSum: false}
		}
	}
	x.bySum[sum] = seq
	x.order = append(x.order, sum)
	if !ok {
		prev = 0
	}
	return undoEntry{sum: sum, seq: prev, addedSum: true}
}

// addLoaded indexes the record seq, whose id hashes to sum, as the log
// is read at open, oldest first.
func (x *dedupIndex) addLoaded(b *bolt.Bucket, sum, seq uint64) {
	if prev, ok := x.bySum[sum]; ok {
		id, _, _ := recordID(b, seq)
		if other, _, found := recordID(b, prev); found && other != id {
			x.exact[id] = seq
			x.order = append(x.order, sum)
			return
		}
	}
	x.bySum[sum] = seq
	x.order = append(x.order, sum)
}

// undo takes back the adds of a failed transaction, last first.
func (x *dedupIndex) undo(us []undoEntry) {
	for i := len(us) - 1; i >= 0; i-- {
		u := us[i]
		x.order = x.order[:len(x.order)-1]
		switch {
		case !u.addedSum && u.inExact:
			x.exact[u.id] = u.seq
		case !u.addedSum:
			delete(x.exact, u.id)
		case u.seq == 0:
			delete(x.bySum, u.sum)
		default:
			x.bySum[u.sum] = u.seq
		}
	}
}

// mark closes a run of adds whose highest seq is lastSeq and latest
// arrival arrival.
func (x *dedupIndex) mark(lastSeq, arrival uint64) {
	if n := len(x.marks); n > 0 && x.marks[n-1].end == len(x.order) {
		return
	}
	x.marks = append(x.marks, dedupMark{end: len(x.order), lastSeq: lastSeq, arrival: arrival})
}

// prune forgets the runs whose latest arrival is at or before horizon.
func (x *dedupIndex) prune(horizon uint64) {
	cut, start := 0, 0
	var lastSeq uint64
	for cut < len(x.marks) && x.marks[cut].arrival <= horizon {
		lastSeq = x.marks[cut].lastSeq
		start = x.marks[cut].end
		cut++
	}
	if cut == 0 {
		return
	}
	for _, sum := range x.order[:start] {
		if seq, ok := x.bySum[sum]; ok && seq <= lastSeq {
			delete(x.bySum, sum)
		}
	}
	for id, seq := range x.exact {
		if seq <= lastSeq {
			delete(x.exact, id)
		}
	}
	x.order = append(x.order[:0:0], x.order[start:]...)
	marks := append(x.marks[:0:0], x.marks[cut:]...)
	for i := range marks {
		marks[i].end -= start
	}
	x.marks = marks
}

// len is the number of ids indexed.
func (x *dedupIndex) len() int { return len(x.bySum) + len(x.exact) }
