package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/events"
)

// MaxContextBytes bounds the JSON text of a decide request's context: the
// largest value the runtime's expressions are costed for
// (lang/rtexpr/cost.MaxValueBytes), as an event is.
const MaxContextBytes = cost.MaxValueBytes

// requestError is a request body that is not what the route takes; its
// message says why, without quoting ids or values.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{fmt.Sprintf(format, args...)}
}

// parseJSON reads body into v, refusing unknown fields and text after the
// value.
func parseJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the request body is not valid JSON for this request: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err == nil {
		return badRequest("the request body holds more than one JSON value")
	}
	return nil
}

// checkID checks an id of a request as the runtime checks every id
// (events.CheckID); what names the field.
func checkID(what, id string) error {
	if err := events.CheckID(id); err != nil {
		return badRequest("%s %s", what, err)
	}
	return nil
}

// parseDecide reads the body of POST /v1/decide.
func parseDecide(body []byte) (apiv1.DecideRequest, error) {
	var in struct {
		apiv1.DecideRequest
		// Context is read once its size is checked.
		Context json.RawMessage `json:"context,omitempty"`
	}
	if err := parseJSON(body, &in); err != nil {
		return apiv1.DecideRequest{}, err
	}
	req := in.DecideRequest
	if err := checkID(`"customer_id"`, req.CustomerID); err != nil {
		return req, err
	}
	if len(req.Channel) > events.MaxIDLen {
		return req, badRequest(`"channel" is %d bytes long; at most %d are allowed`, len(req.Channel), events.MaxIDLen)
	}
	if len(in.Context) > MaxContextBytes {
		return req, badRequest(`"context" is %d bytes of JSON; at most %d are allowed`, len(in.Context), MaxContextBytes)
	}
	if len(in.Context) > 0 && string(in.Context) != "null" {
		if err := json.Unmarshal(in.Context, &req.Context); err != nil {
			return req, badRequest(`"context" must be a JSON object`)
		}
	}
	if len(req.Context) == 0 {
		req.Context = nil // no context, however sent
	}
	return req, nil
}

// parseResponse reads the body of POST /v1/responses.
func parseResponse(body []byte) (apiv1.ResponseRequest, error) {
	var req apiv1.ResponseRequest
	if err := parseJSON(body, &req); err != nil {
		return req, err
	}
	if err := checkID(`"decision_id"`, req.DecisionID); err != nil {
		return req, err
	}
	if err := checkID(`"action"`, req.Action); err != nil {
		return req, err
	}
	if len(req.Outcome) > events.MaxIDLen {
		return req, badRequest(`"outcome" is %d bytes long; at most %d are allowed`, len(req.Outcome), events.MaxIDLen)
	}
	return req, nil
}

// pathID returns the id in the path, or answers 400 when it is not one
// the runtime takes.
func pathID(w http.ResponseWriter, r *http.Request, what string) (string, bool) {
	id := r.PathValue("id")
	if err := checkID("the "+what+" id", id); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return "", false
	}
	return id, true
}

// answerBadRequest answers err, a requestError, as 400; false when err is
// something else.
func answerBadRequest(w http.ResponseWriter, err error) bool {
	var re *requestError
	if !errors.As(err, &re) {
		return false
	}
	writeError(w, http.StatusBadRequest, "bad_request", re.msg)
	return true
}
