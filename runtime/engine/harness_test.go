package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// harness runs an engine over a memstore with a manual clock.
type harness struct {
	t      *testing.T
	st     store.Store
	clock  *Manual
	event  bool
	e      *Engine
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	docs   map[string]*deploy.Document
	serial map[string]int64
	n      int
	// decided and enqueued are what the engine reported.
	decided  []*decide.Decision
	enqueued []store.Delivery
	// options, when set, changes the engine's options.
	options func(*Options)
}

func newHarness(t *testing.T, eventClock bool) *harness {
	return newHarnessCache(t, eventClock, 0)
}

// newHarnessCache runs an engine that keeps at most cache customers in
// memory.
func newHarnessCache(t *testing.T, eventClock bool, cache int) *harness {
	return newHarnessWith(t, eventClock, func(o *Options) { o.CacheSize = cache })
}

// newHarnessWith runs an engine whose options options changes.
func newHarnessWith(t *testing.T, eventClock bool, options func(*Options)) *harness {
	h := &harness{t: t, st: memstore.New(memstore.Options{}), clock: NewManual(t0), event: eventClock,
		docs: map[string]*deploy.Document{}, serial: map[string]int64{}, options: options}
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) load(ctx context.Context, stack string, serial int64) (*deploy.Document, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.docs[fmt.Sprintf("%s/%d", stack, serial)]
	if !ok {
		return nil, errors.New("no such deployment")
	}
	return d, nil
}

func (h *harness) start() {
	opts := Options{Store: h.st, Clock: h.clock, EventClock: h.event, Workers: 3, LoadDeployment: h.load, Seed: 1,
		Decided: func(d *decide.Decision) {
			h.mu.Lock()
			h.decided = append(h.decided, d)
			h.mu.Unlock()
		},
		Enqueued: func(ds []store.Delivery) {
			h.mu.Lock()
			h.enqueued = append(h.enqueued, ds...)
			h.mu.Unlock()
		}}
	if h.options != nil {
		h.options(&opts)
	}
	h.e = New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.e.Run(ctx) }()
	h.sync()
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("engine: %v", err)
	}
	h.cancel = nil
}

// restart stops the engine and starts a new one over the same store.
func (h *harness) restart() {
	h.stop()
	h.start()
}

func (h *harness) sync() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.e.Sync(ctx); err != nil {
		select {
		case err := <-h.done:
			h.t.Fatalf("engine stopped: %v", err)
		default:
		}
		h.t.Fatalf("sync: %v", err)
	}
}

// deploy activates doc as the next deployment of its stack.
func (h *harness) deploy(doc *deploy.Document) {
	h.t.Helper()
	h.mu.Lock()
	stack := doc.Stack
	base := h.serial[stack]
	h.docs[fmt.Sprintf("%s/%d", stack, base+1)] = doc
	h.mu.Unlock()
	in := map[string]catalog.Deployed{stack: {Serial: base + 1, Doc: doc}}
	cat, ps := catalog.Build(in, stack)
	if len(ps) == 0 {
		_, ps = Compile(cat)
	}
	if len(ps) > 0 {
		h.t.Fatalf("invalid deployment: %v", ps)
	}
	d, err := h.st.Deploy(context.Background(), store.Deployment{Stack: stack}, base,
		store.LogRecord{Partition: store.AllPartitions, Arrival: h.clock.Now(), Data: EncodeActivation(stack, base+1)})
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.serial[stack] = d.Serial
	h.mu.Unlock()
	h.e.Notify()
	h.sync()
}

// ev builds an event: type, customer, time offset from t0, then
// attribute name/value pairs; a name starting with "trait:" is a trait.
func ev(typ, customer string, at time.Duration, kv ...any) *events.Event {
	e := &events.Event{Type: typ, Customer: customer, Time: t0.Add(at)}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		var v events.Value
		switch x := kv[i+1].(type) {
		case string:
			v = events.Value{Kind: events.KindString, Str: x}
		case int:
			v = events.Value{Kind: events.KindNumber, Num: float64(x)}
		case float64:
			v = events.Value{Kind: events.KindNumber, Num: x}
		case bool:
			v = events.Value{Kind: events.KindBool, Bool: x}
		}
		if len(name) > 6 && name[:6] == "trait:" {
			e.Traits = append(e.Traits, events.Field{Name: name[6:], Value: v})
		} else {
			e.Attributes = append(e.Attributes, events.Field{Name: name, Value: v})
		}
	}
	return e
}

