package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Decide runs the decision pipeline and records the decision, off the
// request path.
func (s *Service) Decide(ctx context.Context, req apiv1.DecideRequest) (*apiv1.Decision, error) {
	if req.CustomerID == "" {
		return nil, &InvalidError{`the request needs "customer_id"`}
	}
	if req.Channel == "" {
		return nil, &InvalidError{`the request needs "channel": the channel to decide for`}
	}
	if req.Limit < 0 {
		return nil, &InvalidError{`"limit" must not be negative`}
	}
	var c map[string]expr.Value
	if len(req.Context) > 0 {
		c = make(map[string]expr.Value, len(req.Context))
		for k, v := range req.Context {
			c[k] = contextValue(v)
		}
	}
	start := time.Now()
	d, err := s.eng.Decide(ctx, engine.DecideRequest{Customer: req.CustomerID, Channel: req.Channel, Context: c, Limit: req.Limit})
	if errors.Is(err, decide.ErrUnknownChannel) {
		return nil, &UnprocessableError{Code: apiv1.CodeUnknownChannel, Msg: fmt.Sprintf("no deployed stack declares channel %q", req.Channel)}
	}
	if err != nil {
		return nil, err
	}
	s.m.decideLatency.WithLabelValues(d.Channel).Observe(time.Since(start).Seconds())
	out := &apiv1.Decision{DecisionID: d.ID, CustomerID: d.Customer, Channel: d.Channel, Time: d.Time, Control: d.Control,
		Holdout: d.Holdout, Actions: make([]apiv1.RankedAction, 0, d.Chosen)}
	for _, cd := range d.ChosenActions() {
		a := cd.Action
		out.Actions = append(out.Actions, apiv1.RankedAction{Stack: a.Stack.Name, Journey: a.Journey.Name, Action: a.Name, Address: a.Ref,
			Treatment: a.Treatment, Propensity: cd.Propensity, Priority: cd.Priority, Explore: cd.Explore, Variant: cd.VariantName()})
		if a.Experiment != nil {
			out.Actions[len(out.Actions)-1].Experiment = a.Experiment.Name
		}
	}
	if req.Explain {
		out.Candidates = candidates(d.Record())
	}
	s.decided(d) // after the answer is made: recording trims d
	return out, nil
}

// decided records a decision and counts it.
func (s *Service) decided(d *decide.Decision) {
	kind := "request"
	if d.Trigger {
		kind = "trigger"
	}
	s.m.decisions.WithLabelValues(d.Channel, kind).Inc()
	d.Facts = engine.DecisionFacts(d)
	if !s.rec.Add(d) {
		s.m.recordsDropped.Inc()
	}
}

// contextValue converts a JSON value of a decide request's context: a
// string, number, bool or list of strings; anything else is null.
func contextValue(v any) expr.Value {
	switch x := v.(type) {
	case string:
		return expr.String(x)
	case float64:
		return expr.Number(x)
	case bool:
		return expr.Bool(x)
	case []any:
		l := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return expr.NullValue()
			}
			l = append(l, s)
		}
		return expr.List(l)
	}
	return expr.NullValue()
}

func candidates(r *decide.Record) []apiv1.Candidate {
	out := make([]apiv1.Candidate, 0, len(r.Candidates))
	for i, c := range r.Candidates {
		cd := apiv1.Candidate{Address: c.Ref(), Stack: c.Stack, Treatment: c.Treatment, Kept: i < r.Chosen, Reason: c.Reason.String(), Explore: c.Explore, Variant: c.Variant}
		if a, err := addrs.Parse(c.Address); err == nil {
			cd.Journey, cd.Action = a.Journey, a.Name
		}
		if c.Scored {
			p, q := c.Propensity, c.Priority
			cd.Propensity, cd.Priority = &p, &q
		}
		out = append(out, cd)
	}
	return out
}

// UnprocessableError is a request the runtime understood but cannot act
// on, with a code for the API.
type UnprocessableError struct {
	Code apiv1.Code
	Msg  string
}

func (e *UnprocessableError) Error() string { return e.Msg }

