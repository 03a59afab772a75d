package engine

import (
	"errors"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
	"github.com/waymarkhq/waymark/runtime/models"
)

// Response outcomes.
const (
	OutcomeImpression   = "impression"
	OutcomeAccepted     = "accepted"
	OutcomeClicked      = "clicked"
	OutcomeConverted    = "converted"
	OutcomeRejected     = "rejected"
	OutcomeIgnored      = "ignored"
	OutcomeUnsubscribed = "unsubscribed"
)

// Outcomes lists the response outcomes.
var Outcomes = []string{OutcomeImpression, OutcomeAccepted, OutcomeClicked, OutcomeConverted, OutcomeRejected, OutcomeIgnored, OutcomeUnsubscribed}

// Label reports whether an outcome trains the models and how: accepted,
// clicked and converted are positive; rejected, ignored and unsubscribed
// negative; an impression only counts as a contact.
func Label(outcome string) (positive, labelled bool) {
	switch outcome {
	case OutcomeAccepted, OutcomeClicked, OutcomeConverted:
		return true, true
	case OutcomeRejected, OutcomeIgnored, OutcomeUnsubscribed:
		return false, true
	}
	return false, false
}

// Response is a customer's response to an action a decision chose, as
// POST /v1/responses records it in the log.
type Response struct {
	Customer string
	Decision string
	Action   string // ref: <stack>/<address>
	Channel  string
	Outcome  string
	// Control is set when the decision was made for the control group.
	Control bool
	// Treatment names the action's treatment the decision chose, "" for
	// an action without treatments.
	Treatment string
	// Context is the decision's request context, as its record keeps it:
	// the model learns the response in it.
	Context map[string]expr.Value
}

// EncodeResponse returns the log payload of a response.
func EncodeResponse(r Response) []byte {
	b := []byte{tagResponse}
	for _, s := range []string{r.Customer, r.Decision, r.Action, r.Channel, r.Outcome} {
		b = wire.AppendString(b, s)
	}
	b = putBool(b, r.Control)
	// Then, each optional and in this order: the treatment (written, if
	// empty, when a context follows) and the context.
	if r.Treatment != "" || len(r.Context) > 0 {
		b = wire.AppendString(b, r.Treatment)
	}
	if len(r.Context) > 0 {
		b = decide.AppendContext(b, r.Context)
	}
	return b
}

func decodeResponse(b []byte) (*Response, error) {
	d := &wire.Reader{B: b}
	r := &Response{Customer: d.String(), Decision: d.String(), Action: d.Intern(), Channel: d.Intern(), Outcome: d.Intern()}
	r.Control = d.Byte() == 1
	if !d.Err && len(d.B) > 0 { // records before treatments have none
		r.Treatment = d.Intern()
	}
	if !d.Err && len(d.B) > 0 { // records before the context was kept have none
		r.Context = decide.ReadContext(d)
	}
	if d.Err || len(d.B) != 0 || r.Customer == "" {
		return nil, errors.New("corrupt response record")
	}
	return r, nil
}

// DeliveryOutcome is what became of a delivery of the outbox: delivered
// (a contact), failed, cancelled or bounced (no contact after all).
type DeliveryOutcome struct {
	Customer string
	Key      string
	Action   string // ref
	Channel  string
	Outcome  string
	// Due is when the action fell due: analytics counts the outcome in
	// that hour, beside the decision that chose it. Zero: when processed.
	Due time.Time
	// Variant is the delivery's variant of the action's experiment, ""
	// for none.
	Variant string
	// Treatment names the action's treatment delivered, "" for none.
	Treatment string
}

// EncodeDeliveryOutcome returns the log payload of a delivery's outcome.
func EncodeDeliveryOutcome(o DeliveryOutcome) []byte {
	b := []byte{tagOutcome}
	for _, s := range []string{o.Customer, o.Key, o.Action, o.Channel, o.Outcome} {
		b = wire.AppendString(b, s)
	}
	if !o.Due.IsZero() || o.Variant != "" || o.Treatment != "" {
		b = wire.AppendTime(b, o.Due)
	}
	if o.Variant != "" || o.Treatment != "" {
		b = wire.AppendString(b, o.Variant)
	}
	if o.Treatment != "" {
		b = wire.AppendString(b, o.Treatment)
	}
	return b
}

