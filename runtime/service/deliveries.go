package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// report records a delivery's outcome in the log, where the engine counts
// a delivered one as a contact and takes back the pending contact of a
// failed or cancelled one. The record's id makes a repeated report a
// duplicate.
func (s *Service) report(ctx context.Context, it *delivery.Item, outcome string) error {
	if it.Alert != nil {
		return nil // an alert is no customer's contact
	}
	_, err := s.st.Append(ctx, []store.LogRecord{{
		Partition: store.PartitionOf(it.Customer),
		ID:        "delivery\x00" + it.Key + "\x00" + outcome + "\x00" + fmt.Sprint(it.Attempts),
		Arrival:   s.now().UTC(),
		Data: engine.EncodeDeliveryOutcome(engine.DeliveryOutcome{Customer: it.Customer, Key: it.Key, Action: it.Ref(),
			Channel: it.Channel, Outcome: outcome, Due: it.Due, Variant: it.Variant, Treatment: it.Treatment}),
	}})
	if err != nil {
		return err
	}
	s.eng.Notify()
	return nil
}

// channelRate is a deployed channel's send rate, for the outbox.
func (s *Service) channelRate(channel string) delivery.Rate {
	cat := s.cat.Load()
	if cat == nil {
		return delivery.Rate{}
	}
	ch := cat.Channels[channel]
	if ch == nil || ch.Rate == nil {
		return delivery.Rate{}
	}
	per, err := funcs.ParseDuration(ch.Rate.Per)
	if err != nil {
		return delivery.Rate{}
	}
	return delivery.Rate{Max: ch.Rate.Max, Per: per}
}

func deliveryState(l delivery.Listed) apiv1.Delivery {
	d := apiv1.Delivery{ID: l.Key, State: apiv1.DeliveryState(l.State), CustomerID: l.Customer, Stack: l.Stack, Journey: l.Journey,
		Action: l.Action, Address: l.Ref(), Treatment: l.Treatment, Channel: l.Channel, DecisionID: l.Decision, Variant: l.Variant, Due: l.Due, Attempts: l.Attempts,
		LastError: l.LastError, Outcome: l.Outcome, MessageID: l.MessageID, Updated: l.Updated, RateLimited: l.RateLimited && l.State == store.DeliveryPending}
	if !l.Next.IsZero() && l.State == store.DeliveryPending {
		t := l.Next
		d.NextAttempt = &t
	}
	return d
}

// maxListed bounds one page of the outbox.
const maxListed = 1000

// Deliveries lists the outbox entries in state (pending, delivered,
// failed, cancelled), by id, from after on; at most max (1000).
func (s *Service) Deliveries(ctx context.Context, state, after string, max int) ([]apiv1.Delivery, error) {
	switch store.DeliveryState(state) {
	case store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed, store.DeliveryCancelled:
	default:
		return nil, &InvalidError{fmt.Sprintf("state %q is not one of pending, delivered, failed, cancelled", state)}
	}
	if max <= 0 || max > maxListed {
		max = maxListed
	}
	ls, err := s.outbox.List(ctx, store.DeliveryState(state), after, max)
	if err != nil {
		return nil, err
	}
	out := make([]apiv1.Delivery, len(ls))
	for i, l := range ls {
		out[i] = deliveryState(l)
	}
	return out, nil
}

// RetryDelivery replays a dead-lettered delivery; ErrNotFound for an
// unknown one, *UnprocessableError for one that is not dead-lettered.
func (s *Service) RetryDelivery(ctx context.Context, id string) (apiv1.Delivery, error) {
	it, err := s.outbox.Retry(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apiv1.Delivery{}, ErrNotFound
	case errors.Is(err, delivery.ErrNotFailed):
		return apiv1.Delivery{}, &UnprocessableError{Code: apiv1.CodeNotFailed, Msg: err.Error()}
	case err != nil:
		return apiv1.Delivery{}, err
	}
	return deliveryState(delivery.Listed{Item: *it, State: store.DeliveryPending, Updated: s.now().UTC()}), nil
}

