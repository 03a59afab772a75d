package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
)

// analytics answers GET /v1/journeys/{stack}/{journey}/analytics.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request, _ string) {
	stack, journey := r.PathValue("stack"), r.PathValue("journey")
	rep, err := s.svc.Analytics(r.Context(), stack, journey)
	if errors.Is(err, service.ErrUnknownJourney) {
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, fmt.Sprintf("stack %q has no journey %q deployed", stack, journey))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
