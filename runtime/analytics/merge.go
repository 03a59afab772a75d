package analytics

import (
	"container/heap"
	"time"
)

// Merge feeds an Analytics the records of partitions that are processed
// apart (by several replicas, perhaps) and committed in any interleaving.
// Each partition's records come in the order of their Seq; across
// partitions Merge applies them in order of time (At; ties by partition),
// and only those at or before the low watermark the caller gives: a time
// up to which every partition has committed its records, so that none
// still to come can be earlier. The later ones wait. Alerts are evaluated
// at every hour boundary the records pass, before the first record after
// it, and at every hour boundary the watermark passes. So the records
// applied before each boundary, and the alerts raised there, are the same
// however the records were batched and the partitions interleaved.
//
// A record committed after the watermark passed its time (an event
// stamped earlier than the clock of another partition, a decision
// recorded late) is applied when it comes, after the boundaries it
// precedes.
//
// Alerts are evaluated at those boundaries only, never at the watermark
// itself: the state of a KPI within an hour depends on how much of the
// hour's records a feed had read, so alerts evaluated there would depend
// on the batching. The last boundary evaluated is kept by the Analytics
// (and its snapshots), so that after a restart the boundaries after it
// are evaluated again as they were: the same alerts, with the same ids.
//
// Merge is not safe for concurrent use; the Analytics it feeds is.
type Merge struct {
	a     *Analytics
	held  []queue  // by partition, each in order of Seq
	read  []uint64 // the last Seq added, by partition
	heads heads
	n     int // records held
	// hour is the last hour boundary alerts were evaluated at; zero
	// before the first.
	hour time.Time
}

// maxAlertHours bounds the hour boundaries evaluated across one gap
// between records or watermarks: a window's worth.
const maxAlertHours = 31 * 24

// NewMerge returns a Merge of partitions records for a, which has applied
// those up to applied (by partition; Applied).
func NewMerge(a *Analytics, partitions int, applied []uint64) *Merge {
	m := &Merge{a: a, held: make([]queue, partitions), read: make([]uint64, partitions), hour: a.Boundary()}
	copy(m.read, applied)
	return m
}

// Read returns, by partition, the Seq of the last record added or applied:
// where reading the partition's records resumes.
func (m *Merge) Read() []uint64 { return append([]uint64(nil), m.read...) }

// Held is how many records wait for the watermark.
func (m *Merge) Held() int { return m.n }

// Add queues records. A record of a partition out of range, or not after
// the last one added of its partition, is dropped.
func (m *Merge) Add(recs ...Record) {
	for _, r := range recs {
		p := r.Partition
		if p < 0 || p >= len(m.held) || (r.Seq != 0 && r.Seq <= m.read[p]) {
			continue
		}
		if r.Seq != 0 {
			m.read[p] = r.Seq
		}
		q := &m.held[p]
		q.push(r)
		m.n++
		if q.len() == 1 {
			heap.Push(&m.heads, head{p, r.At()})
		}
	}
}

// Release applies, in order of time across partitions, the records held
// that happened at or before low, and returns the alerts of the hour
// boundaries passed: before the first record of an hour after the last
// boundary evaluated, every boundary up to it, and then every boundary up
// to low.
func (m *Merge) Release(low time.Time) []Alert {
	var out []Alert
	var batch []Record
	for m.heads.Len() > 0 {
		p, t := m.heads.hs[0].p, m.heads.hs[0].at
		if t.After(low) {
			break
		}
		r := *m.held[p].first()
		m.pop(p)
		if h := t.Truncate(time.Hour); !t.IsZero() && h.After(m.hour) {
			m.a.Apply(batch...)
			batch = batch[:0]
			out = append(out, m.boundaries(h)...)
		}
		batch = append(batch, r)
	}
	m.a.Apply(batch...)
	if h := low.Truncate(time.Hour); !low.IsZero() && h.After(m.hour) {
		out = append(out, m.boundaries(h)...)
	}
	return out
}

// pop takes the first record held of partition p, which heads the heap.
func (m *Merge) pop(p int) {
	q := &m.held[p]
	q.recs[q.off] = Record{}
	q.off++
	m.n--
	if q.len() == 0 {
		q.recs, q.off = q.recs[:0], 0 // the array serves the next records
		heap.Pop(&m.heads)
	} else {
		m.heads.hs[0].at = q.first().At()
		heap.Fix(&m.heads, 0)
	}
}

// boundaries evaluates alerts at each hour boundary after the last one
// evaluated, up to h; across a gap of more than maxAlertHours, at h only.
func (m *Merge) boundaries(h time.Time) []Alert {
	from := m.hour.Add(time.Hour)
	if m.hour.IsZero() || h.Sub(from) > maxAlertHours*time.Hour {
		from = h
	}
	m.hour = h
	var out []Alert
	for t := from; !t.After(h); t = t.Add(time.Hour) {
		out = append(out, m.a.boundaryAlerts(t)...)
	}
	return out
}

// queue is a partition's records held, from off on.
type queue struct {
	recs []Record
	off  int
}

func (q *queue) len() int { return len(q.recs) - q.off }

// push adds r at the end. When the array is full and half of it or more
// has been taken, the records held move to its front first (rather than
// into a larger one), so that it stays within twice the records held.
func (q *queue) push(r Record) {
	if len(q.recs) == cap(q.recs) && q.off > 0 && q.off >= len(q.recs)/2 {
		n := copy(q.recs, q.recs[q.off:])
		clear(q.recs[n:])
		q.recs, q.off = q.recs[:n], 0
	}
	q.recs = append(q.recs, r)
}

func (q *queue) first() *Record { return &q.recs[q.off] }

// heads orders the partitions that hold records by the time of their
// first, then by partition.
type heads struct{ hs []head }

// head is a partition that holds records, with the time of its first.
type head struct {
	p  int
	at time.Time
}

func (h *heads) Len() int { return len(h.hs) }
func (h *heads) Less(i, j int) bool {
	a, b := h.hs[i], h.hs[j]
	return a.at.Before(b.at) || a.at.Equal(b.at) && a.p < b.p
}
func (h *heads) Swap(i, j int) { h.hs[i], h.hs[j] = h.hs[j], h.hs[i] }
func (h *heads) Push(x any)    { h.hs = append(h.hs, x.(head)) }
func (h *heads) Pop() any {
	x := h.hs[len(h.hs)-1]
	h.hs = h.hs[:len(h.hs)-1]
	return x
}
