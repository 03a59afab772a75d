package engine

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
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
	// OptOuts are the channels the customer unsubscribed from, by
	// channel.
	OptOuts []OptOut
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
func (e *Engine) Customer(ctx context.Context, id string) (Customer, bool, error) {
	var v Customer
	found := false
	err := e.withCustomer(ctx, id, func(c *customer) {
		if c == nil {
			return
		}
		found = true
		v = Customer{ID: id, Profile: map[string]events.Value{}, LastEvent: c.last,
			Timeline: append([]store.Transition(nil), c.recent()...)}
		for _, f := range c.profile {
			v.Profile[f.name] = f.v
		}
		for _, o := range c.optOuts {
			v.OptOuts = append(v.OptOuts, OptOut{Channel: o.channel, Since: o.at, Source: o.source})
		}
		v.Runs = make([]Run, 0, len(c.runs))
		for _, r := range c.runs {
			rv := Run{Stack: r.stack, Journey: r.journey, N: r.n, Status: r.status, Stage: r.stage,
				Entered: r.entered, StageEntered: r.stageAt, Left: r.left}
			for _, t := range r.timers {
				rv.Timers = append(rv.Timers, Timer{t.kind, t.due})
			}
			v.Runs = append(v.Runs, rv)
		}
	})
	if err != nil || !found {
		return Customer{}, false, err
	}
	sort.Slice(v.Runs, func(i, j int) bool {
		if v.Runs[i].Stack != v.Runs[j].Stack {
			return v.Runs[i].Stack < v.Runs[j].Stack
		}
		return v.Runs[i].Journey < v.Runs[j].Journey
	})
	return v, true, nil
}

// EachRun calls f with the stack, journey, status and stage of each of the
// customer's runs, as Customer has them but in no order and without
// copying the rest; it reports false if the engine has not seen them. f
// must not call the engine.
func (e *Engine) EachRun(ctx context.Context, id string, f func(stack, journey, status, stage string)) (bool, error) {
	found := false
	err := e.withCustomer(ctx, id, func(c *customer) {
		if c == nil {
			return
		}
		found = true
		for _, r := range c.runs {
			f(r.stack, r.journey, r.status, r.stage)
		}
	})
	return found, err
}

// StageCount is how many customers are in one stage now.
type StageCount struct {
	Stack, Journey, Stage string
	Customers             int
}

// StageCounts returns the customers in each stage of each journey, sorted:
// as committed in every partition, with what this replica has processed
// since.
func (e *Engine) StageCounts(ctx context.Context) ([]StageCount, error) {
	// No commit is written while the store is read, and the commits in
	// flight and the shards are read together: each count is seen once.
	e.counts.written.RLock()
	stored, err := e.st.StageCounts(ctx)
	if err != nil {
		e.counts.written.RUnlock()
		return nil, err
	}
	sum := map[stageKey]int{}
	for k, n := range stored {
		if sk, ok := parseStageKey(k); ok {
			sum[sk] += int(n)
		}
	}
	e.counts.mu.Lock()
	for _, c := range e.counts.byGen {
		for k, n := range c {
			sum[k] += n
		}
	}
	for _, s := range e.shards {
		s.mu.Lock()
		for k, n := range s.counts {
			sum[k] += n
		}
		s.mu.Unlock()
	}
	e.counts.mu.Unlock()
	e.counts.written.RUnlock()
	out := make([]StageCount, 0, len(sum))
	for k, n := range sum {
		if n != 0 {
			out = append(out, StageCount{k.stack, k.journey, k.stage, n})
		}
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
	return out, nil
}

// Cached returns how many customers the engine holds in memory.
func (e *Engine) Cached() int {
	n := 0
	for _, s := range e.shards {
		s.mu.Lock()
		n += len(s.customers)
		s.mu.Unlock()
	}
	return n
}

// CustomerIDs returns, in order, the ids of the customers of partition p
// that an Ephemeral engine keeps: those it has committed the state of,
// to its memory alone, which a store would hold. Nil for any other
// engine, whose store lists its customers.
func (e *Engine) CustomerIDs(p int) []string {
	if !e.opts.Ephemeral || p < 0 || p >= len(e.shards) {
		return nil
	}
	s := e.shards[p]
	s.mu.Lock()
	ids := make([]string, 0, len(s.customers))
	for id, c := range s.customers {
		if c.gen > 0 {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	return ids
}

// Holds reports whether this replica processes partition p now.
func (e *Engine) Holds(p int) bool {
	if p < 0 || p >= len(e.shards) {
		return false
	}
	s := e.shards[p]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owned
}

// Partitions returns how many partitions this replica holds.
func (e *Engine) Partitions() int { return e.leases.count() }
