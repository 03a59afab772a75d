package service

import (
	"context"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/store"
)

// appendEvents appends a batch's event records to the log. On the event
// clock, while a KPI alert with an action is deployed, it stops at every
// hour boundary of event time the batch crosses: it moves the clock to
// the boundary, waits until the engine has processed everything before it
// and analytics has evaluated the alerts there, whose actions are then in
// the log, and only then appends the events after it. So the customers an
// alert acts on are met in the state they were in at the alert's time,
// before any later event of theirs, however the events were batched: a
// replay acts as the same stream always does. It returns the sequence
// number of each record of recs, as Append does.
func (s *Service) appendEvents(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if cat := s.cat.Load(); !s.cfg.EventClock || cat == nil || !cat.AlertActions {
		return s.st.Append(ctx, recs)
	}
	s.alertGate.Lock()
	defer s.alertGate.Unlock()
	head, err := s.st.Head(ctx)
	if err != nil {
		return nil, err
	}
	clock := head.Clock
	seqs := make([]uint64, 0, len(recs))
	for len(recs) > 0 {
		// The records up to the first past the next boundary.
		n := 0
		var h time.Time
		for ; n < len(recs); n++ {
			if t := recs[n].Time; !clock.IsZero() && t.Truncate(time.Hour).After(clock.Truncate(time.Hour)) {
				h = t.Truncate(time.Hour)
				break
			}
			if recs[n].Time.After(clock) {
				clock = recs[n].Time
			}
		}
		if n > 0 {
			got, err := s.st.Append(ctx, recs[:n])
			if err != nil {
				return nil, err
			}
			seqs = append(seqs, got...)
			recs = recs[n:]
		}
		if h.IsZero() {
			break
		}
		if _, err := s.st.Append(ctx, []store.LogRecord{engine.ClockRecord(h, s.now().UTC())}); err != nil {
			return nil, err
		}
		s.eng.Notify()
		if err := s.SyncAll(ctx); err != nil {
			return nil, fmt.Errorf("evaluating the KPI alerts at %s: %w", h.Format(time.RFC3339), err)
		}
		clock = h
	}
	return seqs, nil
}
