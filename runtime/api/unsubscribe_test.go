package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/store/pgstore/pgtest"
)

// TestOneClickUnsubscribe follows an email's RFC 8058 one-click link end
// to end: the runtime (its own process, behind a reverse proxy at its
// -public-url, under a path) sends through the real smtp provider to a
// real SMTP server a message whose List-Unsubscribe names a link signed
// for the recipient; a GET of it only shows a page; a POST of
// List-Unsubscribe=One-Click, with no bearer token, turns the customer's
// email consent off, which the customer API shows, and the next email
// due is dropped for no consent; an identify with consent.email = true
// turns it on again, and the next one is sent. Altered and malformed
// tokens are refused with /v1 errors. The opt-out outlives a restart, on
// the embedded store and on PostgreSQL.
func TestOneClickUnsubscribe(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { oneClick(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		pg := pgtest.Start(t)
		t.Setenv("WAYMARK_SECRET_KEY", secretKey(t))
		oneClick(t, []string{"-store", pg.DB(t)})
	})
}

func oneClick(t *testing.T, store []string) {
	mb := startMailbox(t)
	var upstream atomic.Pointer[url.URL]
	proxy := httptest.NewServer(http.StripPrefix("/waymark", &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(upstream.Load())
	}}))
	t.Cleanup(proxy.Close)
	public := proxy.URL + "/waymark"
	dir := t.TempDir()
	start := func() *proc {
		p := serve(t, dir, append([]string{"-public-url", public}, store...)...)
		u, _ := url.Parse(p.addr)
		upstream.Store(u)
		return p
	}
	p := start()
	admin := p.token
	c := p.client(admin)
	doc := mailing(mb.port, func(j *deploy.Journey) { j.ReentryAfter = "" }) // re-enter as soon as left
	if _, err := c.Deploy(ctx(t), "growth", 0, doc); err != nil {
		t.Fatal(err)
	}
	// The customer id is an email address: the link must not show it.
	const id = "ana@example.test"
	send := func(lines ...string) {
		t.Helper()
		if res, err := c.SendEvents(ctx(t), []byte(strings.Join(lines, "\n"))); err != nil || res.Accepted != len(lines) {
			t.Fatalf("events %+v %v", res, err)
		}
	}
	cart := func(n int) string {
		return fmt.Sprintf(`{"id":"cart-%d","type":"cart_updated","customer_id":%q,"attributes":{"cart_value":80},"traits":{"email":"ana@mail.test","email_opt_in":true,"first_name":"Ana"}}`, n, id)
	}
	order := func(n int) string {
		return fmt.Sprintf(`{"id":"order-%d","type":"order_placed","customer_id":%q}`, n, id)
	}
	messages := func(n int) {
		t.Helper()
		eventually(t, 20*time.Second, func() error {
			if got := len(mb.messages()); got != n {
				return fmt.Errorf("%d messages, want %d", got, n)
			}
			return nil
		})
	}
	send(cart(1))
	messages(1)
	msg := mb.messages()[0]
	header := msg.Header.Get("List-Unsubscribe")
	if msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" ||
		!strings.HasPrefix(header, "<"+public+"/v1/unsubscribe/") || !strings.HasSuffix(header, ">") {
		t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", header, msg.Header.Get("List-Unsubscribe-Post"))
	}
	link := strings.Trim(header, "<>")
	token := link[strings.LastIndexByte(link, '/')+1:]
	for _, clear := range []string{id, "ana", "example", "ana@mail.test", "growth", "email", "reminder"} {
		if strings.Contains(token, clear) {
			t.Fatalf("the token %s shows %q in clear", token, clear)
		}
	}
	optOuts := func() []apiv1.OptOut {
		t.Helper()
		cu, err := c.Customer(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		return cu.OptOuts
	}
	post := func(target, contentType, body string) (int, apiv1.UnsubscribeResult, apiv1.ErrorResponse) {
		t.Helper()
		resp, err := http.Post(target, contentType, strings.NewReader(body)) // no bearer token
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var ok apiv1.UnsubscribeResult
		var bad apiv1.ErrorResponse
		if resp.StatusCode == http.StatusOK {
			err = json.Unmarshal(b, &ok)
		} else {
			err = json.Unmarshal(b, &bad)
		}
		if err != nil {
			t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
		}
		return resp.StatusCode, ok, bad
	}

	// A GET, as a mail scanner makes, shows a page and unsubscribes no one.
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page), `<form method="post">`) || !strings.Contains(string(page), "email messages") {
		t.Fatalf("GET: %d %s", resp.StatusCode, page)
	}

	// Altered and malformed tokens, and a body that is not one-click.
	altered := []byte(token)
	if altered[len(altered)/2] = 'A'; token[len(token)/2] == 'A' {
		altered[len(altered)/2] = 'B'
	}
	for _, tt := range []struct {
		name, path, contentType, body string
		status                        int
		code                          apiv1.Code
	}{
		{"altered", apiv1.UnsubscribePath(string(altered)), "application/x-www-form-urlencoded", apiv1.OneClickBody, 404, apiv1.CodeNotFound},
		{"forged from nothing", apiv1.UnsubscribePath(strings.Repeat("A", len(token))), "application/x-www-form-urlencoded", apiv1.OneClickBody, 404, apiv1.CodeNotFound},
		{"cut short", apiv1.UnsubscribePath(token[:20]), "application/x-www-form-urlencoded", apiv1.OneClickBody, 400, apiv1.CodeBadRequest},
		{"not base64url", apiv1.UnsubscribePath("not a token!"), "application/x-www-form-urlencoded", apiv1.OneClickBody, 400, apiv1.CodeBadRequest},
		{"too long", apiv1.UnsubscribePath(strings.Repeat("A", 4000)), "application/x-www-form-urlencoded", apiv1.OneClickBody, 400, apiv1.CodeBadRequest},
		{"not one-click", apiv1.UnsubscribePath(token), "application/x-www-form-urlencoded", "List-Unsubscribe=Yes", 400, apiv1.CodeBadRequest},
		{"JSON body", apiv1.UnsubscribePath(token), "application/json", `{"List-Unsubscribe":"One-Click"}`, 400, apiv1.CodeBadRequest},
		{"a large body", apiv1.UnsubscribePath(token), "application/x-www-form-urlencoded", apiv1.OneClickBody + "&x=" + strings.Repeat("x", 5000), 413, apiv1.CodeBodyTooLarge},
	} {
		status, _, e := post(public+tt.path, tt.contentType, tt.body)
		if status != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", tt.name, status, e, tt.status, tt.code)
		}
	}
	if got := optOuts(); len(got) != 0 {
		t.Fatalf("opted out before the one-click POST: %+v", got)
	}

	// The one-click POST, as a mailbox provider sends it (multipart, the
	// RFC's other encoding).
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	status, res, e := post(link, mw.FormDataContentType(), form.String())
	if status != http.StatusOK || res.Channel != "email" || !res.Unsubscribed || res.Duplicate {
		t.Fatalf("one-click: %d %+v %+v", status, res, e)
	}
	var outs []apiv1.OptOut
	eventually(t, 10*time.Second, func() error {
		if outs = optOuts(); len(outs) != 1 {
			return fmt.Errorf("opt-outs %+v", outs)
		}
		return nil
	})
	if o := outs[0]; o.Channel != "email" || o.Source != "unsubscribed" || time.Since(o.Since) > time.Minute {
		t.Fatalf("opt-out %+v", o)
	}
	// It outlives a restart; the link used again (by the client, at the
	// runtime's own address) is the same unsubscribe.
	p.stop()
	p = start()
	c = p.client(admin)
	if got := optOuts(); len(got) != 1 || got[0].Channel != "email" || !got[0].Since.Equal(outs[0].Since) {
		t.Fatalf("opt-outs after a restart %+v, before %+v", got, outs)
	}
	again, err := p.client("").Unsubscribe(ctx(t), token)
	if err != nil || !again.Duplicate {
		t.Fatalf("a second one-click: %+v %v", again, err)
	}

	// Leaving and entering again makes the reminder due: dropped for no
	// consent, and nothing is sent.
	send(order(1), cart(2))
	eventually(t, 10*time.Second, func() error {
		cu, err := c.Customer(ctx(t), id)
		if err != nil {
			return err
		}
		for _, d := range cu.Decisions {
			if d.Trigger && d.Dropped["no_consent"] == 1 && len(d.Actions) == 0 {
				return nil
			}
		}
		return fmt.Errorf("no decision dropped the reminder for no consent: %+v", cu.Decisions)
	})
	if err := c.Sync(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(mb.messages()); n != 1 {
		t.Fatalf("%d messages after the unsubscribe", n)
	}
	if pending, err := c.Deliveries(ctx(t), apiv1.DeliveryPending, "", 0); err != nil || len(pending) != 0 {
		t.Fatalf("pending deliveries %+v %v", pending, err)
	}

	// An identify with consent.email = true turns it on again: the next
	// reminder is sent, with a link of its own.
	send(fmt.Sprintf(`{"type":"identify","userId":%q,"messageId":"resubscribe","traits":{"consent":{"email":true}}}`, id))
	eventually(t, 10*time.Second, func() error {
		if outs := optOuts(); len(outs) != 0 {
			return fmt.Errorf("opt-outs %+v", outs)
		}
		return nil
	})
	send(order(2), cart(3))
	messages(2)
	if next := mb.messages()[1].Header.Get("List-Unsubscribe"); next == header || !strings.HasPrefix(next, "<"+public+"/v1/unsubscribe/") {
		t.Fatalf("the second message's List-Unsubscribe %q (the first's %q)", next, header)
	}
	if out := p.out.String(); strings.Contains(out, id) || strings.Contains(out, token) {
		t.Errorf("the runtime's output holds the customer id or the token:\n%s", out)
	}
	// A runtime without -public-url sends no List-Unsubscribe (the
	// channel has no unsubscribe_url) and still refuses tokens it did not
	// sign: another runtime's key.
	t.Setenv("WAYMARK_SECRET_KEY", secretKey(t)) // a key of its own
	q := serve(t, t.TempDir(), "-insecure-dev")
	if _, err := q.client("").Unsubscribe(ctx(t), token); !client.IsCode(err, apiv1.CodeNotFound) {
		t.Fatalf("another runtime's token: %v", err)
	}
	qc := q.client("")
	if _, err := qc.Deploy(ctx(t), "growth", 0, mailing(mb.port)); err != nil {
		t.Fatal(err)
	}
	if _, err := qc.SendEvents(ctx(t), []byte(strings.ReplaceAll(cart(9), id, "bo"))); err != nil {
		t.Fatal(err)
	}
	messages(3)
	if h := mb.messages()[2].Header.Get("List-Unsubscribe"); h != "" {
		t.Fatalf("a runtime without -public-url sent List-Unsubscribe %q", h)
	}
}
