package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/ui"
)

// Options configure the API.
type Options struct {
	// Insecure serves every route without tokens (-insecure-dev).
	Insecure bool
	// MaxBodyBytes bounds a request body (default 16 MiB).
	MaxBodyBytes int64
	// Events bounds event batches (default events.DefaultLimits).
	Events events.Limits
	// Gatherer serves /metrics (default none).
	Gatherer prometheus.Gatherer
	// MetricsAuth is who may read /metrics (default MetricsToken).
	MetricsAuth MetricsAuth
	// Registerer takes the HTTP metrics (default a registry of its own,
	// not served).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// RetryAfter is the Retry-After of a 429, in seconds (default 1).
	RetryAfter int
	// MaxInflightBytes bounds the bytes of request bodies held at once
	// (default DefaultMaxInflightBytes): a request past it is answered 429
	// before its body is read.
	MaxInflightBytes int64
}

// Server answers the API over a Service.
type Server struct {
	svc      *service.Service
	opts     Options
	mux      *http.ServeMux
	inflight *budget
	http     *httpMetrics
}

// New returns the API of svc.
func New(svc *service.Service, opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 16 << 20
	}
	if opts.Events.MaxEvents <= 0 {
		opts.Events = events.DefaultLimits
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 1
	}
	if opts.MaxInflightBytes <= 0 {
		opts.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	s := &Server{svc: svc, opts: opts, mux: http.NewServeMux(), inflight: &budget{max: opts.MaxInflightBytes},
		http: newHTTPMetrics(opts.Registerer)}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.http.observe(recoverer(s.opts.Logger, s.mux), w, r)
}

// handler is a route's handler, given the name of the token that called.
type handler func(w http.ResponseWriter, r *http.Request, who string)

// route registers path with a handler per method, each needing scope
// (empty: no token needed).
func (s *Server) route(path string, methods map[string]scoped) {
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		m, ok := methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			m, ok = methods[http.MethodGet]
		}
		if !ok {
			allowed := make([]string, 0, len(methods))
			for k := range methods {
				allowed = append(allowed, k)
			}
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, apiv1.CodeMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		who, ok := s.authorize(w, r, m.scope)
		if !ok {
			return
		}
		if r.Method == http.MethodPost {
			// The body is admitted before any of it is read.
			a, ok := s.admit(w, r)
			if !ok {
				return
			}
			defer a.release()
			r.Body = struct {
				io.Reader
				io.Closer
			}{&budgetReader{r: r.Body, a: a}, r.Body}
		}
		m.h(w, r, who)
	})
}

type scoped struct {
	scope store.Scope
	h     handler
}

func (s *Server) routes() {
	s.route(apiv1.RouteHealthz, map[string]scoped{"GET": {"", s.healthz}})
	s.route(apiv1.RouteReadyz, map[string]scoped{"GET": {"", s.readyz}})
	switch s.opts.MetricsAuth {
	case MetricsNone:
		s.route(apiv1.RouteMetrics, map[string]scoped{"GET": {"", s.metrics}})
	case MetricsLoopback:
		s.route(apiv1.RouteMetrics, map[string]scoped{"GET": {"", s.loopbackOnly(s.metrics)}})
	default:
		s.route(apiv1.RouteMetrics, map[string]scoped{"GET": {store.ScopeRead, s.metrics}})
	}
	s.route(apiv1.RouteStack, map[string]scoped{"GET": {store.ScopeRead, s.getStack}})
	s.route(apiv1.RouteDeployments, map[string]scoped{
		"POST": {store.ScopeDeploy, s.deploy},
		"GET":  {store.ScopeRead, s.history},
	})
	s.route(apiv1.RouteImpact, map[string]scoped{"POST": {store.ScopeRead, s.impact}})
	s.rollbackRoutes()
	s.route(apiv1.RouteAnalytics, map[string]scoped{"GET": {store.ScopeRead, s.analytics}})
	s.route(apiv1.RouteEvents, map[string]scoped{"POST": {store.ScopeIngest, s.ingest}, "GET": {store.ScopeRead, s.exportEvents}, "OPTIONS": {"", s.webhookOptions}})
	s.trackerRoutes()
	s.route(apiv1.RouteSync, map[string]scoped{"POST": {store.ScopeIngest, s.sync}})
	s.route(apiv1.RouteCustomer, map[string]scoped{
		"GET":    {store.ScopeRead, s.getCustomer},
		"DELETE": {store.ScopeAdmin, s.eraseCustomer},
	})
	s.route(apiv1.RouteTokens, map[string]scoped{"POST": {store.ScopeAdmin, s.createToken}})
	s.route(apiv1.RouteDecide, map[string]scoped{"POST": {store.ScopeDecide, s.decide}})
	s.route(apiv1.RouteResponses, map[string]scoped{"POST": {store.ScopeDecide, s.respond}})
	s.route(apiv1.RouteDecision, map[string]scoped{"GET": {store.ScopeRead, s.getDecision}})
	s.route(apiv1.RouteModels, map[string]scoped{"GET": {store.ScopeRead, s.listModels}})
	s.route(apiv1.RouteModel, map[string]scoped{"GET": {store.ScopeRead, s.getModel}})
	s.route(apiv1.RouteDeliveries, map[string]scoped{"GET": {store.ScopeRead, s.listDeliveries}})
	s.route(apiv1.RouteRetry, map[string]scoped{"POST": {store.ScopeAdmin, s.retryDelivery}})
	s.route(apiv1.RouteOutcome, map[string]scoped{"POST": {store.ScopeIngest, s.deliveryOutcome}})
	s.unsubscribeRoutes()
	s.mux.Handle(ui.Prefix, ui.New(s.svc, ui.Options{Insecure: s.opts.Insecure, Range: analyticsRange, Logger: s.opts.Logger}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, fmt.Sprintf("there is no %s", r.URL.Path))
	})
}