// Models lists every adaptive model with its figures.
func (s *Service) Models() []apiv1.Model {
	es := s.models.List()
	out := make([]apiv1.Model, len(es))
	for i, e := range es {
		out[i] = modelView(e.Key, e.Stats)
	}
	return out
}

// Model returns one adaptive model by key.
func (s *Service) Model(key string) (apiv1.Model, error) {
	m := s.models.Lookup(key)
	if m == nil {
		return apiv1.Model{}, fmt.Errorf("model %q: %w", key, ErrNotFound)
	}
	return modelView(key, m.Stats()), nil
}

func modelView(key string, st models.Stats) apiv1.Model {
	m := apiv1.Model{Key: key, Kind: st.Kind, Evidence: st.Evidence, Positives: st.Positives, Mean: st.Mean,
		Exploring: st.Exploring, Control: st.Control, ControlPositives: st.ControlPositives, Lift: st.Lift,
		LiftLow: st.LiftLow, LiftHigh: st.LiftHigh, Window: st.Window, AUC: st.AUC, ECE: st.ECE,
		HalfLife: st.HalfLife, HalfLifeResponses: st.HalfLifeResponses}
	for _, d := range st.Calibration {
		m.Calibration = append(m.Calibration, apiv1.ModelDecile(d))
	}
	for _, p := range st.Predictors {
		mp := apiv1.ModelPredictor{Name: p.Name, AUC: p.AUC, Active: p.Active}
		for _, b := range p.Bins {
			mp.Bins = append(mp.Bins, apiv1.ModelBin(b))
		}
		m.Predictors = append(m.Predictors, mp)
	}
	return m
}

// ReportDelivery records what became of a delivery after its provider
// took it, as the provider (or its receiving end) reports it later:
// delivered, bounced or failed. A bounced or failed delivery no longer
// counts as a contact. ErrNotFound for an unknown delivery.
func (s *Service) ReportDelivery(ctx context.Context, id, outcome string) (apiv1.Delivery, error) {
	switch outcome {
	case delivery.OutcomeDelivered, delivery.OutcomeBounced, delivery.OutcomeFailed:
	default:
		return apiv1.Delivery{}, &UnprocessableError{Code: apiv1.CodeUnknownOutcome,
			Msg: fmt.Sprintf("outcome %q is not one of delivered, bounced, failed", outcome)}
	}
	e, err := s.st.Delivery(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return apiv1.Delivery{}, ErrNotFound
	}
	if err != nil {
		return apiv1.Delivery{}, err
	}
	it, err := delivery.Decode(e)
	if err != nil {
		return apiv1.Delivery{}, err
	}
	it.Outcome = outcome
	now := s.now().UTC()
	if err := s.report(ctx, it, outcome); err != nil {
		return apiv1.Delivery{}, err
	}
	if err := s.st.UpdateDelivery(ctx, it.Entry(e.State, now)); errors.Is(err, store.ErrNotFound) {
		return apiv1.Delivery{}, ErrNotFound
	} else if err != nil {
		return apiv1.Delivery{}, err
	}
	return deliveryState(delivery.Listed{Item: *it, State: e.State, Updated: now}), nil
}

// render builds the delivery of an outbox item: an action through the
// engine, which renders its message for the customer as they are now, or
// a KPI alert, which goes to its channel as it is deployed now.
func (s *Service) render(ctx context.Context, it *delivery.Item) (string, *host.Delivery, error) {
	if it.Alert == nil {
		source, d, err := s.eng.Render(ctx, it)
		if err == nil {
			d.UnsubscribeURL = s.unsubscribeURL(it)
		}
		return source, d, err
	}
	ch := s.eng.Decisioning().Channels[it.Channel]
	if ch == nil {
		return "", nil, &delivery.CancelError{Reason: fmt.Sprintf("channel %s of the alert of %s is no longer deployed", it.Channel, it.Alert.Address)}
	}
	return ch.Source, &host.Delivery{Kind: host.KindAlert, IdempotencyKey: it.Key, Channel: ch.Name, Stack: it.Stack,
		Journey: it.Journey, Alert: &host.Alert{KPI: it.Alert.KPI, Value: it.Alert.Value, Target: it.Alert.Target, State: it.Alert.State}}, nil
}
