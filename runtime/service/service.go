package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Config configures a Service.
type Config struct {
	Store store.Store
	// SecretKey encrypts deployed documents and keys the digests of
	// sensitive values; KeySize bytes.
	SecretKey []byte
	// Clock is the engine's wall clock (default engine.Wall).
	Clock engine.Clock
	// EventClock runs timers on the event clock.
	EventClock bool
	// Registerer receives the metrics (default a new registry).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// MaxBacklog is how many log records may wait for processing before
	// ingestion answers 429 (default 200,000).
	MaxBacklog int
	// MaxConcurrentIngest bounds the batches being decoded and written at
	// once (default 32); more are answered 429.
	MaxConcurrentIngest int
	// Workers is the engine's parallelism (default GOMAXPROCS).
	Workers int
	// Replica names this runtime among the replicas that share the store
	// (default: host name, process id and a random suffix).
	Replica string
	// CacheSize is the most customers the engine keeps in memory
	// (default 1,000,000).
	CacheSize int
	// LeaseTTL is how long a dead replica keeps its partitions (default
	// 4s).
	LeaseTTL time.Duration
	// Now is the wall clock for arrivals (default time.Now).
	Now func() time.Time
	// DecisionRetention is how long decision records, and delivered
	// outbox entries, are kept (default 30 days).
	DecisionRetention time.Duration
	// Providers says where the channels' providers are: the built-in ones
	// are Providers.Self re-executed. Nil runs no provider, and every
	// delivery fails as its provider is not available.
	Providers *discovery.Env
	// Host configures the provider host.
	Host host.Options
	// Deliver, when set, takes every delivery in place of the providers'
	// processes (waymark test's recording sink): it returns the message
	// id, as a provider does. Providers is then not used.
	Deliver func(ctx context.Context, source string, d *host.Delivery) (string, error)
	// Delivery configures the outbox; its Store, Render, Deliver, Report
	// and Clock are the service's.
	Delivery delivery.Options
	// NoExplore ranks every decision by the models' means, without
	// exploration, so that the same events decide the same (waymark test).
	NoExplore bool
	// Record keeps what falls due in the outbox instead of delivering it,
	// and runs no provider (every channel's provider is taken as
	// installed): the deliveries are recorded, pending, and never sent.
	// It is for in-memory runtimes that replay events (plan -simulate,
	// waymark dev), whose results must not depend on when a provider
	// answered; they save no analytics snapshots either.
	Record bool
	// Ephemeral is for a runtime alone on an in-memory store that never
	// reaches a disk and is dropped with the process, whose outcome is all
	// that outlives it (plan -simulate's replays). Customers' data is kept
	// in the clear: event payloads are not sealed with the customers'
	// keys, nor outbox entries with the data key, so erasure destroys
	// nothing that could still be read; and customer state stays in the
	// engine's memory, never committed to the store
	// (engine.Options.Ephemeral). Only one such runtime runs on its store.
	Ephemeral bool
	// NoTimeline keeps no customer's timeline of transitions
	// (engine.Options.NoTimeline): GET /v1/customers/{id} shows none. For
	// a runtime whose customers nobody looks at (plan -simulate's replays).
	NoTimeline bool
	// DecodedFacts hands the analytics facts to the store as records, not
	// encoded (engine.Options.DecodedFacts): only for a memstore.
	DecodedFacts bool
	// Seed, when not zero, seeds the engine's draws (exploration, control
	// groups): with one worker, the same log is then processed the same
	// way every time.
	Seed uint64
	// Models holds the adaptive models (default a new registry, loaded
	// from the store when the runtime starts).
	Models *models.Registry
	// PublicURL is the base URL at which the runtime's API is reached from
	// the internet (-public-url, see ParsePublicURL): when set, every
	// action's delivery carries a one-click unsubscribe URL under it.
	PublicURL *url.URL
}

// Service is the runtime.
type Service struct {
	cfg  Config
	st   store.Store
	eng  *engine.Engine
	keys *keys
	m    *metrics
	log  *slog.Logger
	// public is Config.PublicURL.
	public *url.URL

	deployMu sync.Mutex
	deployed map[string]catalog.Deployed // the latest deployment of each stack
	cat      atomic.Pointer[catalog.Catalog]

	ingest    chan struct{} // semaphore of batches in flight
	alertGate sync.Mutex    // one batch at a time across an hour boundary (alertgate.go)

	models *models.Registry
	rec    *decide.Recorder
	outbox *delivery.Outbox
	prov   *providers
	docs   docCache
	// withheld are the stacks' documents as Stack gives them out.
	withheld withheldCache
	an       *analyticsFeed

	shred *shredder

	tokensMu sync.Mutex
	tokens   map[string]cachedToken // by hash
}

