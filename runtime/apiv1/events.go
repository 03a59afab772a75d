package apiv1

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
