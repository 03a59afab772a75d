package engine

import (
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
)

// fact is an analytics record made while processing, waiting for its
// commit; t orders it among the facts of the other shards.
type fact struct {
	t   time.Time
	rec analytics.Record
}

// fact queues an analytics record for the shard's next commit.
func (s *shard) fact(t time.Time, r analytics.Record) {
	s.facts = append(s.facts, fact{t: t, rec: r})
}

// stored is the fact as the store takes it: encoded, or with decoded, its
// record, copied to the end of recs (one array for a commit's records
// rather than one allocation each).
func (f *fact) stored(p int, decoded bool, recs *[]analytics.Record) (store.Fact, bool) {
	if decoded {
		*recs = append(*recs, f.rec)
		return store.Fact{Partition: p, Value: &(*recs)[len(*recs)-1]}, true
	}
	b, err := f.rec.MarshalBinary()
	if err != nil {
		return store.Fact{}, false // only a record with no payload fails, and none is made
	}
	return store.Fact{Partition: p, Data: b}, true
}

// eventFact records ev for the KPIs of journey cj that read its type, if
// the customer's run of the journey is active, with the number attributes
// the KPIs read. It reports whether it recorded one.
func (w *work) eventFact(c *customer, cs *cstack, cj *cjourney, ev *events.Event, attrs []string, t time.Time) bool {
	r := c.journeyRun(w.cat, cs, cj)
	if r == nil || r.status != StatusActive {
		return false
	}
	e := &analytics.Event{Time: t, Stack: r.stack, Journey: r.journey, Customer: c.id, Run: r.n, Type: ev.Type}
	for _, name := range attrs {
		if v := ev.Attribute(name); v.Kind == events.KindNumber {
			if e.Attributes == nil {
				e.Attributes = make(map[string]float64, len(attrs))
			}
			e.Attributes[name] = v.Num
		}
	}
	w.sh.fact(t, analytics.Record{Event: e})
	return true
}

// splitRef returns the stack, journey and name of an action from its
// ref (<stack>/journey.<journey>.action.<name>), whether or not it is
// still deployed.
func splitRef(ref string) (stack, journey, name string, ok bool) {
	stack, addr, ok := strings.Cut(ref, "/")
	if !ok {
		return "", "", "", false
	}
	if rest, plain := strings.CutPrefix(addr, "journey."); plain && !strings.ContainsAny(rest, "[\"") {
		journey, name, ok = strings.Cut(rest, ".action.")
		if !ok || journey == "" || name == "" {
			return "", "", "", false
		}
		return stack, journey, name, true
	}
	// An instance key or a module: the address's own grammar.
	a, err := addrs.Parse(addr)
	if err != nil || a.Kind != addrs.Action {
		return "", "", "", false
	}
	return stack, a.Journey, a.Name, true
}

// responseFact records a response for the action performance of its
// journey.
func (w *work) responseFact(c *customer, r *Response, t time.Time) {
	stack, journey, name, ok := splitRef(r.Action)
	if !ok {
		return
	}
	w.sh.fact(t, analytics.Record{Response: &analytics.Response{Time: t, DecisionID: r.Decision, Customer: c.id,
		Stack: stack, Journey: journey, Action: analytics.TreatmentName(name, r.Treatment), Channel: r.Channel, Outcome: r.Outcome}})
}

// outcomeFact records what became of a delivery at the time its action
// fell due, so that the hour that counts a decision counts its delivery; a
// cancelled one was never attempted and is not counted.
func (w *work) outcomeFact(c *customer, o *DeliveryOutcome, t time.Time) {
	stack, journey, name, ok := splitRef(o.Action)
	if !ok {
		return
	}
	switch o.Outcome {
	case analytics.Delivered, analytics.Bounced, analytics.Failed:
	default:
		return
	}
	at := t
	if !o.Due.IsZero() {
		at = o.Due
	}
	w.sh.fact(t, analytics.Record{Delivery: &analytics.Delivery{Time: at, Customer: c.id, Stack: stack, Journey: journey,
		Action: analytics.TreatmentName(name, o.Treatment), Channel: o.Channel, Outcome: o.Outcome, Variant: o.Variant}})
}

// decisionRecords returns a decision's chosen actions as analytics
// records, each on its channel: a treatment's, for an action with
// treatments, so that an action's figures come per treatment's channel.
func decisionRecords(d *decide.Decision) []analytics.Record {
	out := make([]analytics.Record, 0, d.Chosen)
	for _, cd := range d.ChosenActions() {
		a := cd.Action
		out = append(out, analytics.Record{Decision: &analytics.Decision{Time: d.Time, DecisionID: d.ID, Customer: d.Customer,
			Stack: a.Stack.Name, Journey: a.Journey.Name, Action: analytics.TreatmentName(a.Name, a.Treatment), Channel: a.Channel.Name, Explore: cd.Explore}})
	}
	// The experiments' assignments: the chosen and the held out. A
	// customer's first one counts; the others are the same variant.
	for _, cd := range d.Assignments() {
		a := cd.Action
		out = append(out, analytics.Record{Assignment: &analytics.Assignment{Time: d.Time, Customer: d.Customer,
			Stack: a.Stack.Name, Journey: a.Journey.Name, Action: a.Name, Experiment: a.Experiment.Name, Variant: cd.Variant.Name}})
	}
	return out
}

// DecisionFacts returns the facts of a decision made for a request, to
// store with its record (decisions made when actions fall due have theirs
// committed by the engine).
func DecisionFacts(d *decide.Decision) []store.Fact {
	if d.Trigger {
		return nil
	}
	rs := decisionRecords(d)
	out := make([]store.Fact, 0, len(rs))
	for _, r := range rs {
		if b, err := r.MarshalBinary(); err == nil {
			out = append(out, store.Fact{Partition: store.PartitionOf(d.Customer), Data: b})
		}
	}
	return out
}
