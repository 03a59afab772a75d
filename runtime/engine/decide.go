package engine

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/expr"
)

// DecideRequest asks for the next best actions of a customer on a channel.
type DecideRequest struct {
	// ID names the decision; a new id when empty.
	ID       string
	Customer string
	Channel  string
	Context  map[string]expr.Value
	// Limit is the most actions wanted; 0 for the arbitration's most.
	Limit int
}

// Decide runs the decision pipeline for a customer as the engine holds
// them now, at the engine's clock: from memory where this replica holds
// their partition and has them, else as last committed. A customer the
// engine has not seen is in no journey and gets no action. The customer's
// shard is locked only while their state is copied.
func (e *Engine) Decide(ctx context.Context, req DecideRequest) (*decide.Decision, error) {
	cat := e.cat.Load()
	now := e.Now()
	var sub decide.Subject
	err := e.withCustomer(ctx, req.Customer, func(c *customer) {
		if c != nil {
			sub = cat.subject(c, now)
			return
		}
		rec := cat.customer.NewRecord()
		rec[0] = expr.String(req.Customer)
		sub = decide.Subject{ID: req.Customer, Customer: rec}
	})
	if err != nil {
		return nil, err
	}
	rng := e.rngs.Get().(*rand.Rand)
	defer e.rngs.Put(rng)
	id := req.ID
	if id == "" {
		id = decide.NewID(now, rng)
	}
	draws := rng
	if e.opts.NoExplore {
		draws = nil // a nil Rand ranks by the means
	}
	return decide.Decide(cat.dec, &sub, &decide.Request{ID: id, Channel: req.Channel, Context: req.Context, Limit: req.Limit, Now: now, Rand: draws})
}

// Decisioning returns the decisioning view of what the engine runs now.
func (e *Engine) Decisioning() *decide.Catalog { return e.cat.Load().dec }

// Render builds the delivery of an outbox item for its customer as they
// are now: the channel's per-delivery attributes evaluated, the message
// templates rendered, the non-sensitive attributes the message reads. It
// returns the provider's source. An item whose action, channel or
// customer is gone is a *delivery.CancelError; a template that cannot be
// rendered for the customer, another error.
func (e *Engine) Render(ctx context.Context, it *delivery.Item) (string, *host.Delivery, error) {
	cat := e.cat.Load()
	a := cat.dec.Action(it.Ref())
	if a != nil && (it.Treatment != "" || len(a.Treatments) > 0) {
		if a = a.TreatmentNamed(it.Treatment); a == nil {
			return "", nil, &delivery.CancelError{Reason: fmt.Sprintf("action %s no longer has treatment %q", it.Ref(), it.Treatment)}
		}
	}
	switch {
	case a == nil:
		return "", nil, &delivery.CancelError{Reason: fmt.Sprintf("action %s is no longer deployed", it.Ref())}
	case a.Channel.Name != it.Channel || !a.Channel.Delivers:
		return "", nil, &delivery.CancelError{Reason: fmt.Sprintf("action %s no longer delivers on channel %s", it.Ref(), it.Channel)}
	}
	var sub decide.Subject
	found := false
	err := e.withCustomer(ctx, it.Customer, func(c *customer) {
		if c != nil {
			sub, found = cat.subject(c, e.Now()), true
		}
	})
	if err != nil {
		return "", nil, err
	}
	if !found {
		return "", nil, &delivery.CancelError{Reason: "the customer is unknown: erased since"}
	}
	if !a.Transactional && decide.ConsentOff(&sub, a.Channel.Name) {
		return "", nil, &delivery.CancelError{Reason: fmt.Sprintf("the customer unsubscribed from channel %s since", a.Channel.Name)}
	}
	act := cat.dec.Activation(&sub, a.Stack, nil)
	d := &host.Delivery{Kind: host.KindAction, IdempotencyKey: it.Key, Channel: a.Channel.Name, Stack: it.Stack,
		Journey: it.Journey, Action: a.Name, CustomerID: it.Customer,
		CustomerAttributes: map[string]cty.Value{}, Recipient: map[string]cty.Value{}, Message: map[string]string{}}
	for name, p := range a.Channel.PerDelivery[a.Stack.Index] {
		if p == nil {
			continue
		}
		d.Recipient[name] = toCty(p.Eval(act))
	}
	msg, fields, attrs := a.Render(a.VariantNamed(it.Variant))
	for _, f := range fields {
		text, err := msg[f].Render(act)
		if err != nil {
			return "", nil, fmt.Errorf("rendering message.%s of %s: %w", f, it.Ref(), err)
		}
		d.Message[f] = text
	}
	for _, name := range attrs {
		if slot, ok := cat.customer.Slot(name); ok && slot < len(sub.Customer) {
			d.CustomerAttributes[name] = toCty(sub.Customer[slot])
		}
	}
	return a.Channel.Source, d, nil
}

func toCty(v expr.Value) cty.Value {
	switch v.Kind() {
	case expr.KindString:
		return cty.StringVal(v.AsString())
	case expr.KindNumber:
		return cty.NumberFloatVal(v.AsNumber())
	case expr.KindBool:
		return cty.BoolVal(v.AsBool())
	case expr.KindStringList:
		l := v.AsList()
		if len(l) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		vs := make([]cty.Value, len(l))
		for i, s := range l {
			vs[i] = cty.StringVal(s)
		}
		return cty.ListVal(vs)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}