// send appends events (arriving now by the manual clock) and waits for the
// engine to process them.
func (h *harness) send(evs ...*events.Event) {
	h.t.Helper()
	h.append(evs...)
	h.sync()
}

func (h *harness) append(evs ...*events.Event) {
	h.t.Helper()
	var recs []store.LogRecord
	for _, e := range evs {
		h.n++
		e.ID = fmt.Sprintf("e-%d", h.n)
		recs = append(recs, EventRecord(e, h.clock.Now()))
	}
	if _, err := h.st.Append(context.Background(), recs); err != nil {
		h.t.Fatal(err)
	}
	h.e.Notify()
}

// run returns the customer's run of journey (stack growth), or a zero Run.
func (h *harness) run(customer, journey string) Run {
	c, _, _ := h.e.Customer(context.Background(), customer)
	for _, r := range c.Runs {
		if r.Journey == journey {
			return r
		}
	}
	return Run{}
}

// path renders the customer's timeline in one journey:
// "entered:browsing@0s moved:checkout@1h completed@3h".
func (h *harness) path(customer, journey string) string {
	c, _, _ := h.e.Customer(context.Background(), customer)
	out := ""
	for _, tr := range c.Timeline {
		if tr.Journey != journey {
			continue
		}
		if out != "" {
			out += " "
		}
		out += tr.Reason
		if tr.To != "" {
			out += ":" + tr.To
		}
		out += "@" + tr.Time.Sub(t0).String()
		if tr.Late {
			out += "(late)"
		}
	}
	return out
}

// record appends other log records (responses, outcomes, erasures) and
// waits for the engine to process them.
func (h *harness) record(payloads ...[]byte) {
	h.t.Helper()
	var recs []store.LogRecord
	for _, p := range payloads {
		rec, err := Record(p, "", h.clock.Now())
		if err != nil {
			h.t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if _, err := h.st.Append(context.Background(), recs); err != nil {
		h.t.Fatal(err)
	}
	h.e.Notify()
	h.sync()
}

// decisions returns the decisions reported so far and forgets them.
func (h *harness) decisions() []*decide.Decision {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.decided
	h.decided = nil
	return d
}

// sends returns the deliveries enqueued so far as "action@due" (due as an
// offset from t0), and forgets them.
func (h *harness) sends() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.enqueued {
		it, err := delivery.Decode(e)
		if err != nil {
			h.t.Fatal(err)
		}
		name := it.Action[strings.LastIndexByte(it.Action, '.')+1:]
		if it.Treatment != "" {
			name += "(" + it.Treatment + " on " + it.Channel + ")"
		}
		out = append(out, fmt.Sprintf("%s:%s@%s", it.Customer, name, it.Due.Sub(t0)))
	}
	h.enqueued = nil
	sort.Strings(out)
	return out
}

// trust gives the models of the stack's actions enough evidence to be
// ranked by their means, all at rate, so that rankings follow value.
func (h *harness) trust(rate float64) {
	for _, b := range h.e.Decisioning().Actions() {
		for _, a := range b.Variants() {
			for i := 0; i < models.TrustAfter; i++ {
				h.e.Models().Observe(0, a.ModelKey, nil, float64(i) < rate*models.TrustAfter, false, 1)
			}
		}
	}
}

func (h *harness) stageCounts() []StageCount {
	h.t.Helper()
	got, err := h.e.StageCounts(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

// records decodes the analytics facts the store holds, in its order.
func (h *harness) records() []analytics.Record {
	h.t.Helper()
	facts, err := h.st.Facts(context.Background(), nil, 1<<20)
	if err != nil {
		h.t.Fatal(err)
	}
	out := make([]analytics.Record, len(facts))
	for i, f := range facts {
		if err := out[i].UnmarshalBinary(f.Data); err != nil {
			h.t.Fatal(err)
		}
	}
	return out
}
