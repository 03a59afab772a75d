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
	// Store is the queue the outboxes of every replica share.
	Store store.Queue
	// Worker names this outbox among those sharing the store (default
	// "outbox"): the replica's name.
	Worker string
	// Poll is how often the store is asked for due entries this outbox
	// was not told of, such as those other replicas added (default
	// 200ms); Add and Retry wake the outbox at once.
	Poll time.Duration
	// Claim is how long an entry claimed for an attempt stays this
	// worker's (default twice AttemptTimeout): no other worker attempts
	// it meanwhile, and a worker that dies with it loses it then. It must
	// be well above AttemptTimeout: an entry is attempted only while at
	// least half of its claim is left.
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
	// Rate returns a channel's send-rate limit, the zero Rate for none;
	// nil for no limits. It is asked for each entry claimed, so that a
	// deployment that changes a rate takes effect at once.
	Rate func(channel string) Rate
	// Replicas returns how many outboxes share the store (default 1): each
	// sends at its share of a channel's rate.
	Replicas func() int
	// Observe is told of every attempt's result: delivered, retry, failed,
	// cancelled, or held (by an open breaker); and of every entry queued
	// for a slot of its channel's send rate (rate_limited).
	Observe func(channel, result string)
	Logger  *slog.Logger
}

// Outbox is one worker of the delivery queue: it claims the entries due,
// attempts them and records each result, which ends its claim. The
// outboxes of several replicas share one queue; an entry is attempted by
// one of them at a time, and one whose worker died is attempted again
// once the claim runs out. Its methods are safe for concurrent use.
type Outbox struct {
	opts Options
	br   *breakers
	rt   *rates

	mu sync.Mutex
	// mine are the entries this worker has claimed and not yet recorded a
	// result for: waiting in ready, or being attempted.
	mine    map[string]bool
	ready   []store.Delivery
	busy    int // attempts under way
	wake    chan struct{}
	rng     *rand.Rand
	running sync.WaitGroup
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
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Claim <= 0 {
		opts.Claim = 2 * opts.AttemptTimeout
	}
	if opts.Observe == nil {
		opts.Observe = func(string, string) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{opts: opts, br: &breakers{threshold: opts.BreakerThreshold, cooldown: opts.BreakerCooldown, by: map[string]*breaker{}},
		rt: newRates(opts.Worker, opts.Rate, opts.Replicas), mine: map[string]bool{}, wake: make(chan struct{}, 1), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Add tells the outbox of entries the engine has just committed: it
// claims what is due at once instead of at its next poll.
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

// Run claims the entries due and attempts them until ctx ends. Then it
// gives back the entries it claimed and had not started, waits for the
// attempts under way to stop, and leaves their claims to run out, as a
// worker that died would: the provider may have the delivery already.
func (o *Outbox) Run(ctx context.Context) error {
	defer o.running.Wait()
	defer o.giveBackReady()
	for ctx.Err() == nil {
		o.claim(ctx)
		o.start(ctx)
		o.sleep(ctx)
	}
	return nil
}

// claim claims due entries for the attempts this worker has room for and
// queues them.
func (o *Outbox) claim(ctx context.Context) {
	o.mu.Lock()
	room := o.opts.Workers - o.busy - len(o.ready)
	held := make(map[string]bool, len(o.mine))
	for id := range o.mine {
		held[id] = true
	}
	o.mu.Unlock()
	if room <= 0 {
		return
	}
	// A store may hand a worker its own live claims again: ask for as
	// many more as this worker holds, so that those leave room for new
	// ones, and skip them, also those whose attempt ended meanwhile (the
	// store returned them as they were before it).
	es, err := o.opts.Store.ClaimDeliveries(ctx, o.opts.Worker, o.opts.Clock.Now(), o.opts.Claim, room+len(held))
	if err != nil {
		if ctx.Err() == nil {
			o.opts.Logger.Error("claiming deliveries from the outbox", "error", err)
		}
		return
	}
	now := o.opts.Clock.Now()
	limited := false
	for _, e := range es {
		o.mu.Lock()
		skip := held[e.ID] || o.mine[e.ID]
		o.mu.Unlock()
		if skip {
			continue
		}
		// The entries come earliest due first: those over their channel's
		// rate take its slots in that order.
		if it, err := o.decodeLimited(e); err == nil && it != nil {
			if ok, at, queued := o.rt.take(it, e.ID, now); !ok {
				limited = true
				it.RateLimited = true
				if queued { // a new slot, this worker's; else the one it had
					it.Slot, it.SlotWorker = at, o.opts.Worker
				}
				if o.reschedule(it, at) && queued {
					o.opts.Observe(it.Channel, "rate_limited")
				}
				continue
			}
		}
		o.mu.Lock()
		o.mine[e.ID] = true
		o.ready = append(o.ready, e)
		o.mu.Unlock()
	}
	if limited {
		o.poke() // room was made: claim on at once
	}
}

// decodeLimited decodes an entry when the outbox has rate limits, and
// returns nil for none.
func (o *Outbox) decodeLimited(e store.Delivery) (*Item, error) {
	if o.opts.Rate == nil {
		return nil, nil
	}
	return Decode(e)
}

// start begins attempts of the ready entries while there is room.
func (o *Outbox) start(ctx context.Context) {
	for {
		o.mu.Lock()
		if len(o.ready) == 0 || o.busy >= o.opts.Workers {
			o.mu.Unlock()
			return
		}
		e := o.ready[0]
		o.ready = o.ready[1:]
		o.busy++
		o.mu.Unlock()
		o.running.Add(1)
		go func() {
			defer o.running.Done()
			o.attempt(ctx, e)
			o.mu.Lock()
			o.busy--
			delete(o.mine, e.ID)
			o.mu.Unlock()
			o.poke()
		}()
	}
}

// sleep waits for Add, Retry or an attempt's end; when there is room for
// an attempt, also for the next entry to fall due or the next poll.
func (o *Outbox) sleep(ctx context.Context) {
	o.mu.Lock()
	room := o.busy+len(o.ready) < o.opts.Workers
	o.mu.Unlock()
	var due, poll <-chan time.Time
	if room {
		// An entry due already that was not claimed is another worker's:
		// a poll finds it once its claim runs out.
		if next, ok, err := o.opts.Store.NextDue(ctx); err == nil && ok {
			if d := next.Sub(o.opts.Clock.Now()); d > 0 {
				ch, stop := o.opts.Clock.After(d)
				defer stop()
				due = ch
			}
		}
		t := time.NewTimer(o.opts.Poll)
		defer t.Stop()
		poll = t.C
	}
	select {
	case <-o.wake:
	case <-due:
	case <-poll:
	case <-ctx.Done():
	}
}

// giveBackReady ends the claims of the entries claimed and not started.
func (o *Outbox) giveBackReady() {
	o.mu.Lock()
	ready := o.ready
	o.ready = nil
	for _, e := range ready {
		delete(o.mine, e.ID)
	}
	o.mu.Unlock()
	for _, e := range ready {
		o.giveBack(e)
	}
}

// giveBack ends this worker's claim on an entry, unchanged.
func (o *Outbox) giveBack(e store.Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), o.opts.AttemptTimeout)
	defer cancel()
	if err := o.opts.Store.UpdateDelivery(ctx, e); err != nil && !errors.Is(err, store.ErrNotFound) {
		o.opts.Logger.Warn("giving back a claimed delivery", "id", e.ID, "error", err)
	}
}

// record replaces the entry of an item with its state now, ending this
// worker's claim; it reports whether that was stored (or the entry is
// gone with its customer). When it was not, the claim runs out and the
// entry, as it was, is attempted again.
func (o *Outbox) record(it *Item, state store.DeliveryState) bool {
	ctx, cancel := context.WithTimeout(context.Background(), o.opts.AttemptTimeout)
	defer cancel()
	err := o.opts.Store.UpdateDelivery(ctx, it.Entry(state, o.opts.Clock.Now()))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		o.opts.Logger.Error("recording a delivery's attempt; it is attempted again when its claim runs out", "id", it.Key, "error", err)
		return false
	}
	return true
}