func decodeOutcome(b []byte) (*DeliveryOutcome, error) {
	d := &wire.Reader{B: b}
	o := &DeliveryOutcome{Customer: d.String(), Key: d.String(), Action: d.Intern(), Channel: d.Intern(), Outcome: d.Intern()}
	if !d.Err && len(d.B) > 0 { // records written before Due was added have none
		o.Due = d.Time()
	}
	if !d.Err && len(d.B) > 0 { // nor those before Variant was
		o.Variant = d.Intern()
	}
	if !d.Err && len(d.B) > 0 { // nor a treatment, as those of actions without
		o.Treatment = d.Intern()
	}
	if d.Err || len(d.B) != 0 || o.Customer == "" {
		return nil, errors.New("corrupt delivery outcome record")
	}
	return o, nil
}

// response applies a response at t: unsubscribed turns the channel's
// consent off for the customer (consent.go); an impression on an inbound
// channel is a contact; ignored contacts in a row suppress the action once there
// are after_ignores of them, and any other response but an impression
// starts the count again; a labelled outcome trains the action's model,
// once per decision and action (a positive response after a negative one
// turns the negative into a positive).
func (w *work) response(c *customer, r *Response, t time.Time) {
	a := w.cat.dec.Action(r.Action)
	if a == nil {
		// A response to a decision made before its action moved is the
		// moved action's: its model learns it, not the old address's.
		if to, ok := w.cat.movedAction(r.Action); ok {
			moved := *r
			moved.Action, r = to, &moved
			a = w.cat.dec.Action(r.Action)
		}
	}
	if r.Outcome == OutcomeUnsubscribed && r.Channel != "" {
		c.setConsent(r.Channel, false, t, OptOutResponse)
	}
	if ch := w.cat.dec.Channels[r.Channel]; r.Outcome == OutcomeImpression && ch != nil && !ch.Delivers {
		c.addContact(contact{at: t, channel: r.Channel, action: r.Action}, w.cat.contactAge())
	}
	if r.Outcome != OutcomeImpression && a != nil && a.Suppress != nil {
		ig := c.ignoresOf(r.Action)
		if r.Outcome == OutcomeIgnored {
			ig.n++
			if ig.n >= a.Suppress.AfterIgnores {
				ig.n, ig.until = 0, t.Add(a.Suppress.For)
			}
		} else {
			ig.n = 0
		}
		c.pruneIgnores(t)
		c.dirty = true
	}
	positive, labelled := Label(r.Outcome)
	if !labelled {
		return
	}
	key := decide.ModelKey(r.Action, r.Channel)
	if r.Treatment != "" {
		key = decide.TreatmentModelKey(r.Action, r.Treatment)
	}
	for i := range c.labels {
		l := &c.labels[i]
		if l.decision != r.Decision || l.action != r.Action {
			continue
		}
		if positive && !l.positive {
			l.positive = true
			w.observe(c, key, r.Context, false, r.Control, -1, t)
			w.observe(c, key, r.Context, true, r.Control, 1, t)
		}
		return
	}
	c.labels = append(c.labels, label{decision: r.Decision, action: r.Action, positive: positive})
	if n := len(c.labels) - maxLabels; n > 0 {
		c.labels = append(c.labels[:0], c.labels[n:]...)
	}
	w.observe(c, key, r.Context, positive, r.Control, 1, t)
}

// movedAction is where the moved blocks of its stack's deployment took
// the action ref (<stack>/<address>), if they moved it.
func (c *compiled) movedAction(ref string) (string, bool) {
	stack, _, ok := strings.Cut(ref, "/")
	cs := c.byName[stack]
	if !ok || cs == nil || len(cs.st.Moves) == 0 {
		return "", false
	}
	to, ok := movedModel(stack, cs.st.Moves)(ref + "@")
	return strings.TrimSuffix(to, "@"), ok
}

