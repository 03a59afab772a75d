package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
)

func (s *Server) getStack(w http.ResponseWriter, r *http.Request, _ string) {
	stack := r.PathValue("stack")
	st, err := s.svc.Stack(r.Context(), stack)
	if errors.Is(err, service.ErrNotFound) {
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, fmt.Sprintf("stack %q has never been deployed", stack))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// toDeployment is a deployment as history and deploy answers show it.
func toDeployment(d store.Deployment) apiv1.Deployment {
	return apiv1.Deployment{Stack: d.Stack, Serial: d.Serial, Time: d.Time, Who: d.Who, Digest: d.Digest, Summary: d.Summary}
}

// problems are the details of an invalid_deployment error.
func problems(ps catalog.Problems) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = apiv1.Problem{Address: p.Address, Message: p.Message}
	}
	return out
}

// readDocument reads the document of a deploy or impact request.
func (s *Server) readDocument(w http.ResponseWriter, raw json.RawMessage) (*deploy.Document, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, `the request needs a "document": the deployable form of the stack`)
		return nil, false
	}
	doc, err := deploy.Decode(raw)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidDeployment, err.Error(), apiv1.Problem{Message: err.Error()})
		return nil, false
	}
	return doc, true
}

func (s *Server) deploy(w http.ResponseWriter, r *http.Request, who string) {
	stack := r.PathValue("stack")
	var req apiv1.DeployRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if req.BaseSerial == nil {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, `the request needs "base_serial": the stack's serial the plan was made against (0 for a new stack)`)
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
		writeError(w, http.StatusConflict, apiv1.CodeStaleSerial,
			fmt.Sprintf("stack %q is at serial %d, not %d: it was changed after this plan was made", stack, stale.Current, stale.Base),
			apiv1.StaleSerial{CurrentSerial: stale.Current})
	case errors.As(err, &invalid):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidDeployment,
			fmt.Sprintf("the deployment of stack %q has %d problem(s); nothing was changed", stack, len(invalid.Problems)), problems(invalid.Problems)...)
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, bad.Msg)
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
	out := apiv1.DeploymentList{Deployments: make([]apiv1.Deployment, len(hist))}
	for i, d := range hist {
		out.Deployments[i] = toDeployment(d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) impact(w http.ResponseWriter, r *http.Request, _ string) {
	var req apiv1.ImpactRequest
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
		changes = []apiv1.Impact{}
	}
	writeJSON(w, http.StatusOK, apiv1.ImpactList{Changes: changes})
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request, _ string) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	if r.Header.Get(ceSpecVersion) != "" {
		var err error
		if body, err = binaryCloudEvent(r.Header, body); answerBadRequest(w, err) {
			return
		}
	}
	s.ingestBody(w, r, body)
}

// ingestBody ingests a batch and answers what became of it.
func (s *Server) ingestBody(w http.ResponseWriter, r *http.Request, body []byte) {
	res, err := s.svc.Ingest(r.Context(), body, s.opts.Events)
	var batch *events.BatchError
	var over *service.OverloadedError
	switch {
	case errors.As(err, &batch) && batch.TooLarge:
		writeError(w, http.StatusRequestEntityTooLarge, apiv1.CodeBatchTooLarge, batch.Msg)
	case errors.As(err, &batch):
		writeError(w, http.StatusBadRequest, apiv1.CodeBadBatch, batch.Msg)
	case errors.As(err, &over):
		w.Header().Set("Retry-After", fmt.Sprint(s.opts.RetryAfter))
		writeError(w, http.StatusTooManyRequests, apiv1.CodeOverloaded, over.Msg+"; retry after "+fmt.Sprint(s.opts.RetryAfter)+"s")
	case err != nil:
		s.internal(w, r, err)
	case res.Accepted == 0 && res.Duplicates == 0 && len(res.Rejected) > 0:
		details := make([]any, len(res.Rejected))
		for i, rj := range res.Rejected {
			details[i] = rj
		}
		msg := fmt.Sprintf("all %d events were rejected", len(res.Rejected))
		if len(res.Rejected) == 1 {
			msg = "the event was rejected: " + res.Rejected[0].Reason
		}
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeEventsRejected, msg, details...)
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
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, "no such customer: the runtime has received no event for this id")
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
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, "no such customer")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, _ string) {
	var req apiv1.TokenRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	var scopes []store.Scope
	if req.Scopes != nil {
		scopes = make([]store.Scope, len(req.Scopes))
		for i, sc := range req.Scopes {
			scopes[i] = store.Scope(sc)
		}
	}
	secret, err := s.svc.CreateToken(r.Context(), req.Name, scopes)
	var bad *service.InvalidError
	switch {
	case errors.As(err, &bad):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidTokenRequest, bad.Msg)
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, apiv1.CodeExists, fmt.Sprintf("a token named %q already exists", req.Name))
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, apiv1.Token{Name: req.Name, Scopes: req.Scopes, Token: secret})
	}
}
