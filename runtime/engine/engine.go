package engine

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Store is what the engine needs of the store: the log, its partitions'
// state and their leases, and the deployments they activate.
type Store interface {
	store.Log
	store.State
	store.Leases
	store.Deployments
}

// Observer is told what the engine does, for metrics. Its methods are
// called from several goroutines at once.
type Observer interface {
	// NullCondition counts a condition that met a null.
	NullCondition(name string)
	// OverBudget counts a condition that went over its evaluation budget
	// (and so was false).
	OverBudget(name string)
	// Transitions counts transitions, those of a stretch of the log as
	// it is committed (one call for many, rather than one per
	// transition). It must not keep counts, which the engine reuses.
	Transitions(counts []TransitionCount)
	// Committed reports events made durable in effect, with their arrival
	// times, at now.
	Committed(arrivals []time.Time, now time.Time)
}

type nopObserver struct{}

func (nopObserver) NullCondition(string)             {}
func (nopObserver) OverBudget(string)                {}
func (nopObserver) Transitions([]TransitionCount)    {}
func (nopObserver) Committed([]time.Time, time.Time) {}

// TransitionCount is how many transitions a journey's runs made for a
// reason.
type TransitionCount struct {
	Stack, Journey, Reason string
	N                      int
}

// transKey is what TransitionCount counts by.
type transKey struct{ stack, journey, reason string }

// Options configure an Engine.
type Options struct {
	Store Store
	// Name names this replica in the store's leases (default: the host
	// name, the process id and a random suffix).
	Name string
	// LeaseTTL is how long a partition's lease lasts without renewal,
	// and so how soon a dead replica's partitions move (default 4s).
	LeaseTTL time.Duration
	// Poll is how often the log is read for records that other replicas
	// appended (default 100ms); records appended here wake the engine at
	// once (Notify).
	Poll time.Duration
	// Clock is the wall clock (default Wall).
	Clock Clock
	// EventClock runs timers on the highest event timestamp processed
	// instead of the wall clock.
	EventClock bool
	// Workers is how many partitions are processed at once (default
	// GOMAXPROCS).
	Workers int
	// MaxBatch is the most log records read and applied at once (default
	// 16384).
	MaxBatch int
	// CommitEvery, CommitRecords and CommitIdle group the commits of
	// customer state, cursors, timers and the outbox: the engine commits
	// what it processed once CommitEvery has passed since its last commit
	// (default 500ms), once CommitRecords log records were applied since
	// (default 65,536), or once the log brought nothing new for
	// CommitIdle (default 10ms; for a replica that holds only some
	// partitions, once the log's head has also not risen for a Poll);
	// Sync, WaitProcessed, handing a partition
	// over and stopping commit at once. The events are durable in the log
	// before they are acknowledged, so grouping loses nothing: a crash
	// replays the log from the last commit.
	CommitEvery   time.Duration
	CommitRecords int
	CommitIdle    time.Duration
	// CacheSize is the most customers kept in memory (default 1,000,000);
	// the others are read from the store when a record, a timer or a
	// request needs them. A customer changed since the last commit is kept
	// until it is durable, whatever the size.
	CacheSize int
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
	Seed uint64
	// NoExplore ranks every decision by the models' means, without
	// Thompson draws or outright exploration, so that the same events
	// always decide the same (waymark test). The control group stays.
	NoExplore bool
	// Open opens, in place, the payloads of recs that start with
	// TagSealed: each becomes the payload it seals, or []byte{TagShredded}
	// when the key that sealed it is destroyed. Nil when nothing is
	// sealed.
	Open func(ctx context.Context, recs []store.LogRecord) error
	// SealState and OpenState, when set, seal a customer's state for the
	// store with the customer's key, and open what SealState made (a
	// payload that starts with TagSealed), so that erasure destroys what
	// the store's files keep of it. SealState must not keep data, which
	// the engine reuses.
	SealState func(ctx context.Context, id string, data []byte) ([]byte, error)
	OpenState func(ctx context.Context, id string, data []byte) ([]byte, error)
	// DecodedFacts commits the analytics facts as their records
	// (store.Fact.Value, an *analytics.Record), not encoded: for a store
	// that keeps them in memory for a reader in the process (memstore).
	DecodedFacts bool
	// Ephemeral is for an engine alone on a store that nothing else reads
	// and that is dropped with it (plan -simulate's replays): it keeps
	// every customer in memory for as long as it runs and commits no
	// customer state, which nothing would read back. Having to resume a
	// partition from the store (a lease lost, a commit refused) fails Run
	// instead. Its leases last a day unless LeaseTTL says otherwise.
	Ephemeral bool
	// NoTimeline keeps no customer's timeline of transitions: the
	// customer view's Timeline is empty. For a runtime whose customers
	// nobody looks at (plan -simulate's replays); analytics is fed the
	// same transitions either way.
	NoTimeline bool
	Observer   Observer
	Logger     *slog.Logger
}

