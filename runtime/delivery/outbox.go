package delivery

import (
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
type Renderer func(ctx context.Context, it *Item) (source string, d *host.Delivery, err error)

// Deliverer makes one delivery through the provider with source: the
// provider host's Deliver.
type Deliverer func(ctx context.Context, source string, d *host.Delivery) (messageID string, err error)

// Reporter records an item's outcome (delivered, failed, cancelled) where
// the customer's contacts are kept; it must be idempotent.
type Reporter func(ctx context.Context, it *Item, outcome string) error

// Options configure an Outbox.
type Options struct {
	Store store.Queue
	// Worker names this outbox among those sharing the store (default
	// "outbox").
	Worker string
	// Poll is how often the store is asked for entries due that another
	// replica added (default 250ms); entries added here (Add) wake the
	// outbox at once.
	Poll time.Duration
	// Claim is how long an entry claimed for an attempt stays this
	// worker's (default twice AttemptTimeout plus 5s): long enough that no
	// other worker attempts it while this one may still, short enough
	// that a dead worker's entries are soon attempted again.
	Claim   time.Duration
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
	inflight map[string]bool // attempts under way here
	wake     chan struct{}
	rng      *rand.Rand
	running  sync.WaitGroup
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
	if opts.Worker == "" {
		opts.Worker = "outbox"
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Claim <= 0 {
		opts.Claim = 2*opts.AttemptTimeout + 5*time.Second
	}
	if opts.Observe == nil {
		opts.Observe = func(string, string) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{opts: opts, br: &breakers{threshold: opts.BreakerThreshold, cooldown: opts.BreakerCooldown, by: map[string]*breaker{}},
		inflight: map[string]bool{}, wake: make(chan struct{}, 1), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Add tells the outbox of entries the engine has just committed.
func (o *Outbox) Add(entries []store.Delivery) {
	if len(entries) > 0 {
		o.poke()
	}
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run claims the entries due and attempts them until ctx ends; attempts
// in flight finish first, and what they had not finished is given back.
func (o *Outbox) Run(ctx context.Context) error {
	sem := make(chan struct{}, o.opts.Workers)
	defer o.running.Wait()
	for {
		if ctx.Err() != nil {
			return nil
		}
		free := o.opts.Workers - len(sem)
		var claimed []store.Delivery
		if free > 0 {
			var err error
			claimed, err = o.opts.Store.ClaimDeliveries(ctx, o.opts.Worker, o.opts.Clock.Now(), o.opts.Claim, free)
			if err != nil && ctx.Err() == nil {
				o.opts.Logger.Error("claiming deliveries from the outbox", "error", err)
			}
		}
		started := 0
		for _, e := range claimed {
			o.mu.Lock()
			busy := o.inflight[e.ID]
			o.inflight[e.ID] = true
			o.mu.Unlock()
			if busy {
				continue // being attempted here already
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				o.giveBack(e)
				return nil
			}
			started++
			o.running.Add(1)
			go func() {
				defer o.running.Done()
				defer func() { <-sem }()
				o.attempt(ctx, e)
				o.mu.Lock()
				delete(o.inflight, e.ID)
				o.mu.Unlock()
				o.poke()
			}()
		}
		if started > 0 && started == free {
			continue
		}
		wait := o.opts.Poll
		if next, ok, err := o.opts.Store.NextDue(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(o.opts.Clock.Now()), time.Millisecond))
		}
		ch, stop := o.opts.Clock.After(wait)
		poll := time.NewTimer(o.opts.Poll)
		select {
		case <-o.wake:
		case <-ch:
		case <-poll.C:
		case <-ctx.Done():
		}
		stop()
		poll.Stop()
	}
}

// giveBack ends this worker's claim on an entry it will not attempt.
func (o *Outbox) giveBack(e store.Delivery) {
	if err := o.opts.Store.UpdateDelivery(context.Background(), e); err != nil && !errors.Is(err, store.ErrNotFound) {
		o.opts.Logger.Warn("giving back a claimed delivery", "id", e.ID, "error", err)
	}
}

// reschedule leaves the item pending, to be attempted again at t.
func (o *Outbox) reschedule(it *Item, state store.DeliveryState, t time.Time) {
	it.Next = t
	if err := o.opts.Store.UpdateDelivery(context.Background(), it.Entry(state, o.opts.Clock.Now())); err != nil && !errors.Is(err, store.ErrNotFound) {
		o.opts.Logger.Error("rescheduling a delivery", "id", it.Key, "error", err)
	}
}

// attempt makes one attempt of a claimed entry.
func (o *Outbox) attempt(ctx context.Context, e store.Delivery) {
	// The claim may have been read just before an attempt here finished
	// the entry: what the store holds now says.
	cur, err := o.opts.Store.Delivery(ctx, e.ID)
	if err != nil || cur.State != store.DeliveryPending || cur.Claim != o.opts.Worker {
		return
	}
	e = cur
	it, err := Decode(e)
	if err != nil {
		o.opts.Logger.Error("an outbox entry cannot be read; dead-lettered", "id", e.ID, "error", err)
		e.State = store.DeliveryFailed
		o.giveBack(e)
		return
	}
	now := o.opts.Clock.Now()
	if ok, until := o.br.allow(it.Channel, now); !ok {
		o.opts.Observe(it.Channel, "held")
		o.reschedule(it, store.DeliveryPending, until)
		return
	}
	source, d, err := o.opts.Render(ctx, it)
	var cancel *CancelError
	switch {
	case errors.As(err, &cancel):
		o.br.done(it.Channel, false, false, now)
		it.LastError, it.Outcome = cancel.Reason, OutcomeCancelled
		o.finish(ctx, it, store.DeliveryCancelled, OutcomeCancelled)
		return
	case err != nil && ctx.Err() != nil:
		o.giveBack(e) // shutting down: the entry stays pending
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
		o.giveBack(e) // shutting down: the entry stays pending
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
	o.opts.Observe(it.Channel, "retry")
	o.reschedule(it, store.DeliveryPending, now.Add(o.backoff(it.Attempts)))
}

// finish reports an item's outcome, then records its final state: a
// crash between the two repeats the report, which is idempotent, never
// loses it.
func (o *Outbox) finish(ctx context.Context, it *Item, state store.DeliveryState, outcome string) {
	now := o.opts.Clock.Now()
	if err := o.opts.Report(ctx, it, outcome); err != nil {
		o.opts.Logger.Error("reporting a delivery's outcome; trying again", "id", it.Key, "error", err)
		o.reschedule(it, store.DeliveryPending, now.Add(o.opts.Backoff))
		return
	}
	it.Next = time.Time{}
	if err := o.opts.Store.UpdateDelivery(context.Background(), it.Entry(state, now)); err != nil && !errors.Is(err, store.ErrNotFound) {
		o.opts.Logger.Error("recording a delivery's outcome; trying again", "id", it.Key, "error", err)
		return // the claim runs out and the entry, still pending, is attempted again
	}
	if state == store.DeliveryFailed {
		o.opts.Logger.Warn("a delivery failed for good and is in the dead-letter list", "id", it.Key, "channel", it.Channel, "attempts", it.Attempts)
	}
	o.opts.Observe(it.Channel, outcome)
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
