package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/engine"
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
	// Shards is the engine's parallelism (default GOMAXPROCS).
	Shards int
	// Now is the wall clock for arrivals (default time.Now).
	Now func() time.Time
}

// Service is the runtime.
type Service struct {
	cfg  Config
	st   store.Store
	eng  *engine.Engine
	keys *keys
	m    *metrics
	log  *slog.Logger

	deployMu sync.Mutex
	deployed map[string]catalog.Deployed // the latest deployment of each stack
	cat      atomic.Pointer[catalog.Catalog]

	ingest chan struct{} // semaphore of batches in flight
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
	k, err := newKeys(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: cfg.Store, keys: k, log: cfg.Logger, deployed: map[string]catalog.Deployed{},
		ingest: make(chan struct{}, cfg.MaxConcurrentIngest)}
	s.m = newMetrics(cfg.Registerer, s)
	s.eng = engine.New(engine.Options{
		Store: cfg.Store, Clock: cfg.Clock, EventClock: cfg.EventClock, Shards: cfg.Shards,
		LoadDeployment: s.loadDocument, Logger: cfg.Logger, Observer: observer{s.m},
	})
	stacks, err := s.st.Stacks(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range stacks {
		doc, err := s.loadDocument(ctx, d.Stack, d.Serial)
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
	return s, nil
}

// Run processes the event log until ctx ends; everything processed is
// committed when it returns.
func (s *Service) Run(ctx context.Context) error { return s.eng.Run(ctx) }

// Ready reports whether the runtime has caught up with every event that
// was acknowledged before it started.
func (s *Service) Ready() bool { return s.eng.Ready() }

// Sync waits until everything appended so far is processed and every
// timer due by the clock has fired.
func (s *Service) Sync(ctx context.Context) error { return s.eng.Sync(ctx) }

func (s *Service) backlog() uint64 {
	last, err := s.st.LastSeq(context.Background())
	if err != nil {
		return 0
	}
	if p := s.eng.Processed(); last > p {
		return last - p
	}
	return 0
}

func (s *Service) loadDocument(ctx context.Context, stack string, serial int64) (*deploy.Document, error) {
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
