package engine

import (
	"container/list"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// shard is one partition of customers: while this replica holds its
// lease, the customers it has in memory (a bounded cache, least recently
// used first out), their timers, and what processing changed since the
// last commit.
type shard struct {
	p int
	// mu guards what follows; Run's goroutine changes it, decide
	// requests and views read it.
	mu    sync.Mutex
	owned bool
	lease store.Lease
	// pos is the log position processed (committed or not), clock and
	// arrival the log's clocks there; moved is set when pos moved since
	// the last commit.
	pos            uint64
	clock, arrival time.Time
	moved          bool
	cat            *compiled

	customers map[string]*customer
	lru       *list.List // of *customer, most recently used in front
	capacity  int
	timers    timerHeap
	// storeMin is the earliest timer of the customers in the store that
	// are not in memory; zero when there is none.
	storeMin time.Time

	dirty   []*customer
	facts   []fact
	counts  map[stageKey]int // changes since the last commit
	trans   map[transKey]int // transitions since the last commit, for the Observer
	items   []item
	deleted []string
	scratch []byte // reused to encode customers
	// due and timerScratch are fire's and setTimers' scratch, reused
	// from customer to customer.
	due          []runDue
	timerScratch []timer
	trig         triggerScratch
	decide       decide.Scratch // for the decisions triggers make
	outbox       []store.Delivery
	rng          *rand.Rand
}

func newShard(p, capacity int, rng *rand.Rand) *shard {
	return &shard{p: p, capacity: capacity, customers: map[string]*customer{}, lru: list.New(), counts: map[stageKey]int{}, trans: map[transKey]int{}, rng: rng}
}

func (s *shard) count(k stageKey, d int) {
	s.counts[k] += d
	if s.counts[k] == 0 {
		delete(s.counts, k)
	}
}

func (s *shard) touch(c *customer) {
	if c.dirty && !c.queued {
		c.queued = true
		s.dirty = append(s.dirty, c)
	}
}

// get returns a customer in memory and marks them used; nil if not in
// memory.
func (s *shard) get(id string) *customer {
	c := s.customers[id]
	if c != nil {
		s.lru.MoveToFront(c.elem)
	}
	return c
}

// put adds a customer to memory and schedules their timers.
func (s *shard) put(c *customer) {
	s.customers[c.id] = c
	c.elem = s.lru.PushFront(c)
	s.schedule(c)
}

// evict drops the least recently used customers over the capacity whose
// state is durable: committed by the commit numbered committed or
// before.
func (s *shard) evict(committed uint64) {
	for el := s.lru.Back(); el != nil && len(s.customers) > s.capacity; {
		c := el.Value.(*customer)
		prev := el.Prev()
		if !c.dirty && !c.queued && c.gen <= committed {
			s.lru.Remove(el)
			delete(s.customers, c.id)
			c.scheduled = time.Time{} // its heap entry goes stale
			if !c.storedDue.IsZero() && (s.storeMin.IsZero() || c.storedDue.Before(s.storeMin)) {
				s.storeMin = c.storedDue
			}
		}
		el = prev
	}
	if len(s.timers) > 2*len(s.customers)+64 {
		s.rebuildTimers()
	}
}

// drop forgets everything in memory: the partition is no longer held, or
// it resumes from its last commit.
func (s *shard) drop() {
	s.owned = false
	s.lease = store.Lease{}
	s.customers = map[string]*customer{}
	s.lru.Init()
	s.timers = nil
	s.storeMin = time.Time{}
	clear(s.dirty)
	s.dirty = s.dirty[:0]
	s.facts = nil
	s.counts = map[stageKey]int{}
	s.trans = map[transKey]int{}
	s.items = nil
	s.deleted = nil
	s.outbox = nil
	s.moved = false
	s.cat = nil
}

// erase forgets a customer: profile, journeys, timers, contacts, and
// their contributions to the models.
func (s *shard) erase(id string, reg *models.Registry) {
	s.deleted = append(s.deleted, id) // the store may hold their decisions even if the engine never saw them
	kept := s.outbox[:0]
	for _, d := range s.outbox {
		if d.Customer != id {
			kept = append(kept, d)
		}
	}
	clear(s.outbox[len(kept):])
	s.outbox = kept
	c := s.customers[id]
	if c == nil {
		return
	}
	c.forget(s.p, reg, s.cat, c.last)
	for _, r := range c.runs {
		if r.status == StatusActive {
			s.count(stageKey{r.stack, r.journey, r.stage}, -1)
		}
	}
	c.scheduled = time.Time{}
	c.dirty = false
	s.lru.Remove(c.elem)
	delete(s.customers, id)
}

// loadFor reads the customers that the shard's queued records name and
// that are not in memory, in one call to the store.
func (e *Engine) loadFor(ctx context.Context, s *shard) error {
	seen := map[string]bool{}
	var ids []string
	s.mu.Lock()
	for i := range s.items {
		id := s.items[i].customer()
		if id == "" || seen[id] || s.customers[id] != nil {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	s.mu.Unlock()
	return e.load(ctx, s, ids)
}

// load reads customers into the shard's memory (those the store has).
func (e *Engine) load(ctx context.Context, s *shard, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		got, err := e.st.CustomersByID(ctx, ids[:n])
		if err != nil {
			return fmt.Errorf("reading customers of partition %d: %w", s.p, err)
		}
		ids = ids[n:]
		s.mu.Lock()
		for _, sc := range got {
			if s.customers[sc.ID] != nil {
				continue
			}
			c, err := e.openCustomer(ctx, sc)
			if err != nil {
				s.mu.Unlock()
				return fmt.Errorf("customer %q: %w", sc.ID, err)
			}
			c.storedDue = sc.Due
			s.put(c)
		}
		s.mu.Unlock()
	}
	return nil
}

// withCustomer calls fn with a customer as the engine holds them: from
// memory (under the shard's lock, which fn must not keep) or else from
// the store, without keeping them in memory; with nil when there is none.
func (e *Engine) withCustomer(ctx context.Context, id string, fn func(*customer)) error {
	s := e.shardOf(id)
	s.mu.Lock()
	if c := s.customers[id]; c != nil {
		fn(c)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	sc, err := e.st.Customer(ctx, id)
	if err == store.ErrNotFound {
		fn(nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading customer: %w", err)
	}
	c, err := e.openCustomer(ctx, sc)
	if err != nil {
		return fmt.Errorf("customer %q: %w", sc.ID, err)
	}
	fn(c)
	return nil
}

// takeLease starts processing a partition from its last commit.
func (e *Engine) takeLease(ctx context.Context, s *shard, l store.Lease, cur store.Cursor) error {
	cat, err := e.cats.at(ctx, e.st, cur.Seq)
	if err != nil {
		return err
	}
	first, err := e.st.DueTimers(ctx, s.p, store.Timer{}, farFuture, 1)
	if err != nil {
		return fmt.Errorf("reading the timers of partition %d: %w", s.p, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop()
	s.owned, s.lease = true, l
	s.pos, s.clock, s.arrival = cur.Seq, cur.Clock, cur.ArrivalClock
	s.cat = cat
	if len(first) > 0 {
		s.storeMin = first[0].Due
	}
	e.offerCatalog(cat, cur.Seq)
	return nil
}

// farFuture bounds the timers read when looking for the earliest.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