// New opens the runtime over cfg.Store; Run starts processing.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = 200000
	}
	if cfg.MaxConcurrentIngest <= 0 {
		cfg.MaxConcurrentIngest = 32
	}
	if cfg.DecisionRetention <= 0 {
		cfg.DecisionRetention = 30 * 24 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = engine.Wall{}
	}
	k, err := newKeys(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	// Customers' data is encrypted in the store.
	if !cfg.Ephemeral {
		cfg.Store = &sealedStore{Store: cfg.Store, k: k}
	}
	s := &Service{cfg: cfg, st: cfg.Store, keys: k, log: cfg.Logger, public: cfg.PublicURL, deployed: map[string]catalog.Deployed{},
		ingest: make(chan struct{}, cfg.MaxConcurrentIngest), an: newAnalyticsFeed()}
	s.shred = newShredder(cfg.Store, k)
	s.m = newMetrics(cfg.Registerer, s)
	s.models = cfg.Models
	if s.models == nil {
		s.models = models.NewRegistry()
	}
	s.rec = decide.NewRecorder(decide.RecorderOptions{Put: cfg.Store.PutDecisions, Failed: func(err error) {
		s.log.Error("writing decision records failed; retrying", "error", err)
	}, Refused: func(id string, err error) {
		s.m.recordsRefused.Inc()
		s.log.Error("a decision record was dropped: the store refuses it", "decision", id, "error", err)
	}})
	eopts := engine.Options{
		Store: cfg.Store, Clock: cfg.Clock, EventClock: cfg.EventClock, Workers: cfg.Workers,
		NoExplore: cfg.NoExplore, Name: cfg.Replica, CacheSize: cfg.CacheSize, Seed: cfg.Seed, LeaseTTL: cfg.LeaseTTL,
		LoadDeployment: s.readDocument, Logger: cfg.Logger, Observer: observer{s.m},
		Models: s.models, Decided: s.decided, Enqueued: func(ds []store.Delivery) { s.outbox.Add(ds) }, DecodedFacts: cfg.DecodedFacts,
		Ephemeral: cfg.Ephemeral, NoTimeline: cfg.NoTimeline,
	}
	if !cfg.Ephemeral {
		eopts.Open, eopts.SealState, eopts.OpenState = s.shred.open, s.shred.sealState, s.shred.openState
	}
	s.eng = engine.New(eopts)
	s.prov, err = newProviders(cfg.Providers, cfg.Host, cfg.Logger)
	if err != nil {
		return nil, err
	}
	dopts := cfg.Delivery
	dopts.Store, dopts.Clock, dopts.Logger = cfg.Store, cfg.Clock, cfg.Logger
	dopts.Render, dopts.Deliver, dopts.Report = s.render, s.deliver, s.report
	dopts.Worker = s.eng.Name()
	dopts.Observe = func(channel, result string) { s.m.deliveries.WithLabelValues(channel, result).Inc() }
	dopts.Rate, dopts.Replicas = s.channelRate, s.eng.Replicas
	s.outbox = delivery.New(dopts)
	stacks, err := s.st.Stacks(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range stacks {
		doc, err := s.readDocument(ctx, d.Stack, d.Serial)
		if err != nil {
			return nil, fmt.Errorf("loading stack %q: %w", d.Stack, err)
		}
		if len(doc.Objects) > 0 {
			s.deployed[d.Stack] = catalog.Deployed{Serial: d.Serial, Doc: doc}
		}
	}
	cat, ps := catalog.Build(s.deployed, "")
	if len(ps) > 0 {
		return nil, fmt.Errorf("the deployed stacks are inconsistent: %w", ps)
	}
	s.cat.Store(cat)
	if err := s.eng.Prepare(ctx); err != nil {
		return nil, err
	}
	// The analytics lease too, with the partitions', so that a runtime
	// alone on its store feeds analytics (and raises alerts) from its
	// start.
	if err := s.keepAnalyticsLease(ctx); err != nil {
		return nil, fmt.Errorf("taking the analytics lease: %w", err)
	}
	return s, nil
}

// Run processes the event log, records decisions and delivers the outbox
// until ctx ends; everything processed is committed, and every decision
// record written, when it returns. The provider processes are stopped.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	side, stop := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() {
		defer close(recDone)
		if err := s.rec.Run(side); err != nil {
			s.log.Error("writing the last decision records failed", "error", err)
		}
	}()
	outCtx, stopOut := context.WithCancel(ctx)
	wg.Add(3)
	go func() {
		defer wg.Done()
		s.runAnalytics(outCtx)
	}()
	go func() {
		defer wg.Done()
		if s.cfg.Record {
			return
		}
		if err := s.outbox.Run(outCtx); err != nil {
			s.log.Error("the delivery outbox stopped", "error", err)
		}
	}()
	go func() {
		defer wg.Done()
		s.prune(outCtx)
	}()
	err := s.eng.Run(ctx)
	stopOut()
	wg.Wait()
	stop()
	<-recDone
	s.prov.close()
	return err
}

