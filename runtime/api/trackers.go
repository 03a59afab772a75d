package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
)

// trackerRoutes registers Segment's HTTP Tracking API
// (apiv1.SegmentCalls); CloudEvents come to RouteEvents.
func (s *Server) trackerRoutes() {
	for _, c := range apiv1.SegmentCalls() {
		h := s.segment(c.Type)
		s.mux.HandleFunc(c.Route, h)
		if c.Short != "" {
			s.mux.HandleFunc(c.Short, h)
		}
	}
}

// segment answers a route of Segment's API that takes call ("" for a
// batch). analytics.js posts from the browser, to another origin, as a
// CORS simple request (text/plain): its answers allow every origin, and a
// preflight is answered for clients that send one.
func (s *Server) segment(call string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		switch r.Method {
		case http.MethodPost:
		case http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			h.Set("Allow", "POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, apiv1.CodeMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		body, ok := s.readBody(w, r)
		if !ok {
			return
		}
		if !s.authorizeWriteKey(w, r, writeKey(r, body)) {
			return
		}
		body, err := segmentBody(body, call)
		if answerBadRequest(w, err) {
			return
		}
		s.ingestBody(w, r, body)
	}
}

// writeKey returns the write key of a Segment request: the HTTP Basic auth
// username (the password when the username is empty), a bearer token, or
// the body's "writeKey"; empty for none.
func writeKey(r *http.Request, body []byte) string {
	if user, pass, ok := r.BasicAuth(); ok {
		if user == "" {
			return pass
		}
		return user
	}
	if secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(secret)
	}
	var k struct {
		WriteKey string `json:"writeKey"`
	}
	if json.Unmarshal(body, &k) != nil {
		return ""
	}
	return k.WriteKey
}

// authorizeWriteKey checks that secret is an ingest-scoped token.
func (s *Server) authorizeWriteKey(w http.ResponseWriter, r *http.Request, secret string) bool {
	if s.opts.Insecure {
		return true
	}
	if secret == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="waymark"`)
		writeError(w, http.StatusUnauthorized, apiv1.CodeUnauthenticated,
			`this request needs a write key, an ingest-scoped token: send it as the HTTP Basic auth username (password empty), as "writeKey" in the body, or as a bearer token`)
		return false
	}
	t, err := s.svc.Authenticate(r.Context(), secret)
	if errors.Is(err, service.ErrUnauthenticated) {
		w.Header().Set("WWW-Authenticate", `Basic realm="waymark"`)
		writeError(w, http.StatusUnauthorized, apiv1.CodeUnauthenticated, "the write key is not a valid token")
		return false
	}
	if err != nil {
		s.internal(w, r, err)
		return false
	}
	if !service.HasScope(t, store.ScopeIngest) {
		writeError(w, http.StatusForbidden, apiv1.CodeForbidden, fmt.Sprintf("token %q lacks the %q scope a write key needs", t.Name, store.ScopeIngest))
		return false
	}
	return true
}

// segmentBody checks the body of a Segment call and returns it as
// events.Decode reads it: a batch envelope as it is; one call with the
// route's type, which the call need not repeat.
func segmentBody(body []byte, call string) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		if call == "" {
			return nil, badRequest(`the body must be a JSON object {"batch": [...]} holding Segment calls`)
		}
		return nil, badRequest("the body of a Segment %s call must be one JSON object", call)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, badRequest("the body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	batch, isBatch := fields["batch"]
	if call == "" {
		if !isBatch {
			return nil, badRequest(`the body has no "batch": send {"batch": [...]} with one Segment call per element, or each call to its own route (/v1/track, ...)`)
		}
		if b := bytes.TrimSpace(batch); len(b) == 0 || b[0] != '[' {
			return nil, badRequest(`"batch" must be an array of Segment calls`)
		}
		return body, nil
	}
	if isBatch {
		return nil, badRequest(`a Segment %s call has no "batch": send batches to %s`, call, apiv1.RouteSegmentBatch)
	}
	if raw, ok := fields["type"]; ok {
		var typ string
		if json.Unmarshal(raw, &typ) != nil {
			return nil, badRequest(`"type" must be a string`)
		}
		if typ != call {
			return nil, badRequest(`"type" is %q, but this route takes %s calls`, typ, call)
		}
		return body, nil
	}
	fields["type"], _ = json.Marshal(call)
	return json.Marshal(fields)
}

// ceSpecVersion is the header that makes a request a binary-mode
// CloudEvent.
const ceSpecVersion = "Ce-Specversion"

// binaryCloudEvent returns the structured-mode form of a binary-mode
// CloudEvent: its ce-* headers, percent-decoded as the HTTP binding
// says, are the attributes; the Content-Type is its datacontenttype and
// the body its data.
func binaryCloudEvent(h http.Header, body []byte) ([]byte, error) {
	ev := map[string]any{}
	for name, vals := range h {
		attr, ok := strings.CutPrefix(strings.ToLower(name), "ce-")
		if !ok || attr == "" || len(vals) == 0 {
			continue
		}
		v := vals[0]
		if dec, err := url.PathUnescape(v); err == nil {
			v = dec
		}
		ev[attr] = v
	}
	ct := h.Get("Content-Type")
	if ct != "" {
		ev["datacontenttype"] = ct
	}
	body = bytes.TrimSpace(body)
	if len(body) > 0 {
		mt, _, _ := mime.ParseMediaType(ct)
		switch {
		case ct != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json"):
			ev["data"] = string(body) // rejected for its datacontenttype
		case !json.Valid(body):
			return nil, badRequest("the body of a binary-mode CloudEvent (ce-* headers) is its data, and is not valid JSON")
		default:
			ev["data"] = json.RawMessage(body)
		}
	}
	return json.Marshal(ev)
}

// webhookOptions answers the validation handshake of the CloudEvents HTTP
// webhook spec (section 4), which sources such as Azure Event Grid send
// before delivering: an OPTIONS with WebHook-Request-Origin, answered by
// allowing that origin, at any rate. It needs no token and says nothing
// of the runtime.
func (s *Server) webhookOptions(w http.ResponseWriter, r *http.Request, _ string) {
	h := w.Header()
	h.Set("Allow", "POST, OPTIONS")
	if origin := r.Header.Get("WebHook-Request-Origin"); origin != "" {
		h.Set("WebHook-Allowed-Origin", origin)
		h.Set("WebHook-Allowed-Rate", "*")
	}
	w.WriteHeader(http.StatusOK)
}
