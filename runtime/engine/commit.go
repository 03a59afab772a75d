package engine

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/store"
)

// commit hands what the partitions held changed since the last commit,
// with their positions and leases, to the committer. It runs on Run's
// goroutine between stretches, never while one is half applied.
func (e *Engine) commit(ctx context.Context) error {
	arrivals := e.arrivals
	e.arrivals, e.applied, e.lastCommit = nil, 0, time.Now()
	e.evict()
	var c store.Commit
	gen := e.sent + 1
	any := false
	var encoded [store.Partitions][]store.Customer
	err := e.parallel(e.owned, func(s *shard) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if e.opts.Ephemeral {
			// Memory keeps them: nothing is written, but what is listed
			// as kept is what the store would hold (CustomerIDs).
			for _, cu := range s.dirty {
				if cu.dirty {
					cu.gen = gen
				}
				cu.dirty, cu.queued = false, false
			}
			clear(s.dirty)
			s.dirty = s.dirty[:0]
			return nil
		}
		var out []store.Customer
		// Sealed first: a failure leaves every customer dirty.
		for _, cu := range s.dirty {
			if cu.dirty {
				s.scratch = cu.encode(s.scratch[:0])
				var data []byte
				if e.opts.SealState != nil {
					var err error
					if data, err = e.opts.SealState(ctx, cu.id, s.scratch); err != nil {
						return fmt.Errorf("sealing the state of a customer: %w", err)
					}
				} else {
					data = bytes.Clone(s.scratch)
				}
				out = append(out, store.Customer{ID: cu.id, Partition: s.p, Data: data})
			}
		}
		i := 0
		for _, cu := range s.dirty {
			if cu.dirty {
				due := cu.nextDue(s.cat.held)
				out[i].Due = due
				i++
				cu.storedDue = due
				cu.gen = gen
			}
			cu.dirty, cu.queued = false, false
		}
		clear(s.dirty)
		s.dirty = s.dirty[:0]
		encoded[s.p] = out
		return nil
	})
	if err != nil {
		return err
	}
	nf, nc := 0, 0
	for _, s := range e.owned {
		s.mu.Lock()
		nf += len(s.facts)
		nc += len(s.counts)
		s.mu.Unlock()
	}
	c.Facts = make([]store.Fact, 0, nf)
	c.Counts = make([]store.Count, 0, nc)
	var recs []analytics.Record // the facts' records, when decoded
	if e.opts.DecodedFacts {
		// Sized for all, so that the records share one array.
		recs = make([]analytics.Record, 0, nf)
	}
	low := uint64(0)
	// The counts move from the shards to those in flight under the
	// in-flight lock, so that StageCounts never sees them in both or in
	// neither.
	e.counts.mu.Lock()
	moved := map[stageKey]int{}
	trans := e.trans[:0]
	for i, s := range e.owned {
		s.mu.Lock()
		changed := s.moved || len(encoded[s.p]) > 0 || len(s.deleted) > 0 || len(s.facts) > 0 || len(s.counts) > 0 || len(s.outbox) > 0
		c.Customers = append(c.Customers, encoded[s.p]...)
		c.Delete = append(c.Delete, s.deleted...)
		s.deleted = s.deleted[:0]
		// A partition's facts in the order made; across partitions, in
		// order of time.
		fs := s.facts
		sort.SliceStable(fs, func(a, b int) bool { return fs[a].t.Before(fs[b].t) })
		for i := range fs {
			if sf, ok := fs[i].stored(s.p, e.opts.DecodedFacts, &recs); ok {
				c.Facts = append(c.Facts, sf)
			}
		}
		clear(fs)
		s.facts = fs[:0] // the array serves the next stretch
		for k, d := range s.counts {
			c.Counts = append(c.Counts, store.Count{Partition: s.p, Key: k.String(), Delta: int64(d)})
			moved[k] += d
		}
		clear(s.counts)
		for k, n := range s.trans {
			trans = append(trans, TransitionCount{Stack: k.stack, Journey: k.journey, Reason: k.reason, N: n})
		}
		clear(s.trans)
		c.Deliveries = append(c.Deliveries, s.outbox...)
		clear(s.outbox)
		s.outbox = s.outbox[:0]
		if changed {
			c.Cursors = append(c.Cursors, store.Cursor{Partition: s.p, Seq: s.pos, Clock: s.clock, ArrivalClock: s.arrival})
			c.Leases = append(c.Leases, s.lease)
			any = true
		}
		s.moved = false
		if i == 0 || s.pos < low {
			low = s.pos
		}
		s.mu.Unlock()
	}
	if len(moved) > 0 {
		e.counts.add(gen, moved)
	}
	e.counts.mu.Unlock()
	if len(trans) > 0 {
		e.opts.Observer.Transitions(trans)
	}
	clear(trans)
	e.trans = trans[:0]
	for _, m := range e.opts.Models.TakeDirty() {
		if !e.shards[m.Partition].owned {
			continue // learnt before the partition moved: its new owner replays it
		}
		c.Models = append(c.Models, store.Model{Partition: m.Partition, Key: m.Key, Data: m.Data})
		any = true
		if !hasLease(c.Leases, m.Partition) {
			c.Leases = append(c.Leases, e.shards[m.Partition].lease)
		}
	}
	if !any {
		return nil
	}
	select {
	case e.commits <- pending{c: c, gen: gen, arrivals: arrivals, pos: low}:
	case <-e.failed:
		e.counts.mu.Lock()
		e.counts.remove(gen)
		e.counts.mu.Unlock()
		return e.commitErr
	}
	e.sent = gen
	return nil
}

