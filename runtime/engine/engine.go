package engine

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Observer is told what the engine does, for metrics. Its methods are
// called from several goroutines at once.
type Observer interface {
	// NullCondition counts a condition that met a null.
	NullCondition(name string)
	// OverBudget counts a condition that went over its evaluation budget
	// (and so was false).
	OverBudget(name string)
	// Transition counts a transition.
	Transition(stack, journey, reason string)
	// Committed reports events made durable in effect, with their arrival
	// times, at now.
	Committed(arrivals []time.Time, now time.Time)
}

type nopObserver struct{}

func (nopObserver) NullCondition(string)              {}
func (nopObserver) OverBudget(string)                 {}
func (nopObserver) Transition(string, string, string) {}
func (nopObserver) Committed([]time.Time, time.Time)  {}

// Options configure an Engine.
type Options struct {
	Store store.Store
	// Clock is the wall clock (default Wall).
	Clock Clock
	// EventClock runs timers on the highest event timestamp processed
	// instead of the wall clock.
	EventClock bool
	// Shards is the number of customer shards processed in parallel
	// (default GOMAXPROCS).
	Shards int
	// MaxBatch is the most log records processed between two commits
	// (default 16384).
	MaxBatch int
	// LoadDeployment reads the document of one deployment of a stack.
	LoadDeployment func(ctx context.Context, stack string, serial int64) (*deploy.Document, error)
	// Models holds the adaptive models, which responses train; a new
	// registry when nil.
	Models *models.Registry
	// Decided is told of every decision made for actions that fell due,
	// to record it; it must not block.
	Decided func(*decide.Decision)
	// Enqueued is told of the deliveries added to the outbox, once they
	// are durable; it must not block.
	Enqueued func([]store.Delivery)
	// Seed, when not zero, seeds the draws of exploration, for tests that
	// must come out the same every time.
	Seed     uint64
	Observer Observer
	Logger   *slog.Logger
}

// Engine runs the journeys. Its read methods are safe for concurrent use
// with Run.
type Engine struct {
	opts   Options
	seed   maphash.Seed
	shards []*shard

	cat      atomic.Pointer[compiled]
	deployed map[string]catalog.Deployed // the engine's own view, by stack
	// processed is the log position of the last commit; queued the
	// position processing has reached, committed or not (only Run's
	// goroutine touches queued and sent).
	processed atomic.Uint64
	queued    uint64
	sent      uint64 // commits handed to the committer
	committed atomic.Uint64
	commits   chan pending
	failed    chan struct{}
	commitErr error
	ready     atomic.Bool
	startSeq  uint64
	wm        time.Time // event watermark
	arrivalWM time.Time // arrival watermark (wall clock)
	// wmNano is wm for readers other than Run's goroutine.
	wmNano atomic.Int64
	rngs   sync.Pool // *rand.Rand for decide requests

	wake  chan struct{}
	syncs chan chan struct{}
	// synced are Sync calls to answer at the end of the loop's next
	// iteration; only Run touches it.
	synced []chan struct{}

	progressMu sync.Mutex
	progress   chan struct{} // closed and replaced when processed moves
}

type shard struct {
	mu        sync.Mutex
	customers map[string]*customer
	timers    timerHeap
	dirty     []*customer
	facts     []fact
	counts    map[stageKey]int
	items     []item
	deleted   []string
	scratch   []byte // reused to encode customers
	outbox    []store.Delivery
	rng       *rand.Rand
}

// item is one log record for a shard: an event, an erasure, a response
// or a delivery's outcome.
type item struct {
	ev      *events.Event
	erase   string // a customer to erase
	resp    *Response
	outcome *DeliveryOutcome
	at      time.Time // the clock at a response or outcome
	before  time.Time // the clock just before this record, for timers
}

