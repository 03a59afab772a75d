package simulate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/engine"
)

// Epoch is the time of the events when none of them has a timestamp.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Outcome is what one replay did.
type Outcome struct {
	// Accepted and Rejected count the events the runtime took and
	// refused (every one when nothing is deployed).
	Accepted, Rejected int
	// Journeys are the deployed journeys' figures, by name.
	Journeys map[string]*JourneyFigures
	// Deliveries count the deliveries recorded per action (its address
	// in the stack).
	Deliveries map[string]int64
	// Customers are each customer's journey states, as one text
	// ("cart_recovery=active:payment onboarding=completed"), by id.
	Customers map[string]string
}

// JourneyFigures are a journey's figures over everything it saw.
type JourneyFigures struct {
	Entered, Goal int64
	// Stages are the stages in order, with how many runs reached each.
	Stages []StageFigure
	KPIs   []KPIFigure
}

// StageFigure is how many runs reached a stage.
type StageFigure struct {
	Stage   string
	Reached int64
}

// KPIFigure is a KPI's value (nil without samples), how many samples
// it is over and its state.
type KPIFigure struct {
	Name    string
	Unit    string
	Value   *float64
	Samples int64
	State   string
}

// Clock is when the events are taken to have arrived and how far the
// replay runs the clock: events without a timestamp are at the latest
// timestamp of the input (Epoch when none has one), and the clock runs on
// for tail past it so that the timers the events set fall due.
func Clock(ev *Events, tail time.Duration) (arrival, until time.Time) {
	arrival = ev.Latest
	if arrival.IsZero() {
		arrival = Epoch
	}
	return arrival, arrival.Add(tail)
}

// Replay runs the events against doc (nil or without objects: nothing
// deployed) in a fresh Runtime, runs the clock on to until, and measures
// the outcome.
func Replay(ctx context.Context, doc *deploy.Document, ev *Events, arrival, until time.Time) (*Outcome, error) {
	rt, err := Start(ctx, Options{Now: func() time.Time { return arrival }, Deterministic: true, Ephemeral: true, NoTimeline: true})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	out := &Outcome{Journeys: map[string]*JourneyFigures{}, Deliveries: map[string]int64{}, Customers: map[string]string{}}
	deployed := doc != nil && len(doc.Objects) > 0
	if deployed {
		if err := rt.Deploy(ctx, doc); err != nil {
			return nil, fmt.Errorf("deploying to the in-memory runtime: %w", err)
		}
	}
	for i := 0; i < len(ev.Lines); i += maxBatch {
		n := min(maxBatch, len(ev.Lines)-i)
		if !deployed {
			out.Rejected += n
			continue
		}
		raws, err := ev.batch(i)
		var res apiv1.IngestResult
		if err == nil {
			res, err = rt.IngestDecoded(ctx, raws)
		}
		if err != nil {
			return nil, fmt.Errorf("replaying events %d to %d: %w", i+1, i+n, err)
		}
		out.Accepted += res.Accepted
		out.Rejected += len(res.Rejected) + res.Duplicates
		// The backlog stays bounded, and the batches' order certain.
		if err := rt.Sync(ctx); err != nil {
			return nil, err
		}
	}
	if err := rt.Advance(ctx, until); err != nil {
		return nil, err
	}
	if !deployed {
		return out, nil
	}
	svc := rt.Service()
	for _, o := range doc.Objects {
		if o.Kind != deploy.KindJourney || o.Journey == nil {
			continue
		}
		rep, err := svc.Analytics(ctx, doc.Stack, o.Journey.Name, analytics.Range{All: true})
		if err != nil {
			return nil, fmt.Errorf("journey %s: %w", o.Journey.Name, err)
		}
		f := &JourneyFigures{Entered: rep.Totals.Entries, Goal: rep.Totals.Completed}
		for _, s := range rep.Funnel {
			f.Stages = append(f.Stages, StageFigure{s.Stage, s.Reached})
		}
		for _, k := range rep.KPIs {
			f.KPIs = append(f.KPIs, KPIFigure{Name: k.Name, Unit: k.Unit, Value: k.Value, Samples: k.Samples, State: string(k.State)})
		}
		out.Journeys[o.Journey.Name] = f
	}
	ds, err := rt.Deliveries(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		out.Deliveries[strings.TrimPrefix(d.Address, doc.Stack+"/")]++
	}
	var parts []string // reused from customer to customer
	err = rt.Customers(ctx, func(id string) error {
		if id == clockCustomer {
			return nil
		}
		parts = parts[:0]
		err := svc.EachRun(ctx, id, func(stack, journey, state, stage string) {
			if stack != doc.Stack {
				return
			}
			s := journey + "=" + state
			if state == engine.StatusActive {
				s += ":" + stage
			}
			parts = append(parts, s)
		})
		if err != nil {
			return fmt.Errorf("customer %s: %w", id, err)
		}
		sort.Strings(parts)
		out.Customers[id] = strings.Join(slices.Compact(parts), " ")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