// record returns a decision's record: from memory while it is not yet
// written (with its chosen candidates only unless full), else from the
// store; ErrNotFound for an unknown one.
func (s *Service) record(ctx context.Context, id string, full bool) (*decide.Record, error) {
	if !full {
		if d, ok := s.rec.Get(id); ok {
			return d.Record(), nil
		}
	} else if sd, ok := s.rec.GetRecord(id); ok {
		return decide.Decode(sd, s.docs.resolver(ctx, s))
	}
	sd, err := s.st.Decision(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decide.Decode(sd, s.docs.resolver(ctx, s))
}

func decisionRecord(r *decide.Record) apiv1.DecisionRecord {
	out := apiv1.DecisionRecord{DecisionID: r.ID, CustomerID: r.Customer, Channel: r.Channel, Time: r.Time, Trigger: r.Trigger, Control: r.Control,
		Holdout: r.Holdout, Actions: []string{}, Candidates: candidates(r)}
	if !r.Deferred.IsZero() {
		t := r.Deferred
		out.Deferred = &t
	}
	for _, c := range r.Candidates[:r.Chosen] {
		out.Actions = append(out.Actions, c.Ref())
	}
	return out
}

// Decision returns a recorded decision with every candidate; ErrNotFound
// for an unknown one (or one past the retention).
func (s *Service) Decision(ctx context.Context, id string) (apiv1.DecisionRecord, error) {
	r, err := s.record(ctx, id, true)
	if err != nil {
		return apiv1.DecisionRecord{}, err
	}
	return decisionRecord(r), nil
}

// recentDecisions is how many decisions a customer's page shows.
const recentDecisions = 10

// customerDecisions returns a customer's most recent decisions, newest
// first.
func (s *Service) customerDecisions(ctx context.Context, id string) ([]apiv1.DecisionSummary, error) {
	var recs []*decide.Record
	seen := map[string]bool{}
	stored, err := s.st.CustomerDecisions(ctx, id, recentDecisions)
	if err != nil {
		return nil, err
	}
	resolve := s.docs.resolver(ctx, s)
	for _, sd := range append(s.rec.Pending(id), stored...) {
		if seen[sd.ID] {
			continue
		}
		seen[sd.ID] = true
		r, err := decide.Decode(sd, resolve)
		if err != nil {
			return nil, fmt.Errorf("decision %s: %w", sd.ID, err)
		}
		recs = append(recs, r)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].ID > recs[j].ID })
	if len(recs) > recentDecisions {
		recs = recs[:recentDecisions]
	}
	out := make([]apiv1.DecisionSummary, 0, len(recs))
	for _, r := range recs {
		ds := apiv1.DecisionSummary{DecisionID: r.ID, Time: r.Time, Channel: r.Channel, Trigger: r.Trigger, Control: r.Control, Actions: []string{}}
		for i, c := range r.Candidates {
			if i < r.Chosen {
				ds.Actions = append(ds.Actions, c.Ref())
				continue
			}
			if ds.Dropped == nil {
				ds.Dropped = map[string]int{}
			}
			ds.Dropped[c.Reason.String()]++
		}
		out = append(out, ds)
	}
	return out, nil
}

// Respond records a response durably before it returns; the engine then
// trains the action's model and the suppression counts with it, and
// counts an impression on an inbound channel as a contact.
func (s *Service) Respond(ctx context.Context, req apiv1.ResponseRequest) (apiv1.ResponseResult, error) {
	if req.DecisionID == "" || req.Action == "" || req.Outcome == "" {
		return apiv1.ResponseResult{}, &InvalidError{`the request needs "decision_id", "action" and "outcome"`}
	}
	known := false
	for _, o := range engine.Outcomes {
		known = known || o == req.Outcome
	}
	if !known {
		return apiv1.ResponseResult{}, &UnprocessableError{Code: apiv1.CodeUnknownOutcome,
			Msg: fmt.Sprintf("outcome %q is not one of %s", req.Outcome, strings.Join(engine.Outcomes, ", "))}
	}
	r, err := s.record(ctx, req.DecisionID, false)
	if err != nil {
		return apiv1.ResponseResult{}, err
	}
	ref, err := chosenRef(r, req.Action)
	if err != nil {
		return apiv1.ResponseResult{}, err
	}
	treatment, channel, err := s.chosenTreatment(r, ref, req.Treatment)
	if err != nil {
		return apiv1.ResponseResult{}, err
	}
	rec := store.LogRecord{
		Partition: store.PartitionOf(r.Customer),
		ID:        "response\x00" + r.ID + "\x00" + ref + "\x00" + req.Outcome,
		Arrival:   s.now().UTC(),
		Data: engine.EncodeResponse(engine.Response{Customer: r.Customer, Decision: r.ID, Action: ref, Channel: channel,
			Outcome: req.Outcome, Control: r.Control, Treatment: treatment, Context: r.Context}),
	}
	seqs, err := s.st.Append(ctx, []store.LogRecord{rec})
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return apiv1.ResponseResult{}, &OverloadedError{"the runtime is shutting down"}
		}
		return apiv1.ResponseResult{}, err
	}
	s.eng.Notify()
	s.m.responses.WithLabelValues(req.Outcome).Inc()
	return apiv1.ResponseResult{DecisionID: r.ID, Action: ref, Treatment: treatment, Outcome: req.Outcome, Duplicate: seqs[0] == 0}, nil
}