// inflightCounts are the stage counts of commits on their way to the
// store, by commit. Lock order: written (held by StageCounts across its
// read of the store, by the committer across a write), then mu, then a
// shard's.
type inflightCounts struct {
	written sync.RWMutex
	mu      sync.Mutex
	byGen   map[uint64]map[stageKey]int
}

// add records a commit's counts; the caller holds mu.
func (f *inflightCounts) add(gen uint64, c map[stageKey]int) {
	if f.byGen == nil {
		f.byGen = map[uint64]map[stageKey]int{}
	}
	f.byGen[gen] = c
}

// remove forgets a commit's counts; the caller holds mu.
func (f *inflightCounts) remove(gen uint64) { delete(f.byGen, gen) }

// evict drops customers over the cache size whose state is durable. It
// runs on Run's goroutine, never while a stretch that names them is being
// applied.
func (e *Engine) evict() {
	done := e.committed.Load()
	for _, s := range e.owned {
		s.mu.Lock()
		s.evict(done)
		s.mu.Unlock()
	}
}

func hasLease(ls []store.Lease, p int) bool {
	for _, l := range ls {
		if l.Partition == p {
			return true
		}
	}
	return false
}

// committer writes commits in order and moves the processed position on.
// It runs beside the engine so that processing the next stretch of the log
// overlaps the store's write and fsync of the last.
func (e *Engine) committer() {
	for p := range e.commits {
		if e.commitErr != nil {
			continue
		}
		// Written or refused, the commit's counts are no longer in
		// flight: a refused commit's state is dropped and read again.
		e.counts.written.Lock()
		err := e.st.Commit(context.Background(), p.c)
		e.counts.mu.Lock()
		e.counts.remove(p.gen)
		e.counts.mu.Unlock()
		e.counts.written.Unlock()
		if err != nil {
			e.commitErr = fmt.Errorf("committing state: %w", err)
			close(e.failed)
			continue
		}
		if len(p.c.Deliveries) > 0 && e.opts.Enqueued != nil {
			e.opts.Enqueued(p.c.Deliveries)
		}
		e.advance(p.pos)
		if len(p.arrivals) > 0 {
			e.opts.Observer.Committed(p.arrivals, e.opts.Clock.Now())
		}
	}
}

func (e *Engine) advance(low uint64) {
	e.committed.Add(1)
	if low > e.processed.Load() {
		e.processed.Store(low)
	}
	if low >= e.startSeq {
		e.ready.Store(true)
	}
	e.progressMu.Lock()
	close(e.progress)
	e.progress = make(chan struct{})
	e.progressMu.Unlock()
}

// flush waits until every commit handed to the committer is written.
func (e *Engine) flush(ctx context.Context) error {
	for {
		e.progressMu.Lock()
		ch := e.progress
		e.progressMu.Unlock()
		if e.committed.Load() >= e.sent {
			return nil
		}
		select {
		case <-ch:
		case <-e.failed:
			return e.commitErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
