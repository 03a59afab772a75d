package apiv1

import (
	"net/url"
	"strconv"
	"time"
)

// The body of POST RouteEvents is a batch of events, a JSON array or JSON
// Lines (Content-Type application/x-ndjson), as the spec's Events section
// describes; it is answered with an IngestResult, or CodeEventsRejected
// when every event was rejected.

// IngestResult says what became of each event of a batch.
type IngestResult struct {
	// Accepted counts events made durable now.
	Accepted int `json:"accepted"`
	// Duplicates counts events whose id was seen within the window; they
	// were made durable before and are not processed again.
	Duplicates int `json:"duplicates"`
	// Rejected lists each refused event with its reason; never null.
	Rejected []Rejected `json:"rejected"`
	// Dropped counts undeclared attributes and traits that were dropped.
	Dropped int `json:"dropped"`
}

// Rejected is one refused event, by its index in the batch.
type Rejected struct {
	Index  int        `json:"index"`
	ID     string     `json:"id,omitempty"`
	Code   RejectCode `json:"code"`
	Reason string     `json:"reason"`
}

// RejectCode says why an event was rejected.
type RejectCode string

// The rejection codes.
const (
	RejectMalformed     RejectCode = "malformed"
	RejectTooLarge      RejectCode = "too_large"
	RejectUnknownType   RejectCode = "unknown_type"
	RejectWrongType     RejectCode = "wrong_type"
	RejectMissing       RejectCode = "missing_required"
	RejectNoCustomer    RejectCode = "no_customer_id"
	RejectBadTimestamp  RejectCode = "bad_timestamp"
	RejectFutureTime    RejectCode = "timestamp_in_future"
	RejectFieldTooLong  RejectCode = "field_too_long"
	RejectNoEventSchema RejectCode = "nothing_deployed"
)

// Status answers POST RouteSync (StatusProcessed, once every event
// accepted before the request is processed and analytics is fed), GET
// RouteHealthz (StatusOK) and GET RouteReadyz (StatusReady, or
// StatusCatchingUp with 503).
type Status struct {
	Status string `json:"status"`
}

// The values of Status.
const (
	StatusProcessed  = "processed"
	StatusOK         = "ok"
	StatusReady      = "ready"
	StatusCatchingUp = "catching_up"
)

// GET RouteEvents (EventsPath) reads back the events the runtime
// recorded, in the order of its log, a page at a time: EventPage.Next is
// the After of the next page, empty after the last. The events of a
// customer erased later in the log are left out. Each event is in a shape
// POST RouteEvents takes, so that a page, written as JSON Lines, can be
// sent again.

// EventsQuery chooses a page of GET RouteEvents: the events after the
// cursor After (from the start when empty), at most Limit of them (the
// runtime's page size when 0), whose timestamps are at or after Since
// and before Until (unbounded when zero).
type EventsQuery struct {
	After        string
	Limit        int
	Since, Until time.Time
}

// The query parameters of GET RouteEvents.
const (
	QueryAfter = "after"
	QueryLimit = "limit"
	QuerySince = "since"
	QueryUntil = "until"
)

// MaxEventsPage is the most events one page holds, and the page size
// when the query asks for none.
const MaxEventsPage = 10000

// EventsPath is RouteEvents with the query of q.
func EventsPath(q EventsQuery) string {
	if v := q.Values(); len(v) > 0 {
		return RouteEvents + "?" + v.Encode()
	}
	return RouteEvents
}

// Values is q as query parameters.
func (q EventsQuery) Values() url.Values {
	v := url.Values{}
	if q.After != "" {
		v.Set(QueryAfter, q.After)
	}
	if q.Limit > 0 {
		v.Set(QueryLimit, strconv.Itoa(q.Limit))
	}
	if !q.Since.IsZero() {
		v.Set(QuerySince, q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set(QueryUntil, q.Until.UTC().Format(time.RFC3339Nano))
	}
	return v
}

// EventPage answers GET RouteEvents.
type EventPage struct {
	// Events are in log order; never null.
	Events []RecordedEvent `json:"events"`
	// Next is the cursor of the next page; empty when this page reached
	// the end of the log.
	Next string `json:"next,omitempty"`
}

// RecordedEvent is one event as the runtime recorded it, after
// validation (undeclared attributes and traits dropped, the type's
// canonical name), in Waymark's shape; an identify (no type) is in
// Segment's identify shape, its customer as userId.
type RecordedEvent struct {
	ID         string         `json:"id,omitempty"`
	Type       string         `json:"type"`
	CustomerID string         `json:"customer_id,omitempty"`
	UserID     string         `json:"userId,omitempty"`
	MessageID  string         `json:"messageId,omitempty"`
	Timestamp  time.Time      `json:"timestamp"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Traits     map[string]any `json:"traits,omitempty"`
}
