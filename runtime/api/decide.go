package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
)

// answerError answers an error of the decision and delivery routes;
// notFound is the message of a 404.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, err error, notFound string) {
	var bad *service.InvalidError
	var unp *service.UnprocessableError
	var over *service.OverloadedError
	switch {
	case errors.Is(err, service.ErrNotFound):
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, notFound)
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, bad.Msg)
	case errors.As(err, &unp):
		writeError(w, http.StatusUnprocessableEntity, unp.Code, unp.Msg)
	case errors.As(err, &over):
		w.Header().Set("Retry-After", fmt.Sprint(s.opts.RetryAfter))
		writeError(w, http.StatusTooManyRequests, apiv1.CodeOverloaded, over.Msg)
	default:
		s.internal(w, r, err)
	}
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, _ string) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := parseDecide(body)
	if answerBadRequest(w, err) {
		return
	}
	d, err := s.svc.Decide(r.Context(), req)
	if err != nil {
		s.answerError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, _ string) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := parseResponse(body)
	if answerBadRequest(w, err) {
		return
	}
	res, err := s.svc.Respond(r.Context(), req)
	if err != nil {
		s.answerError(w, r, err, fmt.Sprintf("there is no decision %q: it was never made, or is older than the decision retention", req.DecisionID))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) getDecision(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := pathID(w, r, "decision")
	if !ok {
		return
	}
	d, err := s.svc.Decision(r.Context(), id)
	if err != nil {
		s.answerError(w, r, err, fmt.Sprintf("there is no decision %q: it was never made, or is older than the decision retention", id))
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, http.StatusOK, apiv1.ModelList{Models: s.svc.Models()})
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request, _ string) {
	key := r.PathValue("id")
	if key == "" || len(key) > 1024 {
		writeError(w, http.StatusBadRequest, "bad_request", "the model id is <stack>/<action address>@<channel>, as GET /v1/models lists them")
		return
	}
	m, err := s.svc.Model(key)
	if err != nil {
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, fmt.Sprintf("there is no model %q: GET /v1/models lists them", key))
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "failed"
	}
	max := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, "limit must be a positive number")
			return
		}
		max = n
	}
	ds, err := s.svc.Deliveries(r.Context(), state, q.Get("after"), max)
	if err != nil {
		s.answerError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, apiv1.DeliveryList{Deliveries: ds})
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("id")
	d, err := s.svc.RetryDelivery(r.Context(), id)
	if err != nil {
		s.answerError(w, r, err, fmt.Sprintf("there is no delivery %q", id))
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) deliveryOutcome(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("id")
	var req apiv1.OutcomeRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	d, err := s.svc.ReportDelivery(r.Context(), id, req.Outcome)
	if err != nil {
		s.answerError(w, r, err, fmt.Sprintf("there is no delivery %q", id))
		return
	}
	writeJSON(w, http.StatusOK, d)
}
