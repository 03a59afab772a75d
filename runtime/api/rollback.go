package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
)

// rollbackRoutes registers what rollback needs: one earlier deployment as
// plan reads it, and the re-deployment of its stored document.
func (s *Server) rollbackRoutes() {
	s.route(apiv1.RouteDeployment, map[string]scoped{"GET": {store.ScopeRead, s.getDeployment}})
	s.route(apiv1.RouteRollback, map[string]scoped{"POST": {store.ScopeDeploy, s.rollback}})
}

// getDeployment answers one deployment of a stack in the form of GET
// /v1/stacks/{stack}: its document with sensitive values withheld, and the
// stack's digest key.
func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request, _ string) {
	stack := r.PathValue("stack")
	serial, err := strconv.ParseInt(r.PathValue("serial"), 10, 64)
	if err != nil || serial < 1 {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, fmt.Sprintf("%q is not a deployment serial: use a whole number from 1", r.PathValue("serial")))
		return
	}
	st, err := s.svc.Deployment(r.Context(), stack, serial)
	if errors.Is(err, service.ErrNotFound) {
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, fmt.Sprintf("stack %q has no deployment %d", stack, serial))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// rollback re-deploys the stored document of deployment rollback_to as a
// new deployment, through the same validation and atomic activation as a
// deploy, if the stack is still at base_serial.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request, who string) {
	stack := r.PathValue("stack")
	var req apiv1.RollbackRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if req.BaseSerial == nil || req.RollbackTo == nil {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, `the request needs "base_serial" (the stack's serial the plan was made against) and "rollback_to" (the serial of the deployment to deploy again)`)
		return
	}
	d, err := s.svc.Rollback(r.Context(), stack, *req.BaseSerial, *req.RollbackTo, who)
	var stale *store.StaleError
	var invalid *service.ValidationError
	var bad *service.InvalidError
	switch {
	case errors.Is(err, service.ErrNotFound):
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, fmt.Sprintf("stack %q has no deployment %d", stack, *req.RollbackTo))
	case errors.As(err, &stale):
		writeError(w, http.StatusConflict, apiv1.CodeStaleSerial,
			fmt.Sprintf("stack %q is at serial %d, not %d: it was changed after this plan was made", stack, stale.Current, stale.Base),
			apiv1.StaleSerial{CurrentSerial: stale.Current})
	case errors.As(err, &invalid):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidDeployment,
			fmt.Sprintf("deployment %d of stack %q is no longer valid with the other stacks; %d problem(s), nothing was changed", *req.RollbackTo, stack, len(invalid.Problems)), problems(invalid.Problems)...)
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, bad.Msg)
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, toDeployment(d))
	}
}
