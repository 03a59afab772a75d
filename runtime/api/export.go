package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// exportEvents answers GET RouteEvents: a page of the recorded events.
func (s *Server) exportEvents(w http.ResponseWriter, r *http.Request, _ string) {
	v := r.URL.Query()
	q := apiv1.EventsQuery{After: v.Get(apiv1.QueryAfter)}
	if l := v.Get(apiv1.QueryLimit); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > apiv1.MaxEventsPage {
			writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, fmt.Sprintf("limit must be a number from 1 to %d", apiv1.MaxEventsPage))
			return
		}
		q.Limit = n
	}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{apiv1.QuerySince, &q.Since}, {apiv1.QueryUntil, &q.Until}} {
		if t := v.Get(p.name); t != "" {
			at, err := apiv1.ParseTime(t)
			if err != nil {
				writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, fmt.Sprintf("%s must be an RFC 3339 time or a date (2006-01-02), not %q", p.name, t))
				return
			}
			*p.to = at
		}
	}
	page, err := s.svc.ExportEvents(r.Context(), q)
	if err != nil {
		s.answerError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, page)
}
