package service

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Customer is a customer as the API shows it.
type Customer struct {
	ID string `json:"id"`
	// Profile holds each attribute's value; sensitive ones as
	// {"sensitive": true, "digest": "<HMAC>"}.
	Profile   map[string]any `json:"profile"`
	LastEvent *time.Time     `json:"last_event,omitempty"`
	Journeys  []JourneyState `json:"journeys"`
	Timeline  []Transition   `json:"timeline"`
	// Decisions are the most recent decisions, newest first.
	Decisions []DecisionSummary `json:"decisions"`
}

// JourneyState is a customer's state in one journey.
type JourneyState struct {
	Stack   string `json:"stack"`
	Journey string `json:"journey"`
	// State is active, completed, exited, expired, timed_out or removed.
	State        string       `json:"state"`
	Stage        string       `json:"stage,omitempty"`
	Run          uint64       `json:"run"`
	Entered      time.Time    `json:"entered"`
	StageEntered *time.Time   `json:"stage_entered,omitempty"`
	Left         *time.Time   `json:"left,omitempty"`
	Timers       []TimerState `json:"timers,omitempty"`
}

// TimerState is a pending timer.
type TimerState struct {
	Kind string    `json:"kind"`
	Due  time.Time `json:"due"`
}

// Transition is one entry of a customer's timeline.
type Transition struct {
	Time    time.Time `json:"time"`
	Stack   string    `json:"stack"`
	Journey string    `json:"journey"`
	Run     uint64    `json:"run"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Reason  string    `json:"reason"`
	Late    bool      `json:"late,omitempty"`
}

// Customer returns a customer's profile, journeys and recent timeline, with
// sensitive attributes masked; ErrNotFound for one never seen.
func (s *Service) Customer(ctx context.Context, id string) (Customer, error) {
	c, ok, err := s.eng.Customer(ctx, id)
	if err != nil {
		return Customer{}, err
	}
	if !ok {
		return Customer{}, ErrNotFound
	}
	cat := s.eng.Catalog()
	out := Customer{ID: id, Profile: map[string]any{}, Journeys: []JourneyState{}, Timeline: []Transition{}}
	for name, a := range cat.Schema.Customer {
		v, ok := c.Profile[name]
		if !ok {
			v = a.Default
		}
		if a.Sensitive && !v.IsNull() {
			b, _ := json.Marshal(v.JSON())
			out.Profile[name] = map[string]any{"sensitive": true, "digest": s.keys.hmac(b)}
			continue
		}
		out.Profile[name] = v.JSON()
	}
	if !c.LastEvent.IsZero() {
		t := c.LastEvent
		out.LastEvent = &t
	}
	for _, r := range c.Runs {
		js := JourneyState{Stack: r.Stack, Journey: r.Journey, State: r.Status, Run: r.N, Entered: r.Entered}
		if r.Status == engine.StatusActive {
			js.Stage = r.Stage
			t := r.StageEntered
			js.StageEntered = &t
		} else {
			t := r.Left
			js.Left = &t
		}
		for _, t := range r.Timers {
			js.Timers = append(js.Timers, TimerState{t.Kind, t.Due})
		}
		out.Journeys = append(out.Journeys, js)
	}
	for _, t := range c.Timeline {
		out.Timeline = append(out.Timeline, Transition{t.Time, t.Stack, t.Journey, t.Run, t.From, t.To, t.Reason, t.Late})
	}
	sort.SliceStable(out.Timeline, func(i, j int) bool { return out.Timeline[i].Time.Before(out.Timeline[j].Time) })
	ds, err := s.customerDecisions(ctx, id)
	if err != nil {
		return Customer{}, err
	}
	out.Decisions = ds
	return out, nil
}

// Erase erases a customer everywhere the runtime keeps them, at its place
// in the log, and waits until it is done: profile, journeys, timers,
// contacts, decision records, outbox entries, and their contributions to
// the adaptive models (the responses counted with their state). Their
// events stay in the log until it is trimmed. The audit log records that
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
	s.an.analytics().Erase(id) // the customer's runs in flight; aggregates hold no ids
	return nil
}
