package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Prefix is where the runtime mounts the console.
const Prefix = "/ui/"

// CookieName is the session cookie that holds the console's token.
const CookieName = "waymark_ui"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the console.
type Options struct {
	// Insecure serves every page without a token (-insecure-dev).
	Insecure bool
	// Range reads a report's window from a query, as the analytics API
	// does (required).
	Range  func(url.Values) (analytics.Range, error)
	Logger *slog.Logger
}

// Handler serves the console.
type Handler struct {
	svc   *service.Service
	opts  Options
	mux   *http.ServeMux
	pages map[string]*template.Template
	docs  docCache
}

// pageNames are the templates, each rendered inside layout.html.
var pageNames = []string{"login", "overview", "journey", "customer", "deployments", "models", "error"}

// New returns the console over svc.
func New(svc *service.Service, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, opts: opts, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	for _, p := range pageNames {
		h.pages[p] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	h.pages["live"] = template.Must(template.New("figures").Funcs(funcs).ParseFS(templateFS, "templates/journey.html"))
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /ui/login", h.loginForm)
	h.mux.HandleFunc("POST /ui/login", h.login)
	h.mux.HandleFunc("POST /ui/logout", h.logout)
	h.mux.HandleFunc("GET /ui/{$}", h.authed(h.overview))
	h.mux.HandleFunc("GET /ui/journeys/{stack}/{journey}", h.authed(h.journey))
	h.mux.HandleFunc("GET /ui/journeys/{stack}/{journey}/live", h.authed(h.journeyLive))
	h.mux.HandleFunc("GET /ui/customers", h.authed(h.customer))
	h.mux.HandleFunc("GET /ui/deployments", h.authed(h.deployments))
	h.mux.HandleFunc("GET /ui/models", h.authed(h.models))
	h.mux.HandleFunc("/ui/", h.authed(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no page at %s.", r.URL.Path))
	}))
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Nothing is loaded from elsewhere; no inline script or style runs.
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// authed lets a request through with a token of the read scope in the
// session cookie; else a page redirects to the login form and the live
// figures answer 401.
func (h *Handler) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.opts.Insecure {
			next(w, r)
			return
		}
		c, err := r.Cookie(CookieName)
		ok := false
		if err == nil && c.Value != "" {
			ok, err = h.check(r, c.Value)
			if err != nil {
				h.internal(w, r, err)
				return
			}
		}
		if ok {
			next(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/live") {
			http.Error(w, "sign in again", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

// check reports whether secret is a valid token with the read scope.
func (h *Handler) check(r *http.Request, secret string) (bool, error) {
	t, err := h.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
	if errors.Is(err, service.ErrUnauthenticated) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return service.HasScope(t, store.ScopeRead), nil
}

// next is where a login goes on: a console page, else the overview.
func next(v string) string {
	if !strings.HasPrefix(v, Prefix) || strings.HasPrefix(v, "//") || strings.Contains(v, `\`) || strings.HasPrefix(v, "/ui/login") {
		return Prefix
	}
	return v
}

type loginPage struct {
	page
	Next  string
	Error string
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	data := &loginPage{page: page{Title: "Sign in", NoNav: true}, Next: next(r.URL.Query().Get("next"))}
	if r.URL.Query().Has("failed") {
		data.Error = "That token is not valid, or lacks the read scope."
	}
	h.render(w, r, http.StatusOK, "login", data)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "The sign-in form could not be read.")
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	to := next(r.PostForm.Get("next"))
	ok := false
	if token != "" {
		var err error
		if ok, err = h.check(r, token); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	if !ok {
		// Back to the form, which says so: a reload does not post again.
		http.Redirect(w, r, "/ui/login?failed=1&next="+url.QueryEscape(to), http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/ui", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/ui", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// page is what every page's template reads.
type page struct {
	Title string
	// NoNav hides the navigation (the login form).
	NoNav bool
	// Insecure says the runtime serves without tokens.
	Insecure bool
}

func (p *page) base() *page { return p }

type pager interface{ base() *page }

// render writes page name with data, buffered so that a failure is a
// proper error page rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data pager) {
	b := data.base()
	b.Insecure = h.opts.Insecure
	h.write(w, r, status, h.pages[name], "layout.html", data)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, t *template.Template, name string, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorPage struct {
	page
	Message string
}

// fail answers an error page with a message for a person.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	data := &errorPage{page: page{Title: http.StatusText(status)}, Message: msg}
	data.Insecure = h.opts.Insecure
	var buf bytes.Buffer
	if err := h.pages["error"].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// internal answers an unexpected error; the log has it, the page does not.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the browser went away
	}
	if errors.Is(err, store.ErrClosed) {
		h.fail(w, r, http.StatusServiceUnavailable, "The runtime is shutting down.")
		return
	}
	h.opts.Logger.Error("console page failed", "path", r.URL.Path, "error", err)
	h.fail(w, r, http.StatusInternalServerError, "The runtime failed to draw this page; the failure is logged.")
}
