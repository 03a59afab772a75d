package simulate

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// Options configure a Runtime.
type Options struct {
	// Now is the arrival clock: the time of an event sent without a
	// timestamp (default time.Now). A replay gives a fixed time.
	Now func() time.Time
	// Logger receives the runtime's logs (default none).
	Logger *slog.Logger
	// Deterministic processes the log on one worker with seeded draws, so
	// that the same events in the same batches give the same outcome.
	Deterministic bool
	// Ephemeral runs the runtime as service.Config.Ephemeral says: for a
	// replay, which nothing but its outcome outlives. A runtime that
	// serves an API (waymark dev) is not, so that erasure there behaves as
	// it does deployed.
	Ephemeral bool
	// NoTimeline keeps no customer's timeline (service.Config.NoTimeline):
	// for a replay, whose outcome reads the customers' runs, not their
	// transitions.
	NoTimeline bool
}

// Runtime is a runtime in this process: the real service and engine over
// an in-memory store, timers on the event clock, deliveries recorded in
// the outbox and never sent. Close stops it.
type Runtime struct {
	svc    *service.Service
	st     store.Store
	now    func() time.Time
	cancel context.CancelFunc
	done   chan error
}

// clockCustomer is the customer that Advance erases to move the event
// clock: an id no event can carry (ids are printable).
const clockCustomer = "\x00simulate-clock"

// Start starts a Runtime; it runs until Close.
func Start(ctx context.Context, opts Options) (*Runtime, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// The engine hands over what it commits, and the analytics feed is
	// the one reader of the facts, which never reads back: the store
	// keeps what it is given and lets go of what has been read.
	st := memstore.New(memstore.Options{OwnCommits: true, ConsumeFacts: true})
	// The key only seals documents in memory: a fixed one will do.
	key := sha256.Sum256([]byte("waymark simulate"))
	cfg := service.Config{Store: st, SecretKey: key[:service.KeySize], EventClock: true,
		Record: true, Ephemeral: opts.Ephemeral, NoTimeline: opts.NoTimeline, DecodedFacts: true, Now: opts.Now, Logger: opts.Logger, Replica: "simulate"}
	if opts.Deterministic {
		cfg.Workers, cfg.Seed = 1, 1
	}
	svc, err := service.New(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("starting the in-memory runtime: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r := &Runtime{svc: svc, st: st, now: opts.Now, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(runCtx) }()
	return r, nil
}

// Service is the runtime's service, for an API server over it.
func (r *Runtime) Service() *service.Service { return r.svc }

// Close stops the runtime and drops its state.
func (r *Runtime) Close() error {
	r.cancel()
	err := <-r.done
	if cerr := r.st.Close(); err == nil {
		err = cerr
	}
	return err
}

// Deploy makes doc the whole of its stack's deployment, as apply does; a
// document with no objects removes the stack.
func (r *Runtime) Deploy(ctx context.Context, doc *deploy.Document) error {
	serial := int64(0)
	if d, err := r.st.Deployment(ctx, doc.Stack, 0); err == nil {
		serial = d.Serial
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err := r.svc.Deploy(ctx, doc.Stack, serial, doc, "simulate")
	return err
}

// Ingest sends a batch of events (JSON Lines or a JSON array), as POST
// /v1/events does.
func (r *Runtime) Ingest(ctx context.Context, batch []byte) (apiv1.IngestResult, error) {
	return r.svc.Ingest(ctx, batch, decodeLimits())
}

// IngestDecoded sends a batch of events that events.Decode has read, with
// the limits Ingest applies (see decodeLimits); it only reads raws.
func (r *Runtime) IngestDecoded(ctx context.Context, raws []events.Raw) (apiv1.IngestResult, error) {
	return r.svc.IngestDecoded(ctx, raws)
}

// decodeLimits are the limits Ingest reads a batch with.
func decodeLimits() events.Limits {
	return events.Limits{MaxEvents: maxBatch, MaxEventBytes: events.DefaultLimits.MaxEventBytes}
}

// maxBatch is the most events Ingest takes at once.
const maxBatch = 10000

// Advance moves the event clock on to t, as an event at t would, so that
// the timers due before t fire; then it waits until they have.
func (r *Runtime) Advance(ctx context.Context, t time.Time) error {
	_, err := r.st.Append(ctx, []store.LogRecord{{Partition: store.PartitionOf(clockCustomer), Arrival: r.now().UTC(),
		Time: t.UTC(), Data: engine.EncodeErase(clockCustomer)}})
	if err != nil {
		return err
	}
	return r.Sync(ctx)
}

// Sync waits until every event sent is processed, the timers due by the
// clock have fired, and analytics has counted it all.
func (r *Runtime) Sync(ctx context.Context) error { return r.svc.SyncAll(ctx) }

// Deliveries returns every delivery recorded for a customer (KPI alerts
// left out), in order of id.
func (r *Runtime) Deliveries(ctx context.Context) ([]apiv1.Delivery, error) {
	var out []apiv1.Delivery
	after := ""
	for {
		page, err := r.svc.Deliveries(ctx, string(store.DeliveryPending), after, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			if d.CustomerID != "" {
				out = append(out, d)
			}
		}
		if len(page) == 0 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// Customers calls f with the id of every customer the runtime keeps, in
// order of partition then id.
func (r *Runtime) Customers(ctx context.Context, f func(id string) error) error {
	return r.svc.EachCustomer(ctx, f)
}
