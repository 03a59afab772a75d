package engine

import (
	"sort"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Customer is a snapshot of one customer's state.
type Customer struct {
	ID string
	// Profile holds the traits received, by name.
	Profile map[string]events.Value
	// LastEvent is the latest time the customer's state moved to.
	LastEvent time.Time
	// Runs are the customer's journeys, by stack and journey.
	Runs []Run
	// Timeline holds the most recent transitions, oldest first.
	Timeline []store.Transition
}

// Run is a customer's latest pass through one journey.
type Run struct {
	Stack, Journey string
	// N counts the customer's entries into the journey.
	N      uint64
	Status string
	// Stage is the current stage while active, else the last one.
	Stage        string
	Entered      time.Time
	StageEntered time.Time
	Left         time.Time
	Timers       []Timer
}

// Timer is a pending timer of a run.
type Timer struct {
	Kind string // within, timeout
	Due  time.Time
}

// Customer returns a snapshot of the customer, false if the engine has not
// seen them.
func (e *Engine) Customer(id string) (Customer, bool) {
	s := e.shardOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[id]
	if c == nil {
		return Customer{}, false
	}
	v := Customer{ID: id, Profile: map[string]events.Value{}, LastEvent: c.last,
		Timeline: append([]store.Transition(nil), c.timeline...)}
	for _, f := range c.profile {
		v.Profile[f.name] = f.v
	}
	for _, r := range c.runs {
		rv := Run{Stack: r.stack, Journey: r.journey, N: r.n, Status: r.status, Stage: r.stage,
			Entered: r.entered, StageEntered: r.stageAt, Left: r.left}
		for _, t := range r.timers {
			rv.Timers = append(rv.Timers, Timer{t.kind, t.due})
		}
		v.Runs = append(v.Runs, rv)
	}
	sort.Slice(v.Runs, func(i, j int) bool {
		if v.Runs[i].Stack != v.Runs[j].Stack {
			return v.Runs[i].Stack < v.Runs[j].Stack
		}
		return v.Runs[i].Journey < v.Runs[j].Journey
	})
	return v, true
}

// StageCount is how many customers are in one stage now.
type StageCount struct {
	Stack, Journey, Stage string
	Customers             int
}

// StageCounts returns the customers in each stage of each journey, sorted.
func (e *Engine) StageCounts() []StageCount {
	sum := map[stageKey]int{}
	for _, s := range e.shards {
		s.mu.Lock()
		for k, n := range s.counts {
			sum[k] += n
		}
		s.mu.Unlock()
	}
	out := make([]StageCount, 0, len(sum))
	for k, n := range sum {
		out = append(out, StageCount{k.stack, k.journey, k.stage, n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		if a.Journey != b.Journey {
			return a.Journey < b.Journey
		}
		return a.Stage < b.Stage
	})
	return out
}

// Customers returns how many customers the engine holds.
func (e *Engine) Customers() int {
	n := 0
	for _, s := range e.shards {
		s.mu.Lock()
		n += len(s.customers)
		s.mu.Unlock()
	}
	return n
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
	c.forget(reg)
	for _, r := range c.runs {
		if r.status == StatusActive {
			s.count(stageKey{r.stack, r.journey, r.stage}, -1)
		}
	}
	c.scheduled = time.Time{}
	c.dirty = false
	delete(s.customers, id)
}
