package engine

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// timerHeap orders the customers in memory by the due time of their
// earliest timer. Entries go stale when a customer's timers change or
// they leave memory; a stale entry (its due time is no longer the
// customer's scheduled one) is skipped when popped.
type timerHeap []timerEntry

type timerEntry struct {
	due time.Time
	c   *customer
}

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = timerEntry{}
	*h = old[:len(old)-1]
	return e
}

// schedule puts the customer in the heap at its next due time; a due
// time other than the one stored makes the customer's state one to
// commit.
func (s *shard) schedule(c *customer) {
	due := c.nextDue(s.cat.held)
	if !due.Equal(c.storedDue) && !c.dirty {
		c.dirty = true
		s.touch(c)
	}
	if due.Equal(c.scheduled) {
		return
	}
	c.scheduled = due
	if !due.IsZero() {
		heap.Push(&s.timers, timerEntry{due, c})
	}
}

// rebuildTimers makes the heap anew from the customers in memory.
func (s *shard) rebuildTimers() {
	s.timers = s.timers[:0]
	for _, c := range s.customers {
		c.scheduled = time.Time{}
		s.schedule(c)
	}
}

// next returns the earliest live due time in the heap, dropping stale
// entries from its top.
func (s *shard) next() (time.Time, bool) {
	for len(s.timers) > 0 {
		top := s.timers[0]
		if top.c.scheduled.Equal(top.due) {
			return top.due, true
		}
		heap.Pop(&s.timers)
	}
	return time.Time{}, false
}

// fireUntil fires the timers of every customer of the shard that fall due
// before limit (at or before it when inclusive): those in memory, and
// those in the store, which it reads into memory first.
func (e *Engine) fireUntil(ctx context.Context, s *shard, limit time.Time, inclusive bool) error {
	for {
		s.mu.Lock()
		err := e.fireCached(e.work(s), limit, inclusive)
		m := s.storeMin
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if m.IsZero() || m.After(limit) || (!inclusive && m.Equal(limit)) {
			return nil
		}
		ids, next, err := e.storeTimers(ctx, s, limit, inclusive)
		if err != nil {
			return err
		}
		if err := e.load(ctx, s, ids); err != nil {
			return err
		}
		s.mu.Lock()
		s.storeMin = next
		s.mu.Unlock()
	}
}

// storeTimers returns the customers of the shard not in memory whose
// timers are due by limit, and the earliest timer after those of the
// customers not in memory (zero when there is none).
func (e *Engine) storeTimers(ctx context.Context, s *shard, limit time.Time, inclusive bool) ([]string, time.Time, error) {
	const page = 512
	var ids []string
	after := store.Timer{}
	until := limit
	for {
		ts, err := e.st.DueTimers(ctx, s.p, after, until, page)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("reading the timers of partition %d: %w", s.p, err)
		}
		s.mu.Lock()
		for _, t := range ts {
			after = t
			if s.customers[t.Customer] != nil {
				continue // memory holds the newer state
			}
			if until.Equal(farFuture) || (!inclusive && t.Due.Equal(limit)) {
				s.mu.Unlock()
				return ids, t.Due, nil
			}
			ids = append(ids, t.Customer)
		}
		s.mu.Unlock()
		if len(ts) < page {
			if until.Equal(farFuture) {
				return ids, time.Time{}, nil
			}
			until = farFuture // now the first one after the limit
		}
	}
}

// fireCached fires the timers of the shard's customers in memory that
// fall due before limit (at or before it when inclusive); under the
// shard's lock.
func (e *Engine) fireCached(w *work, limit time.Time, inclusive bool) error {
	s := w.sh
	for {
		due, ok := s.next()
		if !ok || due.After(limit) || (!inclusive && due.Equal(limit)) {
			return nil
		}
		c := heap.Pop(&s.timers).(timerEntry).c
		c.scheduled = time.Time{}
		w.fire(c, limit, inclusive)
		s.touch(c)
		s.schedule(c)
	}
}
