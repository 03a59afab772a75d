package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details"`
}

// writeError answers an error in the API's one shape.
func writeError(w http.ResponseWriter, status int, code, message string, details ...any) {
	if details == nil {
		details = []any{}
	}
	writeJSON(w, status, errorBody{errorDetail{code, message, details}})
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
				writeError(w, http.StatusInternalServerError, "internal", "the runtime failed to answer this request; the failure is logged")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