// authorize checks the bearer token for scope and returns its name.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scope store.Scope) (string, bool) {
	if scope == "" {
		return "", true
	}
	if s.opts.Insecure {
		return "insecure-dev", true
	}
	auth := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="waymark"`)
		writeError(w, http.StatusUnauthorized, apiv1.CodeUnauthenticated, "this request needs a bearer token: send Authorization: Bearer <token> (WAYMARK_TOKEN for the CLI)")
		return "", false
	}
	t, err := s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
	if errors.Is(err, service.ErrUnauthenticated) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="waymark", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, apiv1.CodeUnauthenticated, "the bearer token is not valid")
		return "", false
	}
	if err != nil {
		s.internal(w, r, err)
		return "", false
	}
	if !service.HasScope(t, scope) {
		writeError(w, http.StatusForbidden, apiv1.CodeForbidden, fmt.Sprintf("token %q lacks the %q scope this request needs", t.Name, scope))
		return "", false
	}
	return t.Name, true
}

// internal answers an unexpected error.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	if errors.Is(err, store.ErrClosed) {
		w.Header().Set("Retry-After", fmt.Sprint(s.opts.RetryAfter))
		writeError(w, http.StatusServiceUnavailable, apiv1.CodeShuttingDown, "the runtime is shutting down")
		return
	}
	s.opts.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "the runtime failed to answer this request; the failure is logged")
}

// readBody reads a bounded body; false when it answered an error.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limited := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	var body []byte
	var err error
	if n := r.ContentLength; n >= 0 && n <= s.opts.MaxBodyBytes {
		// The declared length was admitted: read it into one buffer.
		body = make([]byte, n)
		_, err = io.ReadFull(limited, body)
	} else {
		body, err = io.ReadAll(limited)
	}
	var mbe *http.MaxBytesError
	if errors.Is(err, errNoBudget) {
		s.overloaded(w, "the runtime is reading as many request bodies as it takes at once")
		return nil, false
	}
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, apiv1.CodeBodyTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes; send smaller batches", s.opts.MaxBodyBytes))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, "reading the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// decodeJSON reads a bounded JSON body into v, refusing unknown fields.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	if err := parseJSON(body, v); err != nil {
		answerBadRequest(w, err)
		return false
	}
	return true
}

// sync answers once every event accepted before the request is processed
// and analytics is fed: for scripts that send events and then read what
// they did. A client that gives up cancels the wait.
func (s *Server) sync(w http.ResponseWriter, r *http.Request, _ string) {
	if err := s.svc.SyncAll(r.Context()); err != nil {
		s.answerError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, apiv1.Status{Status: apiv1.StatusProcessed})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, http.StatusOK, apiv1.Status{Status: apiv1.StatusOK})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ string) {
	if !s.svc.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, apiv1.Status{Status: apiv1.StatusCatchingUp})
		return
	}
	writeJSON(w, http.StatusOK, apiv1.Status{Status: apiv1.StatusReady})
}

// MetricsAuth is who may read /metrics.
type MetricsAuth string

// The ways /metrics is guarded.
const (
	// MetricsToken needs a token with the read scope.
	MetricsToken MetricsAuth = "token"
	// MetricsLoopback answers callers on this host only, without a token.
	MetricsLoopback MetricsAuth = "loopback"
	// MetricsNone answers anyone.
	MetricsNone MetricsAuth = "none"
)

// ParseMetricsAuth reads -metrics-auth.
func ParseMetricsAuth(s string) (MetricsAuth, error) {
	switch m := MetricsAuth(s); m {
	case MetricsToken, MetricsLoopback, MetricsNone:
		return m, nil
	}
	return "", fmt.Errorf(`-metrics-auth must be "token", "loopback" or "none", not %q`, s)
}

// loopbackOnly answers 403 to a caller that is not on this host.
func (s *Server) loopbackOnly(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, who string) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, apiv1.CodeForbidden, "metrics are served only to callers on the runtime's host (-metrics-auth=loopback)")
			return
		}
		h(w, r, who)
	}
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ string) {
	if s.opts.Gatherer == nil {
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, "metrics are not enabled")
		return
	}
	promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
