package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
)

// OverloadedError refuses a batch because the runtime is behind; the
// client should retry after a while.
type OverloadedError struct{ Msg string }

func (e *OverloadedError) Error() string { return e.Msg }

// IngestResult says what became of each event of a batch.
type IngestResult struct {
	// Accepted counts events made durable now.
	Accepted int `json:"accepted"`
	// Duplicates counts events whose id was seen within the window; they
	// were made durable before and are not processed again.
	Duplicates int `json:"duplicates"`
	// Rejected lists each refused event with its reason.
	Rejected []Rejected `json:"rejected"`
	// Dropped counts undeclared attributes and traits that were dropped.
	Dropped int `json:"dropped"`
}

// Rejected is one refused event.
type Rejected struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Ingest decodes a batch, checks every event against the deployed event
// types, and makes the good ones durable before it returns. A batch that
// cannot be read is an *events.BatchError; a runtime too far behind answers
// *OverloadedError and takes nothing.
func (s *Service) Ingest(ctx context.Context, body []byte, lim events.Limits) (IngestResult, error) {
	select {
	case s.ingest <- struct{}{}:
		defer func() { <-s.ingest }()
	default:
		s.m.overloaded.Inc()
		return IngestResult{}, &OverloadedError{"too many batches are being ingested at once"}
	}
	raws, err := events.Decode(body, lim)
	if err != nil {
		return IngestResult{}, err
	}
	if b := s.backlog(); b+uint64(len(raws)) > uint64(s.cfg.MaxBacklog) {
		s.m.overloaded.Inc()
		return IngestResult{}, &OverloadedError{fmt.Sprintf("the runtime has %d events waiting to be processed", b)}
	}
	arrival := s.now().UTC()
	dropped := events.Dropped{}
	cat := s.cat.Load()
	var schema *events.Schema
	if len(cat.Stacks) > 0 {
		schema = cat.Schema
	}
	res := events.Validate(raws, schema, arrival, dropped)
	out := IngestResult{Rejected: []Rejected{}}
	recs := make([]store.LogRecord, 0, len(res))
	for i := range res {
		r := &res[i]
		if r.Rejected != nil {
			out.Rejected = append(out.Rejected, Rejected{Index: r.Index, ID: r.ID, Code: string(r.Rejected.Code), Reason: r.Rejected.Reason})
			s.m.rejected.WithLabelValues(string(r.Rejected.Code)).Inc()
			continue
		}
		recs = append(recs, store.LogRecord{Partition: store.PartitionOf(r.Event.Customer), ID: r.Event.ID, Arrival: arrival, Time: r.Event.Time, Data: engine.EncodeEvent(&r.Event)})
	}
	for k, n := range dropped {
		s.m.dropped.WithLabelValues(k.Type, k.Name).Add(float64(n))
		out.Dropped += n
	}
	if len(recs) == 0 {
		return out, nil
	}
	seqs, err := s.st.Append(ctx, recs)
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return IngestResult{}, &OverloadedError{"the runtime is shutting down"}
		}
		return IngestResult{}, err
	}
	for _, seq := range seqs {
		if seq == 0 {
			out.Duplicates++
		} else {
			out.Accepted++
		}
	}
	s.m.ingested.Add(float64(out.Accepted))
	s.m.duplicates.Add(float64(out.Duplicates))
	s.eng.Notify()
	return out, nil
}
