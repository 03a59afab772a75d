package engine

import (
	"container/heap"
	"time"
)

// timerHeap orders customers by the due time of their earliest timer.
// Entries go stale when a customer's timers change; a stale entry (its due
// time is no longer the customer's scheduled one) is skipped when popped.
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

// schedule puts the customer in the heap at its next due time.
func (s *shard) schedule(c *customer, cat *compiled) {
	due := c.nextDue(cat.held)
	if due.Equal(c.scheduled) {
		return
	}
	c.scheduled = due
	if !due.IsZero() {
		heap.Push(&s.timers, timerEntry{due, c})
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
// before limit (at or before it when inclusive).
func (w *work) fireUntil(limit time.Time, inclusive bool) {
	s := w.sh
	for {
		due, ok := s.next()
		if !ok || due.After(limit) || (!inclusive && due.Equal(limit)) {
			return
		}
		c := heap.Pop(&s.timers).(timerEntry).c
		c.scheduled = time.Time{}
		w.fire(c, limit, inclusive)
		s.touch(c)
		s.schedule(c, w.cat)
	}
}
