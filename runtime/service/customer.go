package service

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Customer returns a customer's profile, journeys and recent timeline, with
// sensitive attributes masked; ErrNotFound for one never seen.
func (s *Service) Customer(ctx context.Context, id string) (apiv1.Customer, error) {
	c, ok, err := s.eng.Customer(ctx, id)
	if err != nil {
		return apiv1.Customer{}, err
	}
	if !ok {
		return apiv1.Customer{}, ErrNotFound
	}
	cat := s.eng.Catalog()
	out := apiv1.Customer{ID: id, Profile: map[string]any{}, Journeys: []apiv1.JourneyState{}, Timeline: []apiv1.Transition{}, OptOuts: []apiv1.OptOut{}}
	for _, o := range c.OptOuts {
		out.OptOuts = append(out.OptOuts, apiv1.OptOut{Channel: o.Channel, Since: o.Since, Source: o.Source})
	}
	for name, a := range cat.Schema.Customer {
		v, ok := c.Profile[name]
		if !ok {
			v = a.Default
		}
		if a.Sensitive && !v.IsNull() {
			b, _ := json.Marshal(v.JSON())
			out.Profile[name] = apiv1.Withheld{Digest: s.keys.hmac(b), Sensitive: true}
			continue
		}
		out.Profile[name] = v.JSON()
	}
	if !c.LastEvent.IsZero() {
		t := c.LastEvent
		out.LastEvent = &t
	}
	out.Journeys = append(out.Journeys, journeyStates(c)...)
	for _, t := range c.Timeline {
		out.Timeline = append(out.Timeline, apiv1.Transition{Time: t.Time, Stack: t.Stack, Journey: t.Journey, Run: t.Run, From: t.From, To: t.To, Reason: t.Reason, Late: t.Late})
	}
	sort.SliceStable(out.Timeline, func(i, j int) bool { return out.Timeline[i].Time.Before(out.Timeline[j].Time) })
	ds, err := s.customerDecisions(ctx, id)
	if err != nil {
		return apiv1.Customer{}, err
	}
	out.Decisions = ds
	return out, nil
}

// Journeys returns a customer's state in each journey, as Customer does,
// without the rest of the customer; ErrNotFound for one never seen.
func (s *Service) Journeys(ctx context.Context, id string) ([]apiv1.JourneyState, error) {
	c, ok, err := s.eng.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return journeyStates(c), nil
}

// EachRun calls f with the stack, journey, state and stage of each of a
// customer's runs, as Journeys has them but in no order and without the
// rest, for a caller that reads many customers (the simulator);
// ErrNotFound for one never seen. f must not call the service.
func (s *Service) EachRun(ctx context.Context, id string, f func(stack, journey, state, stage string)) error {
	ok, err := s.eng.EachRun(ctx, id, f)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// EachCustomer calls f with the id of every customer the runtime keeps,
// in order of partition then id, for a caller that reads them all (the
// simulator). f may call the service.
func (s *Service) EachCustomer(ctx context.Context, f func(id string) error) error {
	for p := 0; p < store.Partitions; p++ {
		if s.cfg.Ephemeral {
			// The engine keeps them, and the store none.
			for _, id := range s.eng.CustomerIDs(p) {
				if err := f(id); err != nil {
					return err
				}
			}
			continue
		}
		after := ""
		for {
			cs, err := s.st.Customers(ctx, p, after, 1000)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if err := f(c.ID); err != nil {
					return err
				}
			}
			if len(cs) < 1000 {
				break
			}
			after = cs[len(cs)-1].ID
		}
	}
	return nil
}

func journeyStates(c engine.Customer) []apiv1.JourneyState {
	out := make([]apiv1.JourneyState, 0, len(c.Runs))
	for _, r := range c.Runs {
		js := apiv1.JourneyState{Stack: r.Stack, Journey: r.Journey, State: r.Status, Run: r.N, Entered: r.Entered}
		if r.Status == engine.StatusActive {
			js.Stage = r.Stage
			t := r.StageEntered
			js.StageEntered = &t
		} else {
			t := r.Left
			js.Left = &t
		}
		for _, t := range r.Timers {
			js.Timers = append(js.Timers, apiv1.Timer{Kind: t.Kind, Due: t.Due})
		}
		out = append(out, js)
	}
	return out
}

// Erase erases a customer everywhere the runtime keeps them, at its place
// in the log, and waits until it is done: profile, journeys, timers,
// contacts, decision records, outbox entries, and their contributions to
// the adaptive models (the responses counted with their state). Their
// events stay in the log, sealed with a key of theirs that erasure
// destroys, so they can no longer be read (crypto-shredding). The audit log records that
// it happened and who did it, not whom or what.
func (s *Service) Erase(ctx context.Context, id, who string) error {
	_, ok, err := s.eng.Customer(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		// Decide may have recorded decisions for a customer no event named.
		ds, err := s.st.CustomerDecisions(ctx, id, 1)
		if err != nil {
			return err
		}
		if len(ds) == 0 && len(s.rec.Pending(id)) == 0 {
			return ErrNotFound
		}
	}
	// Records not yet written are dropped, and new ones refused, until the
	// erasure has deleted what the store holds.
	done := s.rec.Forget(id)
	defer done()
	seqs, err := s.st.Append(ctx, []store.LogRecord{{Partition: store.PartitionOf(id), Arrival: s.now().UTC(), Data: engine.EncodeErase(id)}})
	if err != nil {
		return err
	}
	s.log.Info("audit: a customer was erased", "by", who)
	s.eng.Notify()
	if err := s.eng.WaitProcessed(ctx, seqs[0]); err != nil {
		return err
	}
	// Every event of theirs before the erasure is processed: destroying
	// their key makes those left in the log unreadable.
	if err := s.shred.destroy(ctx, id); err != nil {
		return err
	}
	// Analytics forgets the customer's runs in flight when it applies
	// the erasure's fact, after every fact of theirs before it, on
	// whichever replica feeds it; its aggregates hold no ids.
	return nil
}