// prune deletes decision records and delivered outbox entries older than
// the retention, at start and every hour.
func (s *Service) prune(ctx context.Context) {
	for {
		before := s.eng.Now().Add(-s.cfg.DecisionRetention)
		if !before.IsZero() && before.Year() > 1 {
			if n, err := s.st.PruneDecisions(ctx, before); err != nil && ctx.Err() == nil {
				s.log.Error("pruning decision records", "error", err)
			} else if n > 0 {
				s.log.Info("pruned decision records past the retention", "records", n)
			}
			if _, err := s.st.PruneDeliveries(ctx, before); err != nil && ctx.Err() == nil {
				s.log.Error("pruning delivered outbox entries", "error", err)
			}
		}
		select {
		case <-time.After(time.Hour):
		case <-ctx.Done():
			return
		}
	}
}

// Replica is this runtime's name among the replicas sharing its store.
func (s *Service) Replica() string { return s.eng.Name() }

// Ready reports whether the runtime has caught up with every event that
// was acknowledged before it started and, alone on its store, holds the
// analytics lease (a replica among others may leave analytics to
// another).
func (s *Service) Ready() bool {
	return s.eng.Ready() && (s.eng.Replicas() > 1 || s.an.holds())
}

// Sync waits until everything appended so far is processed and every
// timer due by the clock has fired.
func (s *Service) Sync(ctx context.Context) error { return s.eng.Sync(ctx) }

// AdvanceClock moves the event clock to t, as an event stamped t would,
// and waits until the timers due before t have fired and their work is
// committed and fed to analytics. Only for a runtime on the event clock.
func (s *Service) AdvanceClock(ctx context.Context, t time.Time) error {
	if !s.cfg.EventClock {
		return errors.New("the clock moves by itself: this runtime is not on the event clock")
	}
	if _, err := s.st.Append(ctx, []store.LogRecord{engine.ClockRecord(t.UTC(), s.now().UTC())}); err != nil {
		return err
	}
	s.eng.Notify()
	return s.SyncAll(ctx)
}

// SyncAll waits until everything appended so far is processed, as Sync
// does, and analytics has been fed what that committed, with the KPI
// alerts it raised in the outbox.
func (s *Service) SyncAll(ctx context.Context) error {
	if err := s.eng.Sync(ctx); err != nil {
		return err
	}
	return s.feedAnalytics(ctx)
}

func (s *Service) backlog() uint64 {
	head, err := s.st.Head(context.Background())
	if err != nil {
		return 0
	}
	if p := s.eng.Processed(); head.Seq > p {
		return head.Seq - p
	}
	return 0
}

// readDocument returns a deployment's document (serial 0: the active
// one). The engine keeps the document it activates for every partition
// (catalogs.document), so activation decodes it once.
func (s *Service) readDocument(ctx context.Context, stack string, serial int64) (*deploy.Document, error) {
	d, err := s.st.Deployment(ctx, stack, serial)
	if err != nil {
		return nil, err
	}
	plain, err := s.keys.open(d.Document)
	if err != nil {
		return nil, fmt.Errorf("deployment %d of stack %q: %w", serial, stack, err)
	}
	return deploy.Decode(plain)
}

// ErrNotFound is returned for a stack, deployment or customer that does not
// exist.
var ErrNotFound = errors.New("not found")
