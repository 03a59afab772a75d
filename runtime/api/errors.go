package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError answers an error in the API's one shape, apiv1.ErrorResponse,
// with each of details encoded as writeJSON would.
func writeError(w http.ResponseWriter, status int, code apiv1.Code, message string, details ...any) {
	body := apiv1.ErrorBody{Code: code, Message: message, Details: make([]json.RawMessage, 0, len(details))}
	for _, d := range details {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d); err != nil {
			continue // details are plain values; none fails
		}
		body.Details = append(body.Details, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	}
	writeJSON(w, status, apiv1.ErrorResponse{Error: body})
}

// recoverer turns a panic in a handler into a logged JSON 500.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				// The panic value may hold request data; log only where.
				log.Error("a request handler panicked", "method", r.Method, "path", r.URL.Path)
				writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "the runtime failed to answer this request; the failure is logged")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
