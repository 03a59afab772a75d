package apiv1

import "encoding/json"

// ErrorResponse is the body of every error answer, with the HTTP status
// that fits it.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong. Details is never null; what its
// elements are depends on Code (Problem for CodeInvalidDeployment,
// StaleSerial for CodeStaleSerial, Rejected for CodeEventsRejected).
type ErrorBody struct {
	Code    Code              `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

// Code is an error's code: what a client branches on, where the message
// is for people.
type Code string

// The error codes, by the HTTP status they are answered with.
const (
	// 400: the request is malformed or misses a field; an event batch
	// cannot be read.
	CodeBadRequest Code = "bad_request"
	CodeBadBatch   Code = "bad_batch"
	// 401: no bearer token, or not a valid one.
	CodeUnauthenticated Code = "unauthenticated"
	// 403: the token lacks the scope of the route.
	CodeForbidden Code = "forbidden"
	// 404: no such route, stack, deployment, journey, customer, decision
	// or delivery.
	CodeNotFound Code = "not_found"
	// 405.
	CodeMethodNotAllowed Code = "method_not_allowed"
	// 409: the stack changed after the plan was made (details: one
	// StaleSerial); a token of that name exists.
	CodeStaleSerial Code = "stale_serial"
	CodeExists      Code = "exists"
	// 413: the body is too large; the batch has too many events.
	CodeBodyTooLarge  Code = "body_too_large"
	CodeBatchTooLarge Code = "batch_too_large"
	// 422: understood but refused. CodeInvalidDeployment details each
	// Problem; CodeEventsRejected, answered when every event of a batch
	// was rejected, details each Rejected; CodeNotFailed refuses to retry
	// a delivery that is not dead-lettered.
	CodeInvalidDeployment   Code = "invalid_deployment"
	CodeEventsRejected      Code = "events_rejected"
	CodeInvalidTokenRequest Code = "invalid_token_request"
	CodeUnknownChannel      Code = "unknown_channel"
	CodeUnknownOutcome      Code = "unknown_outcome"
	CodeUnknownAction       Code = "unknown_action"
	CodeAmbiguousAction     Code = "ambiguous_action"
	CodeNotFailed           Code = "not_failed"
	// 429, with Retry-After: the runtime is behind; retry later.
	CodeOverloaded Code = "overloaded"
	// 500: the failure is logged, never answered.
	CodeInternal Code = "internal"
	// 503, with Retry-After.
	CodeShuttingDown Code = "shutting_down"
)

// Problem is one reason a deployment was refused: a detail of
// CodeInvalidDeployment.
type Problem struct {
	// Address is the object at fault, empty for the document itself.
	Address string `json:"address,omitempty"`
	Message string `json:"message"`
}

// StaleSerial is the detail of CodeStaleSerial.
type StaleSerial struct {
	// CurrentSerial is the stack's serial now.
	CurrentSerial int64 `json:"current_serial"`
}
