package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
)

// analytics answers GET /v1/journeys/{stack}/{journey}/analytics.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request, _ string) {
	stack, journey := r.PathValue("stack"), r.PathValue("journey")
	rg, err := analyticsRange(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, err.Error())
		return
	}
	rep, err := s.svc.Analytics(r.Context(), stack, journey, rg)
	if errors.Is(err, analytics.ErrRange) {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, err.Error())
		return
	}
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

// analyticsRange reads the window of a report from its query (see
// apiv1.AnalyticsQuery).
func analyticsRange(q url.Values) (analytics.Range, error) {
	var rg analytics.Range
	for _, k := range []string{apiv1.QueryWindow, apiv1.QueryFrom, apiv1.QueryTo} {
		if len(q[k]) > 1 {
			return rg, fmt.Errorf("the query parameter %q is given %d times; give it once", k, len(q[k]))
		}
	}
	switch w := q.Get(apiv1.QueryWindow); {
	case w == "":
	case w == apiv1.WindowAll:
		rg.All = true
	default:
		d, err := funcs.ParseDuration(w)
		if err != nil || d <= 0 {
			return rg, fmt.Errorf("window=%q is not a window: give a duration such as 24h, 7d or 30d, or %q", w, apiv1.WindowAll)
		}
		rg.Window = d
	}
	for _, p := range []struct {
		key string
		t   *time.Time
	}{{apiv1.QueryFrom, &rg.From}, {apiv1.QueryTo, &rg.To}} {
		v := q.Get(p.key)
		if v == "" {
			continue
		}
		t, err := apiv1.ParseTime(v)
		if err != nil {
			return rg, fmt.Errorf("%s=%q is not a time: give RFC 3339 (2026-11-02T15:04:05Z) or a date (2026-11-02)", p.key, v)
		}
		*p.t = t
	}
	if rg.All && (!rg.From.IsZero() || !rg.To.IsZero()) {
		return rg, fmt.Errorf("window=%s covers everything; it takes no %s or %s", apiv1.WindowAll, apiv1.QueryFrom, apiv1.QueryTo)
	}
	if rg.Window > 0 && !rg.From.IsZero() {
		return rg, fmt.Errorf("give either window or %s (with %s), not both", apiv1.QueryFrom, apiv1.QueryTo)
	}
	return rg, nil
}
