package delivery

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Clock is the outbox's clock; the engine's clocks satisfy it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) (<-chan time.Time, func())
}

type wall struct{}

func (wall) Now() time.Time { return time.Now().UTC() }
func (wall) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Renderer builds the delivery of an item for its customer as they are
// now and names its provider's source; a *CancelError cancels the item.
type Renderer func(*Item) (source string, d *host.Delivery, err error)

// Deliverer makes one delivery through the provider with source: the
// provider host's Deliver.
type Deliverer func(ctx context.Context, source string, d *host.Delivery) (messageID string, err error)

// Reporter records an item's outcome (delivered, failed, cancelled) where
// the customer's contacts are kept; it must be idempotent.
type Reporter func(ctx context.Context, it *Item, outcome string) error

// Options configure an Outbox.
type Options struct {
	Store   store.Store
	Render  Renderer
	Deliver Deliverer
	Report  Reporter
	// Clock is the wall clock (default the system's).
	Clock Clock
	// Workers bounds the attempts in flight (default 8).
	Workers int
	// AttemptTimeout is the deadline of one attempt (default 30s).
	AttemptTimeout time.Duration
	// MaxAttempts is the most attempts of a delivery before it is
	// dead-lettered (default 8).
	MaxAttempts int
	// Backoff is the wait before the second attempt, doubled for each
	// further one up to MaxBackoff (defaults 2s and 10m); the wait is
	// drawn between half of it and all of it.
	Backoff, MaxBackoff time.Duration
	// BreakerThreshold is how many retryable failures in a row open a
	// channel's breaker, for BreakerCooldown (defaults 5 and 30s).
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// Observe is told of every attempt's result: delivered, retry, failed,
	// cancelled, or held (by an open breaker).
	Observe func(channel, result string)
	Logger  *slog.Logger
}

// Outbox delivers the outbox's items. Its methods are safe for concurrent
// use.
type Outbox struct {
	opts Options
	br   *breakers

	mu       sync.Mutex
	due      dueHeap
	queued   map[string]bool // in due or in flight
	wake     chan struct{}
	rng      *rand.Rand
	inflight sync.WaitGroup
}

// ErrNotFailed refuses to retry a delivery that is not dead-lettered.
var ErrNotFailed = errors.New("the delivery is not in the dead-letter list")

