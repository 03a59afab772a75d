package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
)

// OverloadedError refuses a batch because the runtime is behind; the
// client should retry after a while.
type OverloadedError struct{ Msg string }

func (e *OverloadedError) Error() string { return e.Msg }

// Ingest decodes a batch, checks every event against the deployed event
// types, and makes the good ones durable before it returns. A batch that
// cannot be read is an *events.BatchError; a runtime too far behind answers
// *OverloadedError and takes nothing.
func (s *Service) Ingest(ctx context.Context, body []byte, lim events.Limits) (apiv1.IngestResult, error) {
	if !s.admit() {
		return apiv1.IngestResult{}, &OverloadedError{"too many batches are being ingested at once"}
	}
	defer func() { <-s.ingest }()
	raws, err := events.Decode(body, lim)
	if err != nil {
		return apiv1.IngestResult{}, err
	}
	return s.ingestRaws(ctx, raws)
}

// IngestDecoded is Ingest of a batch that events.Decode has read (with
// limits the caller chose). It only reads raws: replays of the same events
// in several runtimes at once may share them.
func (s *Service) IngestDecoded(ctx context.Context, raws []events.Raw) (apiv1.IngestResult, error) {
	if !s.admit() {
		return apiv1.IngestResult{}, &OverloadedError{"too many batches are being ingested at once"}
	}
	defer func() { <-s.ingest }()
	return s.ingestRaws(ctx, raws)
}

// admit takes a place among the batches being ingested, false when there
// is none; the caller gives it back by receiving from s.ingest.
func (s *Service) admit() bool {
	select {
	case s.ingest <- struct{}{}:
		return true
	default:
		s.m.overloaded.Inc()
		return false
	}
}

// ingestRaws checks and appends a decoded batch, within a place admit
// gave.
func (s *Service) ingestRaws(ctx context.Context, raws []events.Raw) (apiv1.IngestResult, error) {
	if b := s.backlog(); b+uint64(len(raws)) > uint64(s.cfg.MaxBacklog) {
		s.m.overloaded.Inc()
		return apiv1.IngestResult{}, &OverloadedError{fmt.Sprintf("the runtime has %d events waiting to be processed", b)}
	}
	arrival := s.now().UTC()
	dropped := events.Dropped{}
	cat := s.cat.Load()
	var schema *events.Schema
	if len(cat.Stacks) > 0 {
		schema = cat.Schema
	}
	res := events.Validate(raws, schema, arrival, dropped)
	out := apiv1.IngestResult{Rejected: []apiv1.Rejected{}}
	recs := make([]store.LogRecord, 0, len(res))
	customers := make([]string, 0, len(res))
	for i := range res {
		r := &res[i]
		if r.Rejected != nil {
			out.Rejected = append(out.Rejected, apiv1.Rejected{Index: r.Index, ID: r.ID, Code: apiv1.RejectCode(r.Rejected.Code), Reason: r.Rejected.Reason})
			s.m.rejected.WithLabelValues(string(r.Rejected.Code)).Inc()
			continue
		}
		recs = append(recs, store.LogRecord{Partition: store.PartitionOf(r.Event.Customer), ID: r.Event.ID, Arrival: arrival, Time: r.Event.Time, Data: engine.EncodeEvent(&r.Event)})
		customers = append(customers, r.Event.Customer)
	}
	for k, n := range dropped {
		s.m.dropped.WithLabelValues(k.Type, droppedName(schema, k.Name)).Add(float64(n))
		out.Dropped += n
	}
	if len(recs) == 0 {
		return out, nil
	}
	if !s.cfg.Ephemeral {
		if err := s.shred.seal(ctx, recs, customers); err != nil {
			if errors.Is(err, store.ErrClosed) {
				return apiv1.IngestResult{}, &OverloadedError{"the runtime is shutting down"}
			}
			return apiv1.IngestResult{}, err
		}
	}
	seqs, err := s.appendEvents(ctx, recs)
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return apiv1.IngestResult{}, &OverloadedError{"the runtime is shutting down"}
		}
		return apiv1.IngestResult{}, err
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
