package wmtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// Options say how to run tests.
type Options struct {
	// Config is the configuration the tests run against.
	Config *lang.Config
	// Load loads the configuration again with a test's variables added
	// after the others, for the tests that set vars.
	Load func(ctx context.Context, vars []lang.VarArg) (*lang.Config, hcl.Diagnostics)
	// Providers runs the providers of the tests that ask for the real
	// ones.
	Providers *discovery.Env
	// Explain logs every decision's candidates, passing or not.
	Explain bool
	// Settle bounds the wait for the outbox to attempt what is due
	// (default 10s).
	Settle time.Duration
	// Timeout bounds one test (default 2m): a runtime that stops making
	// progress fails the test instead of hanging the run.
	Timeout time.Duration
}

// Result is what became of one test.
type Result struct {
	Test    *lang.Test
	Elapsed time.Duration
	// Diags are problems that kept the test from running: its variables,
	// the deployment, the runtime.
	Diags    hcl.Diagnostics
	Failures []*Failure
	// Logs are lines printed with -explain.
	Logs []string
}

// Passed reports whether the test ran and every expectation held.
func (r *Result) Passed() bool { return !r.Diags.HasErrors() && len(r.Failures) == 0 }

// Failure is an expectation that did not hold.
type Failure struct {
	Kind  lang.StepKind
	Range hcl.Range
	// What names what was checked: "customer c-1 in journey cart_recovery".
	What      string
	Want, Got string
	// Explain lists a decision's candidates.
	Explain []string
}

// Run runs one test in its own runtime.
func Run(ctx context.Context, t *lang.Test, opts Options) *Result {
	began := time.Now()
	res := &Result{Test: t}
	defer func() { res.Elapsed = time.Since(began) }()
	if opts.Settle <= 0 {
		opts.Settle = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if n := len(t.Steps); n > 0 && t.Steps[n-1].At.After(time.Now()) {
		// The outbox delivers on the wall clock: a delivery due later
		// would wait for it.
		res.Diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Test ends in the future",
			Detail:  fmt.Sprintf("The test's last step is at %s, after now: a test runs on past times, so that every delivery it causes is due at once. Set an earlier start.", t.Steps[n-1].At.Format(time.RFC3339)),
			Subject: &t.Steps[n-1].DeclRange}}
		return res
	}
	cfg := opts.Config
	if len(t.Vars) > 0 && opts.Load != nil {
		var diags hcl.Diagnostics
		cfg, diags = opts.Load(ctx, varArgs(t.Vars))
		if diags.HasErrors() {
			res.Diags = diags
			return res
		}
	}
	r, err := start(ctx, cfg, t, opts)
	if err != nil {
		res.Diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot run the test", Detail: err.Error(), Subject: &t.DeclRange}}
		return res
	}
	defer r.close()
	for _, s := range t.Steps {
		f, err := r.step(ctx, s, res)
		if err != nil {
			res.Diags = append(res.Diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot run the test", Detail: err.Error(), Subject: &s.DeclRange})
			return res
		}
		if f != nil {
			res.Failures = append(res.Failures, f)
		}
	}
	return res
}

func varArgs(vars map[string]json.RawMessage) []lang.VarArg {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]lang.VarArg, 0, len(names))
	for _, n := range names {
		raw := string(vars[n])
		var s string
		if json.Unmarshal(vars[n], &s) == nil {
			raw = s // a string is given as it is, as on the command line
		}
		out = append(out, lang.VarArg{Name: n, Value: raw})
	}
	return out
}

// runtime is one test's runtime.
type runtime struct {
	svc   *service.Service
	cfg   *lang.Config
	test  *lang.Test
	opts  Options
	sink  *Sink
	now   atomic.Int64 // the arrival clock, unix nanoseconds
	clock time.Time    // where the event clock was moved last
	stop  context.CancelFunc
	done  chan error

	traitsSent map[string]bool
	customers  map[string]*lang.TestCustomer
	events     int
}