func (it *item) customer() string {
	switch {
	case it.ev != nil:
		return it.ev.Customer
	case it.resp != nil:
		return it.resp.Customer
	case it.outcome != nil:
		return it.outcome.Customer
	}
	return it.erase
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

// New returns an Engine; Run starts it.
func New(opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = Wall{}
	}
	if opts.Shards <= 0 {
		opts.Shards = runtime.GOMAXPROCS(0)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 16384
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Models == nil {
		opts.Models = models.NewRegistry()
	}
	e := &Engine{opts: opts, seed: maphash.MakeSeed(), wake: make(chan struct{}, 1), syncs: make(chan chan struct{}), progress: make(chan struct{}), deployed: map[string]catalog.Deployed{}}
	var streams atomic.Uint64
	streams.Store(1 << 32)
	e.rngs.New = func() any { return newRand(opts.Seed, streams.Add(1)) }
	for i := 0; i < opts.Shards; i++ {
		e.shards = append(e.shards, &shard{customers: map[string]*customer{}, counts: map[stageKey]int{}, rng: newRand(opts.Seed, uint64(i+1))})
	}
	empty, _ := catalog.Build(nil, "")
	c, _ := Compile(empty)
	c.dec.Bind(opts.Models)
	e.cat.Store(c)
	return e
}

// newRand returns a source of draws: seeded by seed and stream when seed
// is not zero, else at random.
func newRand(seed, stream uint64) *rand.Rand {
	if seed != 0 {
		return rand.New(rand.NewPCG(seed, stream))
	}
	var s [32]byte
	crand.Read(s[:])
	return rand.New(rand.NewChaCha8(s))
}

// work returns the work of shard s over cat.
func (e *Engine) work(s *shard, cat *compiled) *work {
	return &work{sh: s, cat: cat, obs: e.opts.Observer, models: e.opts.Models, decided: e.opts.Decided}
}

// setWatermark moves the event watermark.
func (e *Engine) setWatermark(t time.Time) {
	e.wm = t
	if t.IsZero() {
		e.wmNano.Store(0)
	} else {
		e.wmNano.Store(t.UnixNano())
	}
}

// Now is the engine's clock: the wall clock, or on the event clock the
// highest event timestamp processed.
func (e *Engine) Now() time.Time {
	if !e.opts.EventClock {
		return e.opts.Clock.Now()
	}
	if n := e.wmNano.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

// Models returns the adaptive models.
func (e *Engine) Models() *models.Registry { return e.opts.Models }

func (e *Engine) shardOf(id string) *shard {
	return e.shards[maphash.String(e.seed, id)%uint64(len(e.shards))]
}

// Notify tells the engine that records were appended to the log.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// pending is a commit on its way to the store.
type pending struct {
	c        store.Commit
	arrivals []time.Time
}

// Processed is the sequence number of the last log record whose effects
// are committed.
func (e *Engine) Processed() uint64 { return e.processed.Load() }

// Ready reports whether the engine has caught up with every record that
// was in the log when it started.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Catalog returns what the engine runs now.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat.Load().cat }

// WaitProcessed waits until the engine has processed the log up to seq.
func (e *Engine) WaitProcessed(ctx context.Context, seq uint64) error {
	for {
		e.progressMu.Lock()
		ch := e.progress
		e.progressMu.Unlock()
		if e.processed.Load() >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (e *Engine) advance(seq uint64) {
	e.processed.Store(seq)
	e.committed.Add(1)
	if seq >= e.startSeq {
		e.ready.Store(true)
	}
	e.progressMu.Lock()
	close(e.progress)
	e.progress = make(chan struct{})
	e.progressMu.Unlock()
}

// Run loads the engine's state, replays the log from its last commit and
// then processes records as they are appended, until ctx ends. Everything
// it processed is committed when it returns.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.load(ctx); err != nil {
		return err
	}
	e.commits = make(chan pending, 1)
	e.failed = make(chan struct{})
	committerDone := make(chan struct{})
	go func() {
		defer close(committerDone)
		e.committer()
	}()
	err := e.loop(ctx)
	close(e.commits)
	<-committerDone
	if err == nil && e.commitErr != nil {
		err = e.commitErr
	}
	return err
}

// committer writes commits in order and moves the processed position on.
// It runs beside the engine so that processing the next stretch of the log
// overlaps the store's write and fsync of the last.
func (e *Engine) committer() {
	for p := range e.commits {
		if e.commitErr != nil {
			continue
		}
		if err := e.opts.Store.Commit(context.Background(), p.c); err != nil {
			e.commitErr = fmt.Errorf("committing state: %w", err)
			close(e.failed)
			continue
		}
		if len(p.c.Deliveries) > 0 && e.opts.Enqueued != nil {
			e.opts.Enqueued(p.c.Deliveries)
		}
		e.advance(p.c.Cursor.Seq)
		if len(p.arrivals) > 0 {
			e.opts.Observer.Committed(p.arrivals, e.opts.Clock.Now())
		}
	}
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

func (e *Engine) loop(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return nil
		}
		answer := e.synced
		e.synced = nil
	drain:
		for {
			select {
			case ch := <-e.syncs:
				answer = append(answer, ch)
			default:
				break drain
			}
		}
		recs, err := e.opts.Store.ReadLog(ctx, e.queued, e.opts.MaxBatch)
		if err != nil {
			return fmt.Errorf("reading the event log: %w", err)
		}
		if len(recs) > 0 {
			if err := e.process(ctx, recs); err != nil {
				return err
			}
			if len(recs) == e.opts.MaxBatch {
				e.synced = append(e.synced, answer...)
				continue
			}
		}
		if !e.opts.EventClock {
			if err := e.tick(ctx); err != nil {
				return err
			}
		}
		if len(answer) > 0 {
			if err := e.flush(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, ch := range answer {
				close(ch)
			}
		}
		if len(recs) > 0 {
			continue // more may have come meanwhile
		}
		if err := e.idle(ctx); err != nil {
			return nil
		}
	}
}

// idle waits for new records, or for the next timer on the wall clock.
func (e *Engine) idle(ctx context.Context) error {
	var due <-chan time.Time
	if !e.opts.EventClock {
		if next, ok := e.nextDue(); ok {
			ch, stop := e.opts.Clock.After(next.Sub(e.opts.Clock.Now()))
			defer stop()
			due = ch
		}
	}
	select {
	case <-e.wake:
	case <-due:
	case ch := <-e.syncs:
		e.synced = append(e.synced, ch)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Sync waits until the engine has processed every record appended before
// the call and fired every timer due by the clock.
func (e *Engine) Sync(ctx context.Context) error {
	ch := make(chan struct{})
	select {
	case e.syncs <- ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	for _, s := range e.shards {
		s.mu.Lock()
		if d, ok := s.next(); ok && (!found || d.Before(next)) {
			next, found = d, true
		}
		s.mu.Unlock()
	}
	return next, found
}

// tick fires the timers due by the wall clock and commits what they did.
func (e *Engine) tick(ctx context.Context) error {
	now := e.opts.Clock.Now()
	cat := e.cat.Load()
	e.parallel(func(s *shard) {
		e.work(s, cat).fireUntil(now, true)
	})
	return e.commit(ctx, e.queued, nil)
}

// parallel runs fn on every shard at once, each under its lock.
func (e *Engine) parallel(fn func(*shard)) {
	var wg sync.WaitGroup
	for _, s := range e.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.mu.Lock()
			defer s.mu.Unlock()
			fn(s)
		}()
	}
	wg.Wait()
}

// process applies a stretch of the log and commits it.
func (e *Engine) process(ctx context.Context, recs []store.LogRecord) error {
	var arrivals []time.Time
	flush := func() {
		cat := e.cat.Load()
		// Each record is processed under its shard's lock alone, so that
		// decide requests for the shard's customers wait for one record at
		// most, never for a whole stretch of the log.
		e.parallelUnlocked(func(s *shard) {
			w := e.work(s, cat)
			for i := range s.items {
				s.mu.Lock()
				e.apply(w, &s.items[i], cat)
				s.mu.Unlock()
			}
			s.mu.Lock()
			clear(s.items)
			s.items = s.items[:0]
			s.mu.Unlock()
		})
	}
	for _, r := range recs {
		if len(r.Data) == 0 {
			return fmt.Errorf("log record %d is empty", r.Seq)
		}
		switch r.Data[0] {
		case tagEvent:
			ev := &events.Event{}
			if err := ev.UnmarshalBinary(r.Data[1:]); err != nil {
				return fmt.Errorf("log record %d: %w", r.Seq, err)
			}
			var before time.Time
			if e.opts.EventClock {
				before = e.wm
			} else {
				before = e.arrivalWM
			}
			if ev.Time.After(e.wm) {
				e.setWatermark(ev.Time)
			}
			if r.Arrival.After(e.arrivalWM) {
				e.arrivalWM = r.Arrival
			}
			s := e.shardOf(ev.Customer)
			s.items = append(s.items, item{ev: ev, before: before})
			arrivals = append(arrivals, r.Arrival)
		case tagErase:
			id, err := decodeErase(r.Data[1:])
			if err != nil {
				return fmt.Errorf("log record %d: %w", r.Seq, err)
			}
			s := e.shardOf(id)
			s.items = append(s.items, item{erase: id})
		case tagResponse, tagOutcome:
			it := item{before: e.arrivalWM, at: r.Arrival}
			if e.opts.EventClock {
				it.before, it.at = e.wm, e.wm
			} else if r.Arrival.After(e.arrivalWM) {
				e.arrivalWM = r.Arrival
			}
			var err error
			if r.Data[0] == tagResponse {
				it.resp, err = decodeResponse(r.Data[1:])
			} else {
				it.outcome, err = decodeOutcome(r.Data[1:])
			}
			if err != nil {
				return fmt.Errorf("log record %d: %w", r.Seq, err)
			}
			s := e.shardOf(it.customer())
			s.items = append(s.items, it)
		case tagActivation:
			flush()
			stack, serial, err := decodeActivation(r.Data[1:])
			if err != nil {
				return fmt.Errorf("log record %d: %w", r.Seq, err)
			}
			at := r.Arrival
			if e.opts.EventClock {
				at = e.wm
			}
			if err := e.activate(ctx, stack, serial, at); err != nil {
				return fmt.Errorf("activating deployment %d of stack %q: %w", serial, stack, err)
			}
		default:
			return fmt.Errorf("log record %d has unknown type %q", r.Seq, r.Data[0])
		}
	}
	flush()
	// Timers due by the clock as it stands after the batch fire now, so
	// that a replay fires them at the same place whatever its batches.
	cat := e.cat.Load()
	limit, inclusive := e.wm, false
	if !e.opts.EventClock {
		limit, inclusive = e.arrivalWM, true
	}
	e.parallel(func(s *shard) {
		e.work(s, cat).fireUntil(limit, inclusive)
	})
	return e.commit(ctx, recs[len(recs)-1].Seq, arrivals)
}

// apply processes one record of a shard, under its lock.
func (e *Engine) apply(w *work, it *item, cat *compiled) {
	s := w.sh
	if it.erase != "" {
		s.erase(it.erase, e.opts.Models)
		return
	}
	w.fireUntil(it.before, !e.opts.EventClock)
	id := it.customer()
	c := s.customers[id]
	if c == nil && it.outcome == nil {
		// An event's customer is made on their first event; a response's
		// too (decide answers customers no event named), so that what
		// they teach the models is theirs to erase.
		c = &customer{id: id}
		s.customers[id] = c
	}
	switch {
	case it.ev != nil:
		w.fire(c, it.ev.Time, false)
		w.event(c, it.ev)
	case c == nil:
		return // the outcome of a delivery to a customer erased since
	case it.resp != nil:
		w.fire(c, it.at, false)
		w.response(c, it.resp, it.at)
		w.responseFact(c, it.resp, it.at)
	case it.outcome != nil:
		w.fire(c, it.at, false)
		w.outcome(c, it.outcome, it.at)
		w.outcomeFact(c, it.outcome, it.at)
	}
	s.touch(c)
	s.schedule(c, cat)
	c.rec, c.recGen = nil, nil // a million cached profiles would cost more than building them
}

// parallelUnlocked runs fn on every shard at once; fn locks the shard
// itself.
func (e *Engine) parallelUnlocked(fn func(*shard)) {
	var wg sync.WaitGroup
	for _, s := range e.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(s)
		}()
	}
	wg.Wait()
}

// commit writes every changed customer and the facts with the
// cursor at seq.
func (e *Engine) commit(ctx context.Context, seq uint64, arrivals []time.Time) error {
	var c store.Commit
	var facts []fact
	encoded := make([][]store.Customer, len(e.shards))
	e.parallel(func(s *shard) {
		i := slices.Index(e.shards, s)
		encoded[i] = make([]store.Customer, 0, len(s.dirty))
		for _, cu := range s.dirty {
			if cu.dirty {
				s.scratch = cu.encode(s.scratch[:0])
				encoded[i] = append(encoded[i], store.Customer{ID: cu.id, Data: bytes.Clone(s.scratch)})
			}
			cu.dirty, cu.queued = false, false
		}
		clear(s.dirty)
		s.dirty = s.dirty[:0]
	})
	for i, s := range e.shards {
		s.mu.Lock()
		c.Customers = append(c.Customers, encoded[i]...)
		c.Delete = append(c.Delete, s.deleted...)
		s.deleted = s.deleted[:0]
		facts = append(facts, s.facts...)
		clear(s.facts)
		s.facts = s.facts[:0]
		c.Deliveries = append(c.Deliveries, s.outbox...)
		clear(s.outbox)
		s.outbox = s.outbox[:0]
		s.mu.Unlock()
	}
	for _, m := range e.opts.Models.TakeDirty() {
		c.Models = append(c.Models, store.Model{Key: m.Key, Data: m.Data})
	}
	if len(c.Customers) == 0 && len(facts) == 0 && len(c.Delete) == 0 && len(c.Models) == 0 && len(c.Deliveries) == 0 && seq == e.queued {
		return nil
	}
	// In order of time across shards; a customer's facts keep their order.
	sort.SliceStable(facts, func(i, j int) bool { return facts[i].t.Before(facts[j].t) })
	c.Facts = make([]store.Fact, len(facts))
	for i, f := range facts {
		c.Facts[i] = store.Fact{Data: f.data}
	}
	c.Cursor = store.Cursor{Seq: seq, Watermark: e.wm}
	select {
	case e.commits <- pending{c, arrivals}:
	case <-e.failed:
		return e.commitErr
	}
	e.queued = seq
	e.sent++
	return nil
}

// activate switches a stack to one of its deployments and brings its
// customers in flight in line.
func (e *Engine) activate(ctx context.Context, stack string, serial int64, at time.Time) error {
	doc, err := e.opts.LoadDeployment(ctx, stack, serial)
	if err != nil {
		return err
	}
	next := make(map[string]catalog.Deployed, len(e.deployed)+1)
	for k, v := range e.deployed {
		next[k] = v
	}
	if len(doc.Objects) == 0 {
		delete(next, stack) // destroyed
	} else {
		next[stack] = catalog.Deployed{Serial: serial, Doc: doc}
	}
	cat, ps := catalog.Build(next, stack)
	if len(ps) > 0 {
		return ps
	}
	cc, ps := Compile(cat)
	if len(ps) > 0 {
		return ps
	}
	var moves []catalog.Move
	if cs := cc.byName[stack]; cs != nil {
		moves = cs.st.Moves
	}
	cc.dec.Bind(e.opts.Models)
	e.deployed = next
	e.cat.Store(cc)
	e.parallel(func(s *shard) {
		w := e.work(s, cc)
		for _, c := range s.customers {
			w.reconcile(c, stack, moves, at)
			s.touch(c)
			c.scheduled = time.Time{}
		}
		s.timers = s.timers[:0]
		for _, c := range s.customers {
			s.schedule(c, cc)
		}
	})
	return nil
}

// load reads the deployments active at the last commit and every customer.
func (e *Engine) load(ctx context.Context) error {
	st := e.opts.Store
	cur, err := st.Cursor(ctx)
	if err != nil {
		return err
	}
	stacks, err := st.Stacks(ctx)
	if err != nil {
		return err
	}
	for _, d := range stacks {
		serial := d.Serial
		if d.Seq > cur.Seq {
			hist, err := st.History(ctx, d.Stack)
			if err != nil {
				return err
			}
			serial = 0
			for _, h := range hist {
				if h.Seq <= cur.Seq {
					serial = h.Serial
					break
				}
			}
		}
		if serial == 0 {
			continue
		}
		doc, err := e.opts.LoadDeployment(ctx, d.Stack, serial)
		if err != nil {
			return fmt.Errorf("loading deployment %d of stack %q: %w", serial, d.Stack, err)
		}
		if len(doc.Objects) > 0 {
			e.deployed[d.Stack] = catalog.Deployed{Serial: serial, Doc: doc}
		}
	}
	cat, ps := catalog.Build(e.deployed, "")
	if len(ps) > 0 {
		return fmt.Errorf("the deployed stacks are inconsistent: %w", ps)
	}
	cc, ps := Compile(cat)
	if len(ps) > 0 {
		return fmt.Errorf("the deployed expressions do not compile: %w", ps)
	}
	ms, err := st.Models(ctx)
	if err != nil {
		return fmt.Errorf("loading the adaptive models: %w", err)
	}
	for _, m := range ms {
		if err := e.opts.Models.Load(m.Key, m.Data); err != nil {
			return err
		}
	}
	cc.dec.Bind(e.opts.Models)
	e.cat.Store(cc)
	err = st.Customers(ctx, func(sc store.Customer) error {
		c, err := decodeCustomer(sc.ID, sc.Data)
		if err != nil {
			return fmt.Errorf("customer %q: %w", sc.ID, err)
		}
		s := e.shardOf(c.id)
		s.customers[c.id] = c
		for _, r := range c.runs {
			if r.status == StatusActive {
				s.count(stageKey{r.stack, r.journey, r.stage}, 1)
			}
		}
		s.schedule(c, cc)
		return nil
	})
	if err != nil {
		return fmt.Errorf("loading customers: %w", err)
	}
	e.setWatermark(cur.Watermark)
	if cur.Seq > 0 {
		if recs, err := st.ReadLog(ctx, cur.Seq-1, 1); err == nil && len(recs) == 1 {
			e.arrivalWM = recs[0].Arrival
		}
	}
	last, err := st.LastSeq(ctx)
	if err != nil {
		return err
	}
	e.startSeq = last
	e.processed.Store(cur.Seq)
	e.queued = cur.Seq
	if cur.Seq >= last {
		e.ready.Store(true)
	}
	return nil
}

// ErrUnknownCustomer is returned for a customer the engine has never seen.
var ErrUnknownCustomer = errors.New("unknown customer")