// chosenTreatment resolves the treatment of a response from the decision,
// which names the treatment it chose of action ref: one given must be it.
// It returns the treatment's channel too: the decision's, unless the
// treatment, still deployed, is on another (a decision over actions that
// fell due ranks treatments on every channel).
func (s *Service) chosenTreatment(r *decide.Record, ref, given string) (string, string, error) {
	chosen := ""
	for _, c := range r.Candidates[:r.Chosen] {
		if c.Ref() == ref {
			chosen = c.Treatment
			break
		}
	}
	switch {
	case given != "" && chosen == "":
		return "", "", &UnprocessableError{Code: apiv1.CodeUnknownAction,
			Msg: fmt.Sprintf("decision %s chose action %s, which has no treatment %q", r.ID, ref, given)}
	case given != "" && given != chosen:
		return "", "", &UnprocessableError{Code: apiv1.CodeUnknownAction,
			Msg: fmt.Sprintf("decision %s chose treatment %q of action %s, not %q", r.ID, chosen, ref, given)}
	}
	channel := r.Channel
	if dec := s.eng.Decisioning(); dec != nil && chosen != "" {
		if a := dec.Action(ref); a != nil {
			if t := a.TreatmentNamed(chosen); t != nil {
				channel = t.Channel.Name
			}
		}
	}
	return chosen, channel, nil
}

// chosenRef resolves the action of a response among those the decision
// chose.
func chosenRef(r *decide.Record, action string) (string, error) {
	var refs, matches []string
	for _, c := range r.Candidates[:r.Chosen] {
		ref := c.Ref()
		refs = append(refs, ref)
		if ref == action {
			return ref, nil
		}
		if a, err := addrs.Parse(c.Address); err == nil && a.Name == action {
			matches = append(matches, ref)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return "", &UnprocessableError{Code: apiv1.CodeAmbiguousAction,
			Msg: fmt.Sprintf("decision %s returned more than one action named %q (%s): name it as <stack>/<address>", r.ID, action, strings.Join(matches, ", "))}
	}
	returned := "no action"
	if len(refs) > 0 {
		returned = strings.Join(refs, ", ")
	}
	return "", &UnprocessableError{Code: apiv1.CodeUnknownAction,
		Msg: fmt.Sprintf("decision %s did not return action %q; it returned %s", r.ID, action, returned)}
}

// docCache keeps deployment documents by stack and serial, to name the
// actions of decision records.
type docCache struct {
	mu   sync.Mutex
	docs map[string][]string // addresses by object place
}

// maxCachedDocs bounds the cache; it is emptied when full.
const maxCachedDocs = 64

func (c *docCache) resolver(ctx context.Context, s *Service) decide.Resolver {
	return func(stack string, serial int64, object int) string {
		key := fmt.Sprintf("%s\x00%d", stack, serial)
		c.mu.Lock()
		addrs, ok := c.docs[key]
		c.mu.Unlock()
		if !ok {
			doc, err := s.readDocument(ctx, stack, serial)
			if err != nil {
				return ""
			}
			addrs = make([]string, len(doc.Objects))
			for i := range doc.Objects {
				addrs[i] = doc.Objects[i].Address
			}
			c.mu.Lock()
			if c.docs == nil || len(c.docs) >= maxCachedDocs {
				c.docs = map[string][]string{}
			}
			c.docs[key] = addrs
			c.mu.Unlock()
		}
		if object < 0 || object >= len(addrs) {
			return ""
		}
		return addrs[object]
	}
}