// Engine runs the journeys of the partitions it holds leases on. Its
// read methods are safe for concurrent use with Run.
type Engine struct {
	opts   Options
	st     Store
	shards [store.Partitions]*shard
	cats   catalogs

	// cat is the newest catalog any partition activated: what decide and
	// rendering use.
	cat    atomic.Pointer[compiled]
	catSeq atomic.Uint64

	leases *leaseKeeper

	// Only Run's goroutine touches what follows up to commits.
	owned []*shard // the partitions held, in order
	sent  uint64   // commits handed to the committer
	// applied counts the log records applied since the last commit
	// handed to the committer, at lastCommit; arrivals are those of its
	// events.
	applied    int
	arrivals   []time.Time
	lastCommit time.Time
	// readHead is the highest head a read returned, grew when it last rose.
	readHead uint64
	grew     time.Time
	// trans is commit's array of the Observer's transitions, reused.
	trans     []TransitionCount
	committed atomic.Uint64
	commits   chan pending
	// counts holds the stage counts of commits handed to the committer
	// and not yet written, so that StageCounts sees them meanwhile.
	counts    inflightCounts
	failed    chan struct{}
	commitErr error
	ready     atomic.Bool
	startSeq  uint64
	// replayed counts the records read that were in the log at the start,
	// until the engine is ready; then it is logged once.
	replayed    int
	replayShown bool
	// processed is the lowest committed position of the partitions held
	// (all of them on a single replica).
	processed atomic.Uint64
	// clock is the highest event clock read (the event clock's now).
	clockNano atomic.Int64
	rngs      sync.Pool // *rand.Rand for decide requests
	modelsAt  time.Time // when followModels last read the others' model parts
	prepared  bool

	wake  chan struct{}
	syncs chan chan struct{}
	// hurry asks the loop to commit at once (WaitProcessed).
	hurry atomic.Bool
	// synced are Sync calls to answer at the end of the loop's next
	// iteration; only Run touches it.
	synced []chan struct{}

	progressMu sync.Mutex
	progress   chan struct{} // closed and replaced when processed moves
}

// item is one log record for a partition: an event, an erasure, a
// response, a delivery's outcome or the activation of a deployment.
type item struct {
	seq     uint64
	ev      *events.Event
	erase   string // a customer to erase
	resp    *Response
	outcome *DeliveryOutcome
	alert   *AlertAction
	// stack and serial name a deployment to activate.
	stack  string
	serial int64
	at     time.Time // the clock at a response, outcome or activation
	before time.Time // the clock just before this record, for timers
}

func (it *item) customer() string {
	switch {
	case it.ev != nil:
		return it.ev.Customer
	case it.resp != nil:
		return it.resp.Customer
	case it.outcome != nil:
		return it.outcome.Customer
	case it.alert != nil:
		return it.alert.Customer
	}
	return it.erase
}