// observe trains a model and counts the customer's contribution to it.
// The customer is described as they are when they respond (attributes and
// stages), in the context of the decision they respond to (ctx).
func (w *work) observe(c *customer, key string, ctx map[string]expr.Value, positive, control bool, weight int, t time.Time) {
	o := models.Observation{Positive: positive, Control: control, Weight: weight, At: t}
	if m := w.models.Get(key); m.UsesFeatures() {
		sub := w.cat.subject(c, t)
		o.X = decide.Features(w.cat.dec, &sub, ctx)
	}
	w.models.Learn(w.sh.p, key, o)
	c.dirty = true
	var m *contribution
	for i := range c.contrib {
		if c.contrib[i].model == key {
			m = &c.contrib[i]
		}
	}
	if m == nil {
		c.contrib = append(c.contrib, contribution{model: key})
		m = &c.contrib[len(c.contrib)-1]
	}
	switch {
	case positive && control:
		m.cpos += weight
	case positive:
		m.pos += weight
	case control:
		m.cneg += weight
	default:
		m.neg += weight
	}
}

func (c *customer) ignoresOf(ref string) *ignores {
	for i := range c.ignores {
		if c.ignores[i].action == ref {
			return &c.ignores[i]
		}
	}
	c.ignores = append(c.ignores, ignores{action: ref})
	return &c.ignores[len(c.ignores)-1]
}

// pruneIgnores forgets counts at zero whose suppression is over.
func (c *customer) pruneIgnores(now time.Time) {
	kept := c.ignores[:0]
	for _, ig := range c.ignores {
		if ig.n > 0 || now.Before(ig.until) {
			kept = append(kept, ig)
		}
	}
	c.ignores = kept
}

// outcome applies what became of a delivery at t: delivered confirms its
// contact (made pending when the action was chosen), failed, cancelled
// and bounced take it back.
func (w *work) outcome(c *customer, o *DeliveryOutcome, t time.Time) {
	k := keyHash(o.Key)
	for i := range c.contacts {
		ct := &c.contacts[i]
		if ct.key != k {
			continue
		}
		if o.Outcome == delivery.OutcomeDelivered {
			ct.at, ct.pending = t, false
		} else {
			c.contacts = append(c.contacts[:i], c.contacts[i+1:]...)
		}
		c.dirty = true
		return
	}
	if o.Outcome == delivery.OutcomeDelivered {
		c.addContact(contact{at: t, channel: o.Channel, action: o.Action, key: k}, w.cat.contactAge())
	}
}

// forget takes the customer's contributions out of the models: the
// responses they gave, as counted with their state, exactly from the
// counts; from the weights of a model with predictors as the customer is
// described now (cat, when not nil), one response at a time, which undoes
// what they taught it up to how they changed since (docs/models.md).
func (c *customer) forget(partition int, reg *models.Registry, cat *compiled, now time.Time) {
	var x models.Features
	described := false
	for _, m := range c.contrib {
		o := models.Observation{}
		if cat != nil && reg.Get(m.model).UsesFeatures() {
			if !described {
				sub := cat.subject(c, now)
				x, described = decide.Features(cat.dec, &sub, nil), true
			}
			o.X = x
		}
		for _, k := range []struct {
			n                 int
			positive, control bool
		}{{m.pos, true, false}, {m.neg, false, false}, {m.cpos, true, true}, {m.cneg, false, true}} {
			o.Positive, o.Control = k.positive, k.control
			if o.X == nil {
				if k.n != 0 {
					o.Weight = -k.n
					reg.Learn(partition, m.model, o)
				}
				continue
			}
			o.Weight = -1
			for i := 0; i < k.n; i++ {
				reg.Learn(partition, m.model, o)
			}
		}
	}
	c.contrib = nil
}