func start(ctx context.Context, cfg *lang.Config, t *lang.Test, opts Options) (*runtime, error) {
	r := &runtime{cfg: cfg, test: t, opts: opts, done: make(chan error, 1), traitsSent: map[string]bool{}, customers: map[string]*lang.TestCustomer{}}
	for _, c := range t.Customers {
		r.customers[c.ID] = c
	}
	r.now.Store(t.Start.UnixNano())
	key := make([]byte, service.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	scfg := service.Config{Store: memstore.New(memstore.Options{}), SecretKey: key, EventClock: true, Workers: 2, NoExplore: true,
		Now: func() time.Time { return time.Unix(0, r.now.Load()).UTC() }, Logger: slog.New(slog.DiscardHandler)}
	if t.RealProviders {
		scfg.Providers = opts.Providers
	} else {
		r.sink = NewSink()
		scfg.Deliver = r.sink.Deliver
	}
	svc, err := service.New(ctx, scfg)
	if err != nil {
		return nil, fmt.Errorf("starting the runtime: %w", err)
	}
	r.svc = svc
	runCtx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go func() { r.done <- svc.Run(runCtx) }()
	if _, err := svc.Deploy(ctx, cfg.Stack, 0, cfg.Document, "waymark test"); err != nil {
		r.close()
		return nil, fmt.Errorf("deploying the configuration: %w", err)
	}
	return r, nil
}

func (r *runtime) close() {
	r.stop()
	<-r.done
}

// advance moves the event clock just past t, so that what is due at t
// has happened.
func (r *runtime) advance(ctx context.Context, t time.Time) error {
	t = t.Add(time.Nanosecond)
	if !t.After(r.clock) {
		return nil
	}
	r.now.Store(t.UnixNano())
	if err := r.svc.AdvanceClock(ctx, t); err != nil {
		return fmt.Errorf("moving the clock to %s: %w", t.Format(time.RFC3339), err)
	}
	r.clock = t
	return nil
}

func (r *runtime) step(ctx context.Context, s *lang.Step, res *Result) (*Failure, error) {
	if s.Kind == lang.StepEvent {
		return r.event(ctx, s)
	}
	if err := r.advance(ctx, s.At); err != nil {
		return nil, err
	}
	switch s.Kind {
	case lang.StepExpect:
		return r.expectJourney(ctx, s)
	case lang.StepDecision:
		return r.expectDecision(ctx, s, res)
	case lang.StepDelivery:
		return r.expectDelivery(ctx, s)
	case lang.StepKPI:
		return r.expectKPI(ctx, s)
	case lang.StepAlert:
		return r.expectAlert(ctx, s)
	}
	return nil, fmt.Errorf("unknown step %s", s.Kind)
}

func (r *runtime) fail(s *lang.Step, attr, what, want, got string) *Failure {
	return &Failure{Kind: s.Kind, Range: s.Range(attr), What: what, Want: want, Got: got}
}

func (r *runtime) event(ctx context.Context, s *lang.Step) (*Failure, error) {
	r.events++
	ev := map[string]any{"id": fmt.Sprintf("wmtest-%d", r.events), "type": s.Type, "customer_id": s.Customer,
		"timestamp": s.At.Format(time.RFC3339Nano)}
	if len(s.Attributes) > 0 {
		ev["attributes"] = s.Attributes
	}
	traits := map[string]json.RawMessage{}
	if c := r.customers[s.Customer]; c != nil && !r.traitsSent[s.Customer] && len(c.Traits) > 0 {
		if err := json.Unmarshal(c.Traits, &traits); err != nil {
			return nil, err
		}
	}
	r.traitsSent[s.Customer] = true
	if len(s.Traits) > 0 {
		var more map[string]json.RawMessage
		if err := json.Unmarshal(s.Traits, &more); err != nil {
			return nil, err
		}
		for k, v := range more {
			traits[k] = v
		}
	}
	if len(traits) > 0 {
		ev["traits"] = traits
	}
	body, err := json.Marshal([]any{ev})
	if err != nil {
		return nil, err
	}
	if s.At.After(time.Unix(0, r.now.Load())) {
		r.now.Store(s.At.UnixNano())
	}
	out, err := r.svc.Ingest(ctx, body, events.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("sending the event: %w", err)
	}
	if len(out.Rejected) > 0 {
		return r.fail(s, "type", fmt.Sprintf("event %s of customer %s", s.Type, s.Customer), "accepted",
			fmt.Sprintf("rejected (%s): %s", out.Rejected[0].Code, out.Rejected[0].Reason)), nil
	}
	if out.Dropped > 0 {
		return r.fail(s, "attributes", fmt.Sprintf("event %s of customer %s", s.Type, s.Customer), "every attribute and trait declared",
			fmt.Sprintf("%d undeclared attributes or traits dropped", out.Dropped)), nil
	}
	if err := r.svc.SyncAll(ctx); err != nil {
		return nil, err
	}
	if s.At.After(r.clock) {
		r.clock = s.At
	}
	return nil, nil
}

func (r *runtime) hasObject(addr string) bool {
	_, ok := r.cfg.Ranges[addr]
	return ok
}

func (r *runtime) objectNames(prefix string) string {
	var names []string
	for a := range r.cfg.Ranges {
		if rest, ok := strings.CutPrefix(a, prefix); ok && !strings.Contains(rest, ".") {
			names = append(names, rest)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (r *runtime) expectJourney(ctx context.Context, s *lang.Step) (*Failure, error) {
	what := fmt.Sprintf("customer %s in journey %s at %s", s.Customer, s.Journey, r.when(s.At))
	if !r.hasObject("journey." + s.Journey) {
		return r.fail(s, "journey", what, "a deployed journey", "no journey "+s.Journey+"; the journeys are: "+r.objectNames("journey.")), nil
	}
	state, stage := "none", ""
	c, err := r.svc.Customer(ctx, s.Customer)
	switch {
	case errors.Is(err, service.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		for _, j := range c.Journeys {
			if j.Journey == s.Journey && j.Stack == r.cfg.Stack {
				state, stage = j.State, j.Stage
			}
		}
	}
	describe := func(state, stage string) string {
		if stage == "" {
			return "state " + state
		}
		return fmt.Sprintf("stage %s (%s)", stage, state)
	}
	wantState, wantStage := state, stage
	attr := "state"
	if s.State != "" {
		wantState = s.State
	}
	if s.Stage != nil {
		wantStage = *s.Stage
		if wantStage != stage {
			attr = "stage"
		}
		if s.State == "" && wantStage != "" {
			wantState = "active"
		}
	}
	if wantState == state && wantStage == stage {
		return nil, nil
	}
	return r.fail(s, attr, what, describe(wantState, wantStage), describe(state, stage)), nil
}

// when says when t is, relative to the test's start.
func (r *runtime) when(t time.Time) string {
	d := t.Sub(r.test.Start)
	if d < 0 {
		return t.Format(time.RFC3339)
	}
	return "+" + formatDuration(d)
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		n string
		d time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d >= u.d {
			fmt.Fprintf(&b, "%d%s", d/u.d, u.n)
			d %= u.d
		}
	}
	if b.Len() == 0 {
		return d.String()
	}
	return b.String()
}

func (r *runtime) expectDecision(ctx context.Context, s *lang.Step, res *Result) (*Failure, error) {
	channel := s.Channel
	if channel == "" {
		var inbound []string
		for _, o := range r.cfg.Document.Objects {
			if o.Channel != nil && !o.Channel.Delivers {
				inbound = append(inbound, o.Channel.Name)
			}
		}
		if len(inbound) != 1 {
			sort.Strings(inbound)
			return r.fail(s, "customer", fmt.Sprintf("decision for customer %s at %s", s.Customer, r.when(s.At)), "a channel",
				fmt.Sprintf("the configuration has %d inbound channels (%s): set channel", len(inbound), strings.Join(inbound, ", "))), nil
		}
		channel = inbound[0]
	}
	what := fmt.Sprintf("decision for customer %s on channel %s at %s", s.Customer, channel, r.when(s.At))
	var c map[string]any
	if len(s.Context) > 0 {
		if err := json.Unmarshal(s.Context, &c); err != nil {
			return nil, err
		}
	}
	d, err := r.svc.Decide(ctx, apiv1.DecideRequest{CustomerID: s.Customer, Channel: channel, Context: c, Explain: true})
	var ue *service.UnprocessableError
	if errors.As(err, &ue) {
		return r.fail(s, "channel", what, "a decision", ue.Msg), nil
	}
	if err != nil {
		return nil, err
	}
	got := make([]string, len(d.Actions))
	for i, a := range d.Actions {
		got[i] = a.Action
		if i < len(s.Actions) && strings.Contains(s.Actions[i], ".") {
			got[i] = a.Journey + "." + a.Action
		}
	}
	explain := explainLines(d)
	if r.opts.Explain {
		res.Logs = append(res.Logs, what+":")
		for _, l := range explain {
			res.Logs = append(res.Logs, "  "+l)
		}
	}
	ok := len(got) >= len(s.Actions) && (len(s.Actions) > 0 || len(got) == 0)
	for i := 0; ok && i < len(s.Actions); i++ {
		ok = got[i] == s.Actions[i]
	}
	if ok {
		return nil, nil
	}
	want := "[" + strings.Join(s.Actions, ", ") + "]"
	if len(s.Actions) > 0 {
		want = "first " + want
	} else {
		want = "no action"
	}
	f := r.fail(s, "actions", what, want, "["+strings.Join(got, ", ")+"]")
	if s.Explain || r.opts.Explain {
		f.Explain = explain
	}
	return f, nil
}

func explainLines(d *apiv1.Decision) []string {
	var out []string
	if d.Control {
		out = append(out, "the customer is in the control group")
	}
	for _, c := range d.Candidates {
		line := fmt.Sprintf("%s.%s: ", c.Journey, c.Action)
		if c.Kept {
			line += "kept"
		} else {
			line += "dropped, " + c.Reason
		}
		if c.Priority != nil {
			line += fmt.Sprintf(", priority %.4g", *c.Priority)
		}
		if c.Propensity != nil {
			line += fmt.Sprintf(", propensity %.4g", *c.Propensity)
		}
		if c.Explore {
			line += ", explored"
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		out = append(out, "no candidate action on this channel")
	}
	return out
}

// deliveries lists the outbox entries in every state, once every entry
// due by the clock has been attempted.
func (r *runtime) deliveries(ctx context.Context) ([]apiv1.Delivery, error) {
	deadline := time.Now().Add(r.opts.Settle)
	for {
		pending, err := r.list(ctx, apiv1.DeliveryPending)
		if err != nil {
			return nil, err
		}
		waiting := 0
		for _, d := range pending {
			if d.Attempts == 0 && !d.Due.After(r.clock) {
				waiting++
			}
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d deliveries due were not attempted within %s", waiting, r.opts.Settle)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	var all []apiv1.Delivery
	for _, st := range []apiv1.DeliveryState{apiv1.DeliveryDelivered, apiv1.DeliveryPending, apiv1.DeliveryFailed, apiv1.DeliveryCancelled} {
		ds, err := r.list(ctx, st)
		if err != nil {
			return nil, err
		}
		all = append(all, ds...)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Due.Equal(all[j].Due) {
			return all[i].Due.Before(all[j].Due)
		}
		return all[i].ID < all[j].ID
	})
	return all, nil
}

func (r *runtime) list(ctx context.Context, st apiv1.DeliveryState) ([]apiv1.Delivery, error) {
	var out []apiv1.Delivery
	after := ""
	for {
		ds, err := r.svc.Deliveries(ctx, string(st), after, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
		if len(ds) < 1000 {
			return out, nil
		}
		after = ds[len(ds)-1].ID
	}
}

func (r *runtime) expectDelivery(ctx context.Context, s *lang.Step) (*Failure, error) {
	what := fmt.Sprintf("delivery of %s to customer %s by %s", s.Action, s.Customer, r.when(s.At))
	journey, action, qualified := strings.Cut(s.Action, ".")
	if !qualified {
		action, journey = journey, ""
	}
	if len(s.Fields) > 0 && r.sink == nil {
		return r.fail(s, "fields", what, "rendered fields", "the test runs the real providers: fields can only be read with providers = \"sink\""), nil
	}
	if names := r.actionNames(); !contains(names, action) {
		return r.fail(s, "action", what, "a deployed action", "no action "+action+"; the actions are: "+strings.Join(names, ", ")), nil
	}
	all, err := r.deliveries(ctx)
	if err != nil {
		return nil, err
	}
	var match *apiv1.Delivery
	var others []string
	for i := range all {
		d := &all[i]
		if d.CustomerID != s.Customer || d.Action == "" || d.Due.After(r.clock) {
			continue
		}
		if actionName(d.Action) == action && (journey == "" || d.Journey == journey) && (s.Channel == "" || d.Channel == s.Channel) &&
			(s.Treatment == "" || d.Treatment == s.Treatment) && d.State == apiv1.DeliveryDelivered {
			if match == nil {
				match = d
			}
			continue
		}
		o := fmt.Sprintf("%s.%s on %s %s at %s", d.Journey, actionName(d.Action), d.Channel, d.State, r.when(d.Due))
		if d.Treatment != "" {
			o = fmt.Sprintf("%s.%s (treatment %s) on %s %s at %s", d.Journey, actionName(d.Action), d.Treatment, d.Channel, d.State, r.when(d.Due))
		}
		if d.LastError != "" {
			o += " (" + d.LastError + ")"
		}
		others = append(others, o)
	}
	gotNone := "none"
	if len(others) > 0 {
		gotNone = "none; the customer's deliveries: " + strings.Join(others, "; ")
	}
	if !s.Sent {
		if match != nil {
			return r.fail(s, "sent", what, "not sent", fmt.Sprintf("sent on %s at %s", match.Channel, r.when(match.Due))), nil
		}
		return nil, nil
	}
	if match == nil {
		return r.fail(s, "action", what, "sent", gotNone), nil
	}
	if s.Variant != "" && match.Variant != s.Variant {
		got := fmt.Sprintf("variant %q", match.Variant)
		if match.Variant == "" {
			got = "no variant"
		}
		return r.fail(s, "variant", what, fmt.Sprintf("variant %q", s.Variant), got), nil
	}
	if len(s.Fields) == 0 {
		return nil, nil
	}
	rec, ok := r.sink.Get(match.MessageID)
	if !ok {
		return nil, fmt.Errorf("delivery %s is not in the sink", match.ID)
	}
	names := make([]string, 0, len(s.Fields))
	for n := range s.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		got, ok := rec.Message[n]
		if !ok {
			have := make([]string, 0, len(rec.Message))
			for k := range rec.Message {
				have = append(have, k)
			}
			sort.Strings(have)
			return r.fail(s, "fields", what+": field "+n, fmt.Sprintf("%q", s.Fields[n]), "no such field; the message has "+strings.Join(have, ", ")), nil
		}
		if got != s.Fields[n] {
			return r.fail(s, "fields", what+": field "+n, fmt.Sprintf("%q", s.Fields[n]), fmt.Sprintf("%q", got)), nil
		}
	}
	return nil, nil
}

// actionNames lists the names of the configuration's actions.
func (r *runtime) actionNames() []string {
	seen := map[string]bool{}
	var out []string
	for a := range r.cfg.Ranges {
		if i := strings.LastIndex(a, ".action."); i >= 0 {
			n := a[i+len(".action."):]
			if !strings.Contains(n, ".") && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// actionName is the name of the action at an outbox entry's address
// (journey.<j>.action.<name>).
func actionName(addr string) string {
	if i := strings.LastIndex(addr, ".action."); i >= 0 {
		return addr[i+len(".action."):]
	}
	return addr
}

func (r *runtime) expectKPI(ctx context.Context, s *lang.Step) (*Failure, error) {
	what := fmt.Sprintf("KPI %s of journey %s at %s", s.KPI, s.Journey, r.when(s.At))
	rep, err := r.svc.Analytics(ctx, r.cfg.Stack, s.Journey, analytics.Range{All: true})
	if errors.Is(err, service.ErrUnknownJourney) {
		return r.fail(s, "journey", what, "a deployed journey", "no journey "+s.Journey+"; the journeys are: "+r.objectNames("journey.")), nil
	}
	if err != nil {
		return nil, err
	}
	var k *apiv1.KPI
	var names []string
	for i := range rep.KPIs {
		names = append(names, rep.KPIs[i].Name)
		if rep.KPIs[i].Name == s.KPI {
			k = &rep.KPIs[i]
		}
	}
	if k == nil {
		return r.fail(s, "kpi", what, "a KPI of the journey", "no KPI "+s.KPI+"; the journey's KPIs are: "+strings.Join(names, ", ")), nil
	}
	got := "no value"
	if k.Value != nil {
		got = fmt.Sprintf("%.6g", *k.Value)
	}
	got += fmt.Sprintf(" over %d samples, %s", k.Samples, k.State)
	if s.Value != nil && (k.Value == nil || math.Abs(*k.Value-*s.Value) > s.Tolerance) {
		return r.fail(s, "value", what, fmt.Sprintf("%.6g", *s.Value), got), nil
	}
	if s.Samples != nil && k.Samples != *s.Samples {
		return r.fail(s, "samples", what, fmt.Sprintf("over %d samples", *s.Samples), got), nil
	}
	if s.State != "" && string(k.State) != s.State {
		return r.fail(s, "state", what, s.State, got), nil
	}
	return nil, nil
}

func (r *runtime) expectAlert(ctx context.Context, s *lang.Step) (*Failure, error) {
	what := fmt.Sprintf("alert of KPI %s of journey %s by %s", s.KPI, s.Journey, r.when(s.At))
	if r.sink == nil {
		return r.fail(s, "kpi", what, "an alert", "the test runs the real providers: alerts can only be read with providers = \"sink\""), nil
	}
	all, err := r.deliveries(ctx)
	if err != nil {
		return nil, err
	}
	var states []string
	for _, d := range all {
		if d.Action != "" || d.Journey != s.Journey || d.State != apiv1.DeliveryDelivered || d.Due.After(r.clock) {
			continue
		}
		rec, ok := r.sink.Get(d.MessageID)
		if ok && rec.Alert != nil && rec.Alert.KPI == s.KPI {
			states = append(states, fmt.Sprintf("%s (value %.4g, target %.4g)", rec.Alert.State, rec.Alert.Value, rec.Alert.Target))
		}
	}
	switch {
	case !s.Sent && len(states) > 0:
		return r.fail(s, "sent", what, "no alert", strings.Join(states, ", ")), nil
	case !s.Sent:
		return nil, nil
	case len(states) == 0:
		return r.fail(s, "kpi", what, "an alert", "none"), nil
	case s.State != "" && !strings.HasPrefix(states[len(states)-1], s.State+" "):
		return r.fail(s, "state", what, "latest "+s.State, strings.Join(states, ", ")), nil
	}
	return nil, nil
}