// New returns an Engine; Run starts it.
func New(opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = Wall{}
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 16384
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1_000_000
	}
	if opts.CommitEvery <= 0 {
		opts.CommitEvery = 500 * time.Millisecond
	}
	if opts.CommitRecords <= 0 {
		opts.CommitRecords = 65536
	}
	if opts.CommitIdle <= 0 {
		opts.CommitIdle = 10 * time.Millisecond
	}
	if opts.LeaseTTL <= 0 && opts.Ephemeral {
		opts.LeaseTTL = 24 * time.Hour
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 4 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.Name == "" {
		host, _ := os.Hostname()
		opts.Name = fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
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
	e := &Engine{opts: opts, st: opts.Store, wake: make(chan struct{}, 1), syncs: make(chan chan struct{}), progress: make(chan struct{})}
	e.cats.init(opts.LoadDeployment, opts.Models)
	var streams atomic.Uint64
	streams.Store(1 << 32)
	e.rngs.New = func() any { return newRand(opts.Seed, streams.Add(1)) }
	per := max(opts.CacheSize/store.Partitions, 1)
	if opts.Ephemeral {
		per = math.MaxInt
	}
	for p := range e.shards {
		e.shards[p] = newShard(p, per, newRand(opts.Seed, uint64(p+1)))
	}
	e.cat.Store(e.cats.empty())
	e.leases = newLeaseKeeper(opts.Store, opts.Name, opts.LeaseTTL, opts.Logger)
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

// work returns the work of shard s over its catalog.
func (e *Engine) work(s *shard) *work {
	return &work{sh: s, cat: s.cat, obs: e.opts.Observer, models: e.opts.Models, decided: e.opts.Decided, noExplore: e.opts.NoExplore, noTimeline: e.opts.NoTimeline}
}

// Name is the replica's name in the store's leases.
func (e *Engine) Name() string { return e.opts.Name }

// LeaseTTL is how long a lease lasts without renewal.
func (e *Engine) LeaseTTL() time.Duration { return e.opts.LeaseTTL }

// Now is the engine's clock: the wall clock, or on the event clock the
// highest event timestamp in the log as last read.
func (e *Engine) Now() time.Time {
	if !e.opts.EventClock {
		return e.opts.Clock.Now()
	}
	if n := e.clockNano.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

func (e *Engine) moveClock(t time.Time) {
	if t.IsZero() {
		return
	}
	n := t.UnixNano()
	for {
		old := e.clockNano.Load()
		if n <= old || e.clockNano.CompareAndSwap(old, n) {
			return
		}
	}
}

// Models returns the adaptive models.
func (e *Engine) Models() *models.Registry { return e.opts.Models }

func (e *Engine) shardOf(id string) *shard { return e.shards[store.PartitionOf(id)] }

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
	gen      uint64 // its number among the commits sent
	arrivals []time.Time
	// pos is the lowest position of the partitions it commits.
	pos uint64
}

// Processed is the lowest log position whose effects are committed for
// every partition this replica holds.
func (e *Engine) Processed() uint64 { return e.processed.Load() }

// Ready reports whether the engine has caught up with every record that
// was in the log when it started.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Catalog returns what the engine runs now.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat.Load().cat }

// WaitProcessed waits until the log up to seq is processed and committed
// in every partition, by whichever replica holds it.
func (e *Engine) WaitProcessed(ctx context.Context, seq uint64) error {
	for {
		e.progressMu.Lock()
		ch := e.progress
		e.progressMu.Unlock()
		if e.processed.Load() < seq {
			// The engine commits in groups: ask for this one now.
			e.hurry.Store(true)
			e.Notify()
		}
		if e.processed.Load() >= seq {
			if e.holdsAll() {
				return nil
			}
			low, err := e.lowestCursor(ctx)
			if err != nil {
				return err
			}
			if low >= seq {
				return nil
			}
		}
		select {
		case <-ch:
		case <-time.After(e.opts.Poll):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// holdsAll reports whether this replica holds every partition.
// Replicas is how many replicas share the store, as the last heartbeat
// found them; at least 1.
func (e *Engine) Replicas() int { return e.leases.replicas() }

func (e *Engine) holdsAll() bool { return e.leases.count() == store.Partitions }

// lowestCursor is the lowest committed position of every partition.
func (e *Engine) lowestCursor(ctx context.Context) (uint64, error) {
	cs, err := e.st.Cursors(ctx)
	if err != nil {
		return 0, err
	}
	low := uint64(0)
	for i, c := range cs {
		if i == 0 || c.Seq < low {
			low = c.Seq
		}
	}
	return low, nil
}

// Run takes the leases of its share of the partitions, replays the log of
// each from its last commit and then processes records as they are
// appended, until ctx ends. Everything it processed is committed when it
// returns, and its leases are released for another replica to take at
// once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.prepared {
		if err := e.Prepare(ctx); err != nil {
			return err
		}
	}
	var err error
	leaseCtx, stopLeases := context.WithCancel(context.Background())
	leasesDone := make(chan struct{})
	go func() {
		defer close(leasesDone)
		e.leases.run(leaseCtx, e.Notify)
	}()
	for {
		err = e.session(ctx)
		if !errors.Is(err, store.ErrLeaseLost) || ctx.Err() != nil {
			break
		}
		if e.opts.Ephemeral {
			err = fmt.Errorf("an ephemeral engine cannot resume from the store: %w", err)
			break
		}
		// Another replica took a partition this one was committing: what
		// was not committed is dropped, and every partition still held
		// resumes from its last commit.
		e.opts.Logger.Warn("a partition lease was lost while committing; resuming from the last commit", "replica", e.opts.Name)
		e.dropAll()
		if err := e.leases.round(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Error("renewing partition leases", "error", err)
		}
	}
	stopLeases()
	<-leasesDone
	if err == nil {
		e.leases.releaseAll(context.Background(), e.owned)
	}
	return err
}

// Prepare reads where the log ends and the deployments active there,
// loads the models and takes this replica's share of the partitions, so
// that Ready answers truly before Run starts; Run calls it if nobody did.
func (e *Engine) Prepare(ctx context.Context) error {
	head, err := e.st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the head of the log: %w", err)
	}
	e.startSeq = head.Seq
	e.moveClock(head.Clock)
	// Decide and the outbox use the newest catalog from the start, not
	// only once a partition has replayed to it: a delivery pending at a
	// restart is rendered with the action it was made for.
	cat, err := e.cats.at(ctx, e.st, head.Seq)
	if err != nil {
		return fmt.Errorf("loading the deployments: %w", err)
	}
	e.offerCatalog(cat, head.Seq)
	if err := e.loadModels(ctx); err != nil {
		return err
	}
	if err := e.leases.round(ctx); err != nil {
		return fmt.Errorf("taking partition leases: %w", err)
	}
	if err := e.readyAtStart(ctx); err != nil {
		return err
	}
	e.prepared = true
	return nil
}

// session runs the processing loop with a committer beside it until ctx
// ends or a commit fails.
func (e *Engine) session(ctx context.Context) error {
	e.commits = make(chan pending, 1)
	e.failed = make(chan struct{})
	e.commitErr = nil
	committerDone := make(chan struct{})
	go func() {
		defer close(committerDone)
		e.committer()
	}()
	err := e.loop(ctx)
	if err == nil {
		// Stopping: what was processed is committed before the leases go.
		err = e.commit(context.WithoutCancel(ctx))
	}
	close(e.commits)
	<-committerDone
	if e.commitErr != nil && (err == nil || errors.Is(e.commitErr, store.ErrLeaseLost)) {
		err = e.commitErr
	}
	return err
}

// loop processes the log until ctx ends, committing in groups (see
// Options.CommitEvery). It returns nil only where everything applied is
// whole (no stretch half applied), for session to commit it.
func (e *Engine) loop(ctx context.Context) error {
	e.lastCommit = time.Now()
	for {
		if ctx.Err() != nil {
			return nil
		}
		if err := e.followLeases(ctx); err != nil {
			return err
		}
		if err := e.followModels(ctx); err != nil {
			return err
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
		hurry := e.hurry.Swap(false)
		n, err := e.step(ctx)
		if err != nil {
			return err
		}
		if !e.replayShown && e.ready.Load() {
			e.replayShown = true
			e.opts.Logger.Info("caught up with the log", "replica", e.opts.Name, "replayed", e.replayed)
		}
		if n == e.opts.MaxBatch {
			e.synced = append(e.synced, answer...)
			if hurry {
				e.hurry.Store(true)
			}
			if err := e.commitDue(ctx, false); err != nil {
				return err
			}
			continue
		}
		if !e.opts.EventClock {
			if err := e.tick(ctx); err != nil {
				return err
			}
		}
		if len(answer) > 0 || hurry {
			if err := e.commit(ctx); err != nil {
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
			e.evict()
			for _, ch := range answer {
				close(ch)
			}
		}
		if n > 0 {
			if err := e.commitDue(ctx, false); err != nil {
				return err
			}
			continue // more may have come meanwhile
		}
		// Nothing new: what was processed is committed unless records
		// come within CommitIdle. Records other replicas append do not
		// wake this one: while the log's head rose within a poll, they
		// keep coming, and this replica's stretches grow until a group is
		// due (CommitEvery, CommitRecords) rather than committing the
		// little it had after each wake.
		if e.unsaved() && !e.holdsAll() && time.Since(e.grew) < e.opts.Poll {
			if err := e.commitDue(ctx, false); err != nil {
				return err
			}
			if err := e.idle(ctx); err != nil {
				return nil
			}
			continue
		}
		// Otherwise, after CommitIdle. A commit still being written does
		// not count: the store may hold appends back behind it (bbolt has
		// one writer).
		if e.unsaved() {
			if err := e.commitDue(ctx, !e.waitIdle(ctx) && e.committed.Load() >= e.sent); err != nil {
				return err
			}
			continue
		}
		if err := e.idle(ctx); err != nil {
			return nil
		}
	}
}

// commitDue commits when now is true or a group's size is up, or when its
// time is up and the committer is not still behind with the last two: a
// store slower than CommitEvery gets bigger groups, not a queue.
func (e *Engine) commitDue(ctx context.Context, now bool) error {
	switch {
	case now || e.applied >= e.opts.CommitRecords:
	case time.Since(e.lastCommit) < e.opts.CommitEvery || len(e.commits) == cap(e.commits):
		return nil
	}
	return e.commit(ctx)
}

// waitIdle waits up to CommitIdle for new records, a Sync or a hurry,
// and reports whether one came.
func (e *Engine) waitIdle(ctx context.Context) bool {
	t := time.NewTimer(e.opts.CommitIdle)
	defer t.Stop()
	select {
	case <-e.wake:
		return true
	case ch := <-e.syncs:
		e.synced = append(e.synced, ch)
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return true // session commits on the way out
	}
}

// unsaved reports whether a partition held changed since the last commit.
func (e *Engine) unsaved() bool {
	for _, s := range e.owned {
		s.mu.Lock()
		changed := s.moved || len(s.dirty) > 0 || len(s.deleted) > 0 || len(s.facts) > 0 || len(s.counts) > 0 || len(s.outbox) > 0
		s.mu.Unlock()
		if changed {
			return true
		}
	}
	return false
}

// idle waits for new records, the poll interval, or the next timer on the
// wall clock.
func (e *Engine) idle(ctx context.Context) error {
	wait := e.opts.Poll
	if !e.opts.EventClock {
		if next, ok := e.nextDue(); ok {
			wait = min(wait, max(next.Sub(e.opts.Clock.Now()), 0))
		}
	}
	ch, stop := e.opts.Clock.After(wait)
	defer stop()
	poll := time.NewTimer(e.opts.Poll)
	defer poll.Stop()
	select {
	case <-e.wake:
	case <-ch:
	case <-poll.C:
	case ch := <-e.syncs:
		e.synced = append(e.synced, ch)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Sync waits until the engine has processed every record appended before
// the call and fired every timer due by the clock; with partitions held
// by other replicas, until those replicas have committed as far.
func (e *Engine) Sync(ctx context.Context) error {
	head, err := e.st.Head(ctx)
	if err != nil {
		return err
	}
	ch := make(chan struct{})
	select {
	case e.syncs <- ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	if e.holdsAll() {
		return nil
	}
	return e.WaitProcessed(ctx, head.Seq)
}

func (e *Engine) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	for _, s := range e.owned {
		s.mu.Lock()
		d, ok := s.next()
		if m := s.storeMin; !m.IsZero() && (!ok || m.Before(d)) {
			d, ok = m, true
		}
		if ok && (!found || d.Before(next)) {
			next, found = d, true
		}
		s.mu.Unlock()
	}
	return next, found
}

// tick fires the timers due by the wall clock; what they did is committed
// with the next group.
func (e *Engine) tick(ctx context.Context) error {
	now := e.opts.Clock.Now()
	err := e.parallel(e.owned, func(s *shard) error {
		return e.fireUntil(ctx, s, now, true)
	})
	return err
}

// parallel runs fn on each shard, Workers at a time, and returns the
// first error.
func (e *Engine) parallel(shards []*shard, fn func(*shard) error) error {
	var wg sync.WaitGroup
	var next atomic.Int64
	errs := make([]error, len(shards))
	for range min(e.opts.Workers, len(shards)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(shards) {
					return
				}
				errs[i] = fn(shards[i])
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// step reads the next stretch of the log of every partition held and
// applies it, and returns how many records it read.
func (e *Engine) step(ctx context.Context) (int, error) {
	if len(e.owned) == 0 {
		return 0, nil
	}
	from := make([]store.From, len(e.owned))
	for i, s := range e.owned {
		from[i] = store.From{Partition: s.p, After: s.pos}
	}
	recs, head, err := e.st.Read(ctx, from, e.opts.MaxBatch)
	if err != nil {
		return 0, fmt.Errorf("reading the event log: %w", err)
	}
	if head.Seq > e.readHead {
		e.readHead, e.grew = head.Seq, time.Now()
	}
	// Where this stretch ends and the clocks there: the head when the read
	// got everything, else just after the last record read.
	end := store.Cursor{Seq: head.Seq, Clock: head.Clock, ArrivalClock: head.ArrivalClock}
	if len(recs) == e.opts.MaxBatch {
		last := recs[len(recs)-1]
		end = store.Cursor{Seq: last.Seq, Clock: later(last.Clock, last.Time), ArrivalClock: later(last.ArrivalClock, last.Arrival)}
	}
	if e.opts.Open != nil {
		if err := e.opts.Open(ctx, recs); err != nil {
			return 0, fmt.Errorf("opening sealed log records: %w", err)
		}
	}
	for _, r := range recs {
		if err := e.route(&r, &e.arrivals); err != nil {
			return 0, err
		}
		if !e.replayShown && r.Seq <= e.startSeq {
			e.replayed++
		}
	}
	e.moveClock(end.Clock)
	limit, inclusive := end.Clock, false
	if !e.opts.EventClock {
		limit, inclusive = end.ArrivalClock, true
	}
	err = e.parallel(e.owned, func(s *shard) error {
		if s.pos >= end.Seq {
			return nil
		}
		if err := e.applyItems(ctx, s); err != nil {
			return err
		}
		// Timers due by the clock as it stands at the end of the stretch
		// fire now, so that a replay fires them at the same place
		// whatever its batches.
		if err := e.fireUntil(ctx, s, limit, inclusive); err != nil {
			return err
		}
		s.mu.Lock()
		s.pos, s.clock, s.arrival, s.moved = end.Seq, end.Clock, end.ArrivalClock, true
		s.mu.Unlock()
		return nil
	})
	if err != nil {
		return 0, err
	}
	e.applied += len(recs)
	if len(recs) == 0 && !e.ready.Load() && e.committed.Load() >= e.sent && !e.unsaved() && e.caughtUp() {
		e.ready.Store(true)
	}
	return len(recs), nil
}

// readyAtStart makes the engine ready at once when the partitions it took
// have committed everything the log held at the start.
func (e *Engine) readyAtStart(ctx context.Context) error {
	cs, err := e.st.Cursors(ctx)
	if err != nil {
		return err
	}
	held, _ := e.leases.snapshot()
	for p := range held {
		if cs[p].Seq < e.startSeq {
			return nil
		}
	}
	if len(held) > 0 {
		e.ready.Store(true)
	}
	return nil
}

// caughtUp reports whether every partition held has processed the log as
// it was when the engine started.
func (e *Engine) caughtUp() bool {
	for _, s := range e.owned {
		if s.pos < e.startSeq {
			return false
		}
	}
	return true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// route decodes a record and queues it on the partitions it concerns.
func (e *Engine) route(r *store.LogRecord, arrivals *[]time.Time) error {
	if len(r.Data) == 0 {
		return fmt.Errorf("log record %d is empty", r.Seq)
	}
	if len(r.Data) == 1 && r.Data[0] == TagShredded {
		return nil // its customer was erased, and its key with them
	}
	before := r.Clock
	if !e.opts.EventClock {
		before = r.ArrivalClock
	}
	if r.Partition == store.AllPartitions {
		if r.Data[0] != tagActivation {
			return fmt.Errorf("log record %d of every partition has type %q", r.Seq, r.Data[0])
		}
		stack, serial, err := decodeActivation(r.Data[1:])
		if err != nil {
			return fmt.Errorf("log record %d: %w", r.Seq, err)
		}
		at := r.Arrival
		if e.opts.EventClock {
			at = r.Clock
		}
		for _, s := range e.owned {
			if r.Seq > s.pos {
				s.items = append(s.items, item{seq: r.Seq, stack: stack, serial: serial, at: at, before: before})
			}
		}
		return nil
	}
	if r.Partition < 0 || r.Partition >= store.Partitions {
		return fmt.Errorf("log record %d has partition %d", r.Seq, r.Partition)
	}
	s := e.shards[r.Partition]
	if !s.owned || r.Seq <= s.pos {
		return nil
	}
	it := item{seq: r.Seq, before: before}
	switch r.Data[0] {
	case tagClock:
		// Only its time matters, and the stretch's clock has it.
		return nil
	case tagEvent:
		ev := &events.Event{}
		if err := ev.UnmarshalBinary(r.Data[1:]); err != nil {
			return fmt.Errorf("log record %d: %w", r.Seq, err)
		}
		it.ev = ev
		*arrivals = append(*arrivals, r.Arrival)
	case tagErase:
		id, err := decodeErase(r.Data[1:])
		if err != nil {
			return fmt.Errorf("log record %d: %w", r.Seq, err)
		}
		it.erase = id
	case tagResponse, tagOutcome:
		it.at = r.Arrival
		if e.opts.EventClock {
			it.at = r.Clock
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
	case tagAlertAction:
		it.at = r.Arrival
		if e.opts.EventClock {
			it.at = r.Clock
		}
		a, err := decodeAlertAction(r.Data[1:])
		if err != nil {
			return fmt.Errorf("log record %d: %w", r.Seq, err)
		}
		it.alert = a
	default:
		return fmt.Errorf("log record %d has unknown type %q", r.Seq, r.Data[0])
	}
	if it.customer() == "" || store.PartitionOf(it.customer()) != r.Partition {
		return fmt.Errorf("log record %d is in partition %d, not its customer's", r.Seq, r.Partition)
	}
	s.items = append(s.items, it)
	return nil
}

// applyItems applies the records queued on a shard, in order: the
// customers they name are read from the store first, in one call. Each
// record is applied under the shard's lock alone, so that decide
// requests for the shard's customers wait for one record at most.
func (e *Engine) applyItems(ctx context.Context, s *shard) error {
	defer func() {
		clear(s.items)
		s.items = s.items[:0]
	}()
	if err := e.loadFor(ctx, s); err != nil {
		return err
	}
	w := e.work(s)
	for i := range s.items {
		it := &s.items[i]
		if it.stack != "" {
			if err := e.activate(ctx, s, it.seq, it.stack, it.serial, it.at); err != nil {
				return fmt.Errorf("activating deployment %d of stack %q: %w", it.serial, it.stack, err)
			}
			w = e.work(s)
			continue
		}
		// Timers due before the record fire first, those of customers in
		// the store too.
		if err := e.fireUntil(ctx, s, it.before, !e.opts.EventClock); err != nil {
			return err
		}
		s.mu.Lock()
		e.apply(w, it)
		s.mu.Unlock()
	}
	return nil
}

// apply processes one record of a shard, under its lock; its customer
// is in the cache if the store has them.
func (e *Engine) apply(w *work, it *item) {
	s := w.sh
	if it.erase != "" {
		s.erase(it.erase, e.opts.Models)
		// Analytics forgets them at this place among the facts, on
		// whichever replica feeds it.
		at := it.before
		if at.IsZero() {
			at = s.clock
		}
		s.fact(at, analytics.Record{Erasure: &analytics.Erasure{Time: at, Customer: it.erase}})
		return
	}
	id := it.customer()
	c := s.get(id)
	if c == nil && it.outcome == nil && it.alert == nil {
		// An event's customer is made on their first event; a response's
		// too (decide answers customers no event named), so that what
		// they teach the models is theirs to erase.
		c = &customer{id: id}
		s.put(c)
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
	case it.alert != nil:
		w.fire(c, it.at, false)
		w.alertAction(c, it.alert)
	}
	s.touch(c)
	s.schedule(c)
	c.rec, c.recGen = nil, nil // a million cached profiles would cost more than building them
}

// loadModels reads every partition's part of the adaptive models, or
// only those of the partitions that want reports true.
func (e *Engine) loadModels(ctx context.Context, want ...func(p int) bool) error {
	ms, err := e.st.Models(ctx)
	if err != nil {
		return fmt.Errorf("loading the adaptive models: %w", err)
	}
	for _, m := range ms {
		if len(want) > 0 && !want[0](m.Partition) {
			continue
		}
		if err := e.opts.Models.Load(m.Partition, m.Key, m.Data); err != nil {
			return err
		}
	}
	return nil
}

// modelsEvery is how often a replica that does not hold every partition
// reads what the others' partitions learnt.
const modelsEvery = 5 * time.Second

// followModels reads the model parts of the partitions other replicas
// hold, every modelsEvery.
func (e *Engine) followModels(ctx context.Context) error {
	if e.holdsAll() || time.Since(e.modelsAt) < modelsEvery {
		return nil
	}
	e.modelsAt = time.Now()
	return e.loadModels(ctx, func(p int) bool { return !e.shards[p].owned })
}

// ErrUnknownCustomer is returned for a customer the engine has never seen.
var ErrUnknownCustomer = errors.New("unknown customer")
