package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
)

func (s *Server) getStack(w http.ResponseWriter, r *http.Request, _ string) {
	stack := r.PathValue("stack")
	st, err := s.svc.Stack(r.Context(), stack)
	if errors.Is(err, service.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("stack %q has never been deployed", stack))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// deployment is a deployment as history and deploy answers show it.
type deployment struct {
	Stack   string    `json:"stack"`
	Serial  int64     `json:"serial"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	Digest  string    `json:"digest"`
	Summary string    `json:"summary"`
}

func toDeployment(d store.Deployment) deployment {
	return deployment{d.Stack, d.Serial, d.Time, d.Who, d.Digest, d.Summary}
}

type deployRequest struct {
	BaseSerial *int64          `json:"base_serial"`
	Document   json.RawMessage `json:"document"`
}

// readDocument reads the document of a deploy or impact request.
func (s *Server) readDocument(w http.ResponseWriter, raw json.RawMessage) (*deploy.Document, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		writeError(w, http.StatusBadRequest, "bad_request", `the request needs a "document": the deployable form of the stack`)
		return nil, false
	}
	doc, err := deploy.Decode(raw)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_deployment", err.Error(), map[string]string{"message": err.Error()})
		return nil, false
	}
	return doc, true
}

func (s *Server) deploy(w http.ResponseWriter, r *http.Request, who string) {
	stack := r.PathValue("stack")
	var req deployRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if req.BaseSerial == nil {
		writeError(w, http.StatusBadRequest, "bad_request", `the request needs "base_serial": the stack's serial the plan was made against (0 for a new stack)`)
		return
	}
	doc, ok := s.readDocument(w, req.Document)
	if !ok {
		return
	}
	d, err := s.svc.Deploy(r.Context(), stack, *req.BaseSerial, doc, who)
	var stale *store.StaleError
	var invalid *service.ValidationError
	var bad *service.InvalidError
	switch {
	case errors.As(err, &stale):
		writeError(w, http.StatusConflict, "stale_serial",
			fmt.Sprintf("stack %q is at serial %d, not %d: it was changed after this plan was made", stack, stale.Current, stale.Base),
			map[string]int64{"current_serial": stale.Current})
	case errors.As(err, &invalid):
		details := make([]any, len(invalid.Problems))
		for i, p := range invalid.Problems {
			details[i] = p
		}
		writeError(w, http.StatusUnprocessableEntity, "invalid_deployment",
			fmt.Sprintf("the deployment of stack %q has %d problem(s); nothing was changed", stack, len(invalid.Problems)), details...)
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, "bad_request", bad.Msg)
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, toDeployment(d))
	}
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, _ string) {
	hist, err := s.svc.History(r.Context(), r.PathValue("stack"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]deployment, len(hist))
	for i, d := range hist {
		out[i] = toDeployment(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployments": out})
}

func (s *Server) impact(w http.ResponseWriter, r *http.Request, _ string) {
	var req struct {
		Document json.RawMessage `json:"document"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	doc, ok := s.readDocument(w, req.Document)
	if !ok {
		return
	}
	changes, err := s.svc.Impact(r.Context(), r.PathValue("stack"), doc)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if changes == nil {
		changes = []service.Impact{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": changes})
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request, _ string) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	res, err := s.svc.Ingest(r.Context(), body, s.opts.Events)
	var batch *events.BatchError
	var over *service.OverloadedError
	switch {
	case errors.As(err, &batch) && batch.TooLarge:
		writeError(w, http.StatusRequestEntityTooLarge, "batch_too_large", batch.Msg)
	case errors.As(err, &batch):
		writeError(w, http.StatusBadRequest, "bad_batch", batch.Msg)
	case errors.As(err, &over):
		w.Header().Set("Retry-After", fmt.Sprint(s.opts.RetryAfter))
		writeError(w, http.StatusTooManyRequests, "overloaded", over.Msg+"; retry after "+fmt.Sprint(s.opts.RetryAfter)+"s")
	case err != nil:
		s.internal(w, r, err)
	case res.Accepted == 0 && res.Duplicates == 0 && len(res.Rejected) > 0:
		details := make([]any, len(res.Rejected))
		for i, rj := range res.Rejected {
			details[i] = rj
		}
		writeError(w, http.StatusUnprocessableEntity, "events_rejected", fmt.Sprintf("all %d events were rejected", len(res.Rejected)), details...)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := pathID(w, r, "customer")
	if !ok {
		return
	}
	c, err := s.svc.Customer(r.Context(), id)
	if errors.Is(err, service.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no such customer: the runtime has received no event for this id")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) eraseCustomer(w http.ResponseWriter, r *http.Request, who string) {
	id, ok := pathID(w, r, "customer")
	if !ok {
		return
	}
	err := s.svc.Erase(r.Context(), id, who)
	if errors.Is(err, service.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no such customer")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, _ string) {
	var req struct {
		Name   string        `json:"name"`
		Scopes []store.Scope `json:"scopes"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	secret, err := s.svc.CreateToken(r.Context(), req.Name, req.Scopes)
	var bad *service.InvalidError
	switch {
	case errors.As(err, &bad):
		writeError(w, http.StatusUnprocessableEntity, "invalid_token_request", bad.Msg)
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, "exists", fmt.Sprintf("a token named %q already exists", req.Name))
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, map[string]any{"name": req.Name, "scopes": req.Scopes, "token": secret})
	}
}