// New returns an outbox; Run delivers.
func New(opts Options) *Outbox {
	if opts.Clock == nil {
		opts.Clock = wall{}
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 30 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.BreakerThreshold <= 0 {
		opts.BreakerThreshold = 5
	}
	if opts.BreakerCooldown <= 0 {
		opts.BreakerCooldown = 30 * time.Second
	}
	if opts.Observe == nil {
		opts.Observe = func(string, string) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{opts: opts, br: &breakers{threshold: opts.BreakerThreshold, cooldown: opts.BreakerCooldown, by: map[string]*breaker{}},
		queued: map[string]bool{}, wake: make(chan struct{}, 1), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Add schedules entries the engine has just committed.
func (o *Outbox) Add(entries []store.Delivery) {
	o.mu.Lock()
	for _, e := range entries {
		o.push(e.ID, time.Time{})
	}
	o.mu.Unlock()
	o.poke()
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// push schedules id at t, unless it is scheduled already; o.mu is held.
func (o *Outbox) push(id string, t time.Time) {
	if o.queued[id] {
		return
	}
	o.queued[id] = true
	heap.Push(&o.due, dueEntry{t, id})
}

// Run loads the pending deliveries and delivers until ctx ends; attempts
// in flight finish first.
func (o *Outbox) Run(ctx context.Context) error {
	after := ""
	for {
		page, err := o.opts.Store.Deliveries(ctx, store.DeliveryPending, after, 1000)
		if err != nil {
			return fmt.Errorf("loading the outbox: %w", err)
		}
		o.mu.Lock()
		for _, e := range page {
			it, err := Decode(e)
			if err != nil {
				o.opts.Logger.Error("skipping an outbox entry that cannot be read", "id", e.ID, "error", err)
				continue
			}
			o.push(e.ID, it.Next)
		}
		o.mu.Unlock()
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	sem := make(chan struct{}, o.opts.Workers)
	defer o.inflight.Wait()
	for {
		now := o.opts.Clock.Now()
		o.mu.Lock()
		var ready []string
		for len(o.due) > 0 && !o.due[0].at.After(now) && len(ready) < o.opts.Workers {
			ready = append(ready, heap.Pop(&o.due).(dueEntry).id)
		}
		var wait <-chan time.Time
		stop := func() {}
		if len(ready) == 0 && len(o.due) > 0 {
			wait, stop = o.opts.Clock.After(o.due[0].at.Sub(now))
		}
		o.mu.Unlock()
		for _, id := range ready {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			o.inflight.Add(1)
			go func() {
				defer o.inflight.Done()
				defer func() { <-sem }()
				o.attempt(ctx, id)
			}()
		}
		if len(ready) > 0 {
			continue
		}
		select {
		case <-o.wake:
		case <-wait:
		case <-ctx.Done():
			stop()
			return nil
		}
		stop()
	}
}

// reschedule puts id back in the heap at t.
func (o *Outbox) reschedule(id string, t time.Time) {
	o.mu.Lock()
	delete(o.queued, id)
	o.push(id, t)
	o.mu.Unlock()
	o.poke()
}

func (o *Outbox) forget(id string) {
	o.mu.Lock()
	delete(o.queued, id)
	o.mu.Unlock()
}

// attempt makes one attempt of the delivery id.
func (o *Outbox) attempt(ctx context.Context, id string) {
	e, err := o.opts.Store.Delivery(ctx, id)
	if err != nil || e.State != store.DeliveryPending {
		if err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			o.opts.Logger.Error("reading an outbox entry", "id", id, "error", err)
			o.reschedule(id, o.opts.Clock.Now().Add(o.opts.Backoff))
			return
		}
		o.forget(id) // erased with its customer, or done
		return
	}
	it, err := Decode(e)
	if err != nil {
		o.opts.Logger.Error("an outbox entry cannot be read", "id", id, "error", err)
		o.forget(id)
		return
	}
	now := o.opts.Clock.Now()
	if ok, until := o.br.allow(it.Channel, now); !ok {
		o.opts.Observe(it.Channel, "held")
		o.reschedule(id, until)
		return
	}
	source, d, err := o.opts.Render(it)
	var cancel *CancelError
	switch {
	case errors.As(err, &cancel):
		o.br.done(it.Channel, false, false, now)
		it.LastError, it.Outcome = cancel.Reason, OutcomeCancelled
		o.finish(ctx, it, store.DeliveryCancelled, OutcomeCancelled)
		return
	case err != nil:
		o.br.done(it.Channel, false, false, now)
		it.Attempts++
		it.LastError, it.Outcome = err.Error(), OutcomeFailed
		o.finish(ctx, it, store.DeliveryFailed, OutcomeFailed)
		return
	}
	actx, stop := context.WithTimeout(ctx, o.opts.AttemptTimeout)
	msgID, err := o.opts.Deliver(actx, source, d)
	stop()
	if ctx.Err() != nil {
		o.forget(id) // shutting down: the entry stays pending
		return
	}
	now = o.opts.Clock.Now()
	it.Attempts++
	if err == nil {
		o.br.done(it.Channel, true, false, now)
		it.MessageID, it.LastError, it.Outcome = msgID, "", OutcomeDelivered
		o.finish(ctx, it, store.DeliveryDelivered, OutcomeDelivered)
		return
	}
	retry := host.Retryable(err)
	o.br.done(it.Channel, false, retry, now)
	it.LastError = err.Error()
	if !retry || it.Attempts >= o.opts.MaxAttempts {
		it.Outcome = OutcomeFailed
		o.finish(ctx, it, store.DeliveryFailed, OutcomeFailed)
		return
	}
	it.Next = now.Add(o.backoff(it.Attempts))
	if err := o.opts.Store.UpdateDelivery(ctx, it.Entry(store.DeliveryPending, now)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			o.forget(id)
			return
		}
		o.opts.Logger.Error("recording a failed attempt", "id", id, "error", err)
	}
	o.opts.Observe(it.Channel, "retry")
	o.reschedule(id, it.Next)
}

// finish reports an item's outcome, then records its final state: a
// crash between the two repeats the report, which is idempotent, never
// loses it.
func (o *Outbox) finish(ctx context.Context, it *Item, state store.DeliveryState, outcome string) {
	now := o.opts.Clock.Now()
	if err := o.opts.Report(ctx, it, outcome); err != nil {
		o.opts.Logger.Error("reporting a delivery's outcome; trying again", "id", it.Key, "error", err)
		o.reschedule(it.Key, now.Add(o.opts.Backoff))
		return
	}
	it.Next = time.Time{}
	if err := o.opts.Store.UpdateDelivery(ctx, it.Entry(state, now)); err != nil && !errors.Is(err, store.ErrNotFound) {
		o.opts.Logger.Error("recording a delivery's outcome; trying again", "id", it.Key, "error", err)
		o.reschedule(it.Key, now.Add(o.opts.Backoff))
		return
	}
	if state == store.DeliveryFailed {
		o.opts.Logger.Warn("a delivery failed for good and is in the dead-letter list", "id", it.Key, "channel", it.Channel, "attempts", it.Attempts)
	}
	o.opts.Observe(it.Channel, outcome)
	o.forget(it.Key)
}

// backoff is the wait after the n-th failed attempt: Backoff doubled n-1
// times, at most MaxBackoff, drawn between half of it and all of it.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.opts.Backoff
	for i := 1; i < n && d < o.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.opts.MaxBackoff)
	o.mu.Lock()
	j := time.Duration(o.rng.Int64N(int64(d/2) + 1))
	o.mu.Unlock()
	return d/2 + j
}

// Retry replays a dead-lettered delivery now, with its attempts counted
// afresh.
func (o *Outbox) Retry(ctx context.Context, id string) (*Item, error) {
	e, err := o.opts.Store.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.State != store.DeliveryFailed {
		return nil, fmt.Errorf("delivery %s is %s: %w", id, e.State, ErrNotFailed)
	}
	it, err := Decode(e)
	if err != nil {
		return nil, err
	}
	it.Attempts, it.Next, it.Outcome = 0, time.Time{}, ""
	if err := o.opts.Store.UpdateDelivery(ctx, it.Entry(store.DeliveryPending, o.opts.Clock.Now())); err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.push(id, time.Time{})
	o.mu.Unlock()
	o.poke()
	return it, nil
}

// Listed is an item with its state, as the API lists it.
type Listed struct {
	Item
	State   store.DeliveryState
	Updated time.Time
}

// List returns up to max items in state whose keys sort after after.
func (o *Outbox) List(ctx context.Context, state store.DeliveryState, after string, max int) ([]Listed, error) {
	es, err := o.opts.Store.Deliveries(ctx, state, after, max)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(es))
	for _, e := range es {
		it, err := Decode(e)
		if err != nil {
			return nil, err
		}
		out = append(out, Listed{Item: *it, State: e.State, Updated: e.Updated})
	}
	return out, nil
}

// BreakerOpen reports whether the channel's circuit breaker is open.
func (o *Outbox) BreakerOpen(channel string) bool { return o.br.open(channel, o.opts.Clock.Now()) }

type dueEntry struct {
	at time.Time
	id string
}

type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
