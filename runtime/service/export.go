package service

import (
	"context"
	"fmt"
	"strconv"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
)

// exportChunk is how many log records one read of an export takes.
const exportChunk = 4096

// ExportEvents returns a page of the events in the log, in log order,
// after q.After, leaving out those of customers erased later in the log:
// the whole log after the cursor is read to find the erasures.
func (s *Service) ExportEvents(ctx context.Context, q apiv1.EventsQuery) (apiv1.EventPage, error) {
	var after uint64
	if q.After != "" {
		n, err := strconv.ParseUint(q.After, 10, 64)
		if err != nil {
			return apiv1.EventPage{}, &InvalidError{fmt.Sprintf("after %q is not a cursor of this runtime's event log", q.After)}
		}
		after = n
	}
	limit := q.Limit
	if limit <= 0 || limit > apiv1.MaxEventsPage {
		limit = apiv1.MaxEventsPage
	}
	type kept struct {
		seq uint64
		ev  *events.Event
	}
	var page []kept
	erasedAt := map[string]uint64{} // the last erasure of each customer
	var next uint64
	from := make([]store.From, store.Partitions)
	pos := after
	for {
		for p := range from {
			from[p] = store.From{Partition: p, After: pos}
		}
		recs, _, err := s.st.Read(ctx, from, exportChunk)
		if err != nil {
			return apiv1.EventPage{}, err
		}
		// Events are sealed with their customer's key; an erased
		// customer's cannot be opened and are left out.
		if err := s.OpenLog(ctx, recs); err != nil {
			return apiv1.EventPage{}, err
		}
		for _, r := range recs {
			ev, erased, err := engine.DecodeLogEvent(r.Data)
			if err != nil {
				return apiv1.EventPage{}, fmt.Errorf("log record %d: %w", r.Seq, err)
			}
			switch {
			case erased != "":
				erasedAt[erased] = r.Seq
			case ev != nil && next == 0:
				if (q.Since.IsZero() || !ev.Time.Before(q.Since)) && (q.Until.IsZero() || ev.Time.Before(q.Until)) {
					page = append(page, kept{r.Seq, ev})
					if len(page) == limit {
						next = r.Seq
					}
				}
			}
		}
		if len(recs) < exportChunk || len(recs) == 0 {
			break
		}
		pos = recs[len(recs)-1].Seq
	}
	out := apiv1.EventPage{Events: make([]apiv1.RecordedEvent, 0, len(page))}
	for _, k := range page {
		if at, ok := erasedAt[k.ev.Customer]; ok && at > k.seq {
			continue
		}
		out.Events = append(out.Events, recorded(k.ev))
	}
	if next != 0 {
		out.Next = strconv.FormatUint(next, 10)
	}
	return out, nil
}

// recorded is an event in the shape that ingestion takes back.
func recorded(ev *events.Event) apiv1.RecordedEvent {
	r := apiv1.RecordedEvent{Type: ev.Type, Timestamp: ev.Time.UTC(), Attributes: fields(ev.Attributes), Traits: fields(ev.Traits)}
	if ev.Type == "" {
		r.Type, r.UserID, r.MessageID = "identify", ev.Customer, ev.ID
		r.Attributes = nil
	} else {
		r.ID, r.CustomerID = ev.ID, ev.Customer
	}
	return r
}

func fields(fs []events.Field) map[string]any {
	if len(fs) == 0 {
		return nil
	}
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		if !f.Value.IsNull() {
			m[f.Name] = f.Value.JSON()
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