// reschedule leaves the item pending, to be attempted again at t.
func (o *Outbox) reschedule(it *Item, t time.Time) bool {
	it.Next = t
	return o.record(it, store.DeliveryPending)
}

// attempt makes one attempt of a claimed entry and records its result.
// Results are recorded whatever ctx says, so that a shutdown does not lose
// the result of a delivery made.
func (o *Outbox) attempt(ctx context.Context, e store.Delivery) {
	it, err := Decode(e)
	if err != nil {
		o.opts.Logger.Error("an outbox entry cannot be read; dead-lettered", "id", e.ID, "error", err)
		e.State = store.DeliveryFailed
		o.giveBack(e)
		return
	}
	it.RateLimited, it.Slot, it.SlotWorker = false, time.Time{}, ""
	now := o.opts.Clock.Now()
	if e.ClaimedUntil.Sub(now) < o.opts.Claim/2 {
		// Claimed too long ago to be sure to finish under the claim.
		o.giveBack(e)
		return
	}
	if ok, until := o.br.allow(it.Channel, now); !ok {
		o.opts.Observe(it.Channel, "held")
		o.reschedule(it, until)
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
		o.br.done(it.Channel, false, false, now)
		o.giveBack(e) // stopping before the attempt: the entry stays pending
		return
	case err != nil:
		o.br.done(it.Channel, false, false, now)
		it.Attempts++
		it.LastError, it.Outcome = err.Error(), OutcomeFailed
		o.finish(ctx, it, store.DeliveryFailed, OutcomeFailed)
		return
	}
	if ctx.Err() != nil {
		o.br.done(it.Channel, false, false, now)
		o.giveBack(e)
		return
	}
	actx, stop := context.WithTimeout(ctx, o.opts.AttemptTimeout)
	msgID, err := o.opts.Deliver(actx, source, d)
	stop()
	if ctx.Err() != nil {
		// Stopped during the attempt, whose fate is unknown: the claim
		// keeps other workers off it until the provider is surely done.
		o.br.done(it.Channel, false, false, now)
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
	if o.reschedule(it, now.Add(o.backoff(it.Attempts))) {
		o.opts.Observe(it.Channel, "retry")
	}
}

// finish reports an item's outcome, then records its final state: a
// crash between the two repeats the report, which is idempotent, never
// loses it.
func (o *Outbox) finish(ctx context.Context, it *Item, state store.DeliveryState, outcome string) {
	if err := o.opts.Report(context.WithoutCancel(ctx), it, outcome); err != nil {
		o.opts.Logger.Error("reporting a delivery's outcome; trying again", "id", it.Key, "error", err)
		o.reschedule(it, o.opts.Clock.Now().Add(o.opts.Backoff))
		return
	}
	it.Next = time.Time{}
	if !o.record(it, state) {
		return
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
// afresh; whichever worker claims it first attempts it.
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

// RateLimited counts the entries this outbox has queued for a slot of
// their channel's send rate, by channel.
func (o *Outbox) RateLimited() map[string]int { return o.rt.waiting(o.opts.Clock.Now()) }

// BreakerOpen reports whether the channel's circuit breaker is open.
func (o *Outbox) BreakerOpen(channel string) bool { return o.br.open(channel, o.opts.Clock.Now()) }
