package api

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
)

// unsubscribeRoutes serves the one-click unsubscribe links the runtime
// puts in List-Unsubscribe (RFC 8058): POST unsubscribes; GET, which mail
// scanners fetch unasked, only shows a page with a button that POSTs.
// Neither needs a bearer token: the link's token is signed.
func (s *Server) unsubscribeRoutes() {
	s.route(apiv1.RouteUnsubscribe, map[string]scoped{"POST": {"", s.unsubscribe}, "GET": {"", s.unsubscribePage}})
}

// maxOneClickBody bounds the body of the route, which anyone may call:
// the one-click body is 26 bytes, a multipart one a few hundred.
const maxOneClickBody = 4 << 10

func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request, _ string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxOneClickBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, "reading the request body: "+err.Error())
		return
	}
	if len(body) > maxOneClickBody {
		writeError(w, http.StatusRequestEntityTooLarge, apiv1.CodeBodyTooLarge,
			fmt.Sprintf("the body of a one-click unsubscribe is List-Unsubscribe=One-Click, not over %d bytes", maxOneClickBody))
		return
	}
	token := r.PathValue("token")
	html := wantsHTML(r)
	if _, err := s.svc.UnsubscribeLink(token); err != nil {
		s.answerUnsubscribe(w, r, err, html)
		return
	}
	if !oneClick(r.Header.Get("Content-Type"), body) {
		msg := `the body of a one-click unsubscribe is List-Unsubscribe=One-Click (RFC 8058), as application/x-www-form-urlencoded`
		if html {
			writePage(w, http.StatusBadRequest, page{Title: "Not unsubscribed", Text: "The request was not a one-click unsubscribe."})
			return
		}
		writeError(w, http.StatusBadRequest, apiv1.CodeBadRequest, msg)
		return
	}
	res, err := s.svc.Unsubscribe(r.Context(), token)
	if err != nil {
		s.answerUnsubscribe(w, r, err, html)
		return
	}
	if html {
		writePage(w, http.StatusOK, page{Title: "Unsubscribed", Text: "You will receive no more " + res.Channel + " messages from us."})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// unsubscribePage shows what a link would do, and a button that does it.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request, _ string) {
	channel, err := s.svc.UnsubscribeLink(r.PathValue("token"))
	if err != nil {
		s.answerUnsubscribe(w, r, err, true)
		return
	}
	writePage(w, http.StatusOK, page{Title: "Unsubscribe", Text: "Stop receiving " + channel + " messages from us?",
		Button: "Unsubscribe", Field: "List-Unsubscribe", Value: "One-Click"})
}

func (s *Server) answerUnsubscribe(w http.ResponseWriter, r *http.Request, err error, html bool) {
	var bad *service.BadTokenError
	if !errors.As(err, &bad) {
		s.answerError(w, r, err, "")
		return
	}
	status, code := http.StatusBadRequest, apiv1.CodeBadRequest
	if bad.Forged {
		status, code = http.StatusNotFound, apiv1.CodeNotFound
	}
	if html {
		writePage(w, status, page{Title: "Unknown link", Text: "This unsubscribe link is not valid. Use the link in the message as it was sent."})
		return
	}
	writeError(w, status, code, bad.Msg)
}

// oneClick reports whether body is RFC 8058's List-Unsubscribe=One-Click,
// form-encoded (the RFC's two encodings; a body without a content type is
// read as form-encoded).
func oneClick(contentType string, body []byte) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "application/x-www-form-urlencoded", nil
	}
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(strings.TrimSpace(string(body)))
		return err == nil && q.Get("List-Unsubscribe") == "One-Click"
	case "multipart/form-data":
		if params["boundary"] == "" {
			return false
		}
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		form, err := r.ReadForm(int64(len(body)) + 1024)
		if err != nil {
			return false
		}
		defer form.RemoveAll()
		v := form.Value["List-Unsubscribe"]
		return len(v) > 0 && v[0] == "One-Click"
	}
	return false
}

// wantsHTML reports whether the caller is a browser: it asks for HTML
// before JSON.
func wantsHTML(r *http.Request) bool {
	a := r.Header.Get("Accept")
	h, j := strings.Index(a, "text/html"), strings.Index(a, "application/json")
	return h >= 0 && (j < 0 || h < j)
}

type page struct {
	Title, Text          string
	Button, Field, Value string
}

var pageTemplate = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em}button{font:inherit;padding:.4em 1.2em}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Button}}<form method="post"><input type="hidden" name="{{.Field}}" value="{{.Value}}"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

// writePage answers a small HTML page that loads nothing, cannot be
// framed and does not pass its URL (which holds the token) on.
func writePage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	pageTemplate.Execute(w, p)
}
