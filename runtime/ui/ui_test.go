package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/ui"
)

// pages are the console's pages a signed-in reader opens.
func pages(customer string) []string {
	return []string{
		"/ui/",
		"/ui/journeys/growth/cart_recovery",
		"/ui/journeys/growth/cart_recovery?window=24h",
		"/ui/journeys/growth/cart_recovery?window=all",
		"/ui/journeys/growth/cart_recovery/live?window=30d",
		"/ui/customers",
		"/ui/customers?id=" + url.QueryEscape(customer),
		"/ui/deployments",
		"/ui/models",
	}
}

func TestWithoutTokenRedirectsToLogin(t *testing.T) {
	rt := start(t, 0)
	tests := []struct {
		path, cookie string
		status       int
		location     string
	}{
		{"/ui/", "", http.StatusSeeOther, "/ui/login?next=%2Fui%2F"},
		{"/ui", "", http.StatusTemporaryRedirect, "/ui/"},
		{"/ui/journeys/growth/cart_recovery?window=24h", "", http.StatusSeeOther, "/ui/login?next=" + url.QueryEscape("/ui/journeys/growth/cart_recovery?window=24h")},
		{"/ui/customers?id=c-00001", "", http.StatusSeeOther, "/ui/login?next=" + url.QueryEscape("/ui/customers?id=c-00001")},
		{"/ui/deployments", "wm_not-a-token", http.StatusSeeOther, "/ui/login?next=%2Fui%2Fdeployments"},
		{"/ui/models", "", http.StatusSeeOther, "/ui/login?next=%2Fui%2Fmodels"},
		{"/ui/nowhere", "", http.StatusSeeOther, "/ui/login?next=%2Fui%2Fnowhere"},
		{"/ui/journeys/growth/cart_recovery/live", "", http.StatusUnauthorized, ""},
		{"/ui/login", "", http.StatusOK, ""},
		{"/ui/static/app.css", "", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", rt.URL+tt.path, nil)
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: ui.CookieName, Value: tt.cookie})
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
				t.Errorf("%s: %d to %q, want %d to %q", tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
			}
		})
	}
}

func TestLoginCookie(t *testing.T) {
	rt := start(t, 0)
	ingest, err := rt.svc.CreateToken(t.Context(), "ingest-only", []store.Scope{store.ScopeIngest})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, next string
		status            int
		location          string
	}{
		{"read token", rt.read, "/ui/models", http.StatusSeeOther, "/ui/models"},
		{"admin token", rt.admin, "", http.StatusSeeOther, "/ui/"},
		{"elsewhere is refused", rt.read, "//evil.example/ui/", http.StatusSeeOther, "/ui/"},
		{"not a token", "wm_nope", "/ui/models", http.StatusSeeOther, "/ui/login?failed=1&next=%2Fui%2Fmodels"},
		{"no read scope", ingest, "", http.StatusSeeOther, "/ui/login?failed=1&next=%2Fui%2F"},
		{"empty", "", "", http.StatusSeeOther, "/ui/login?failed=1&next=%2Fui%2F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirects.PostForm(rt.URL+"/ui/login", url.Values{"token": {tt.token}, "next": {tt.next}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
				t.Fatalf("%d to %q, want %d to %q", resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
			}
			cookies := resp.Cookies()
			if strings.HasPrefix(tt.location, "/ui/login") {
				if len(cookies) != 0 {
					t.Errorf("a refused sign-in set cookies: %v", resp.Header["Set-Cookie"])
				}
				return
			}
			if len(cookies) != 1 {
				t.Fatalf("cookies: %v", resp.Header["Set-Cookie"])
			}
			c := cookies[0]
			if c.Name != ui.CookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui" || c.MaxAge != 0 || !c.Expires.IsZero() {
				t.Errorf("the session cookie is %q", resp.Header.Get("Set-Cookie"))
			}
			req, _ := http.NewRequest("GET", rt.URL+"/ui/", nil)
			req.AddCookie(c)
			resp, err = noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("with the cookie: %s", resp.Status)
			}
		})
	}
	// Signing out clears the cookie.
	resp, err := noRedirects.Post(rt.URL+"/ui/logout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || resp.Header.Get("Location") != "/ui/login" {
		t.Errorf("signing out: %v to %q", resp.Header["Set-Cookie"], resp.Header.Get("Location"))
	}
}

// Every page of a customer with a sensitive email, and every other page,
// leaves the email out; the customer's page says it is withheld.
func TestSensitiveTraitNeverInHTML(t *testing.T) {
	rt := start(t, 300)
	c := rt.signedIn(t, rt.read)
	id, email := rt.firstCustomer(t)
	for _, p := range pages(id) {
		status, body := get(t, c, rt.URL+p)
		if status != http.StatusOK {
			t.Errorf("%s: %d\n%s", p, status, body)
		}
		if strings.Contains(body, email) || strings.Contains(body, "@example.test") {
			t.Errorf("%s shows the sensitive email %q", p, email)
		}
	}
	_, body := get(t, c, rt.URL+"/ui/customers?id="+url.QueryEscape(id))
	for _, want := range []string{"Customer " + id, "email", "withheld (sensitive)", "first_name", "cart_recovery"} {
		if !strings.Contains(body, want) {
			t.Errorf("the customer page lacks %q", want)
		}
	}
	status, body := get(t, c, rt.URL+"/ui/customers?id=nobody-at-all")
	if status != http.StatusNotFound || !strings.Contains(body, "No customer") {
		t.Errorf("an unknown customer: %d", status)
	}
}

// A channel whose consent is off shows on the customer's page, with how
// it was turned off.
func TestCustomerConsentOff(t *testing.T) {
	rt := start(t, 20)
	c := rt.signedIn(t, rt.read)
	id, _ := rt.firstCustomer(t)
	if _, body := get(t, c, rt.URL+"/ui/customers?id="+url.QueryEscape(id)); strings.Contains(body, "Consent off") {
		t.Fatal("consent off before any opt-out")
	}
	b, _ := json.Marshal(map[string]any{"type": "identify", "userId": id, "messageId": "optout", "traits": map[string]any{"consent.email": false}})
	res, err := rt.svc.Ingest(context.Background(), b, events.DefaultLimits)
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if err := rt.svc.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, c, rt.URL+"/ui/customers?id="+url.QueryEscape(id))
	for _, want := range []string{"Consent off", "<th scope=\"row\">email</th>", "trait consent.email = false"} {
		if !strings.Contains(body, want) {
			t.Errorf("the customer page lacks %q", want)
		}
	}
}

var (
	stageRe = regexp.MustCompile(`<g class="stage" data-stage="([^"]+)" data-reached="(\d+)" data-moved-on="(\d+)" data-completed="(\d+)" data-dropped="(\d+)">`)
	countRe = regexp.MustCompile(`class="count" data-kind="([^"]+)" data-stage="([^"]+)" data-count="(\d+)"`)
)

// The map's stages are the journey's in order, and its counts are the
// analytics API's report of the same window.
func TestMapCountsMatchReport(t *testing.T) {
	rt := start(t, 400)
	c := rt.signedIn(t, rt.read)
	for _, w := range []string{"", "24h", "7d", "30d", "all"} {
		t.Run("window="+w, func(t *testing.T) {
			q := url.Values{}
			if w != "" {
				q.Set("window", w)
			}
			req, _ := http.NewRequest("GET", rt.URL+apiv1.AnalyticsPath("growth", "cart_recovery", apiv1.AnalyticsQuery{Window: w}), nil)
			req.Header.Set("Authorization", "Bearer "+rt.read)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var rep apiv1.Analytics
			if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			status, body := get(t, c, rt.URL+"/ui/journeys/growth/cart_recovery?"+q.Encode())
			if status != http.StatusOK {
				t.Fatalf("%d\n%s", status, body)
			}
			stages := stageRe.FindAllStringSubmatch(body, -1)
			if len(stages) != len(rep.Funnel) || len(stages) == 0 {
				t.Fatalf("the map has %d stages, the report %d", len(stages), len(rep.Funnel))
			}
			var total int64
			for i, m := range stages {
				f := rep.Funnel[i]
				got := []string{m[1], m[2], m[3], m[4], m[5]}
				want := []string{f.Stage, n(f.Reached), n(f.MovedOn), n(f.Completed), n(f.Dropped)}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("stage %d: map %v, report %v", i, got, want)
				}
				total += f.Reached
			}
			if w == "30d" && total == 0 {
				t.Error("nothing reached any stage in 30 days: the stream is too thin to test anything")
			}
			arrows := map[string]string{}
			for _, m := range countRe.FindAllStringSubmatch(body, -1) {
				arrows[m[1]+" "+m[2]] = m[3]
			}
			last := len(rep.Funnel) - 1
			want := map[string]string{"entered " + rep.Funnel[0].Stage: n(rep.Funnel[0].Reached),
				"completed " + rep.Funnel[last].Stage: n(rep.Funnel[last].Completed)}
			for i, f := range rep.Funnel {
				want["dropped "+f.Stage] = n(f.Dropped)
				if i < last {
					want["moved-on "+f.Stage] = n(f.MovedOn)
				}
			}
			if len(arrows) != len(want) {
				t.Errorf("arrows %v, want %v", arrows, want)
			}
			for k, v := range want {
				if arrows[k] != v {
					t.Errorf("arrow %s: %q, want %q", k, arrows[k], v)
				}
			}
		})
	}
}

func n(v int64) string { return strconv.FormatInt(v, 10) }

// Pages stay under 200 KB and ask for nothing from elsewhere; a bad
// window is a page that says why.
func TestPageWeightAndRequests(t *testing.T) {
	rt := start(t, 300)
	c := rt.signedIn(t, rt.read)
	id, _ := rt.firstCustomer(t)
	external := regexp.MustCompile(`(?i)(src|href|action|url)\s*[=(]\s*["']?(https?:)?//`)
	for _, p := range pages(id) {
		resp, err := c.Get(rt.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			k, err := resp.Body.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		body := b.String()
		if len(body) > 200<<10 {
			t.Errorf("%s weighs %d bytes", p, len(body))
		}
		if m := external.FindString(body); m != "" {
			t.Errorf("%s refers elsewhere: %s", p, m)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
	}
	tests := []struct {
		query string
		want  string
	}{
		{"window=custom&from=yesterday", "is not a time"},
		{"window=fortnight", "is not a window"},
		{"window=custom", "needs a From date"},
		{"window=custom&from=2026-01-02&to=2026-01-01", "window"},
	}
	for _, tt := range tests {
		status, body := get(t, c, rt.URL+"/ui/journeys/growth/cart_recovery?"+tt.query)
		if status != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 400 saying %q", tt.query, status, tt.want)
		}
	}
	status, _ := get(t, c, rt.URL+"/ui/journeys/growth/nothing")
	if status != http.StatusNotFound {
		t.Errorf("an unknown journey: %d", status)
	}
}

// The models page draws each model's calibration, one dot per decile, and
// lists its top predictors, as the API reports them.
func TestModelsPage(t *testing.T) {
	rt := start(t, 3000)
	ctx := context.Background()
	seen := map[string]bool{}
	responded := 0
	for i, e := range rt.Events {
		if seen[e.CustomerID] {
			continue
		}
		seen[e.CustomerID] = true
		d, err := rt.svc.Decide(ctx, apiv1.DecideRequest{CustomerID: e.CustomerID, Channel: "web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Actions) == 0 {
			continue
		}
		outcome := "ignored"
		if i%3 == 0 {
			outcome = "clicked"
		}
		if _, err := rt.svc.Respond(ctx, apiv1.ResponseRequest{DecisionID: d.DecisionID, Action: d.Actions[0].Address, Outcome: outcome}); err != nil {
			t.Fatal(err)
		}
		responded++
	}
	if err := rt.svc.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	var drawn []apiv1.Model
	for _, m := range rt.svc.Models() {
		if len(m.Calibration) > 0 {
			drawn = append(drawn, m)
		}
	}
	if len(drawn) == 0 {
		t.Fatalf("after %d responses no model has a calibration to draw", responded)
	}
	_, body := get(t, rt.signedIn(t, rt.read), rt.URL+"/ui/models")
	for _, m := range drawn {
		sec := body[strings.Index(body, `id="m-`+html.EscapeString(m.Key)+`"`):]
		if end := strings.Index(sec, "</section>"); end > 0 {
			sec = sec[:end]
		}
		if n := strings.Count(sec, "<circle"); n != len(m.Calibration) {
			t.Errorf("%s: %d dots drawn, want one per decile (%d)", m.Key, n, len(m.Calibration))
		}
		if m.AUC != nil && !strings.Contains(body, strconv.FormatFloat(*m.AUC, 'f', 3, 64)) {
			t.Errorf("%s: AUC %.3f not on the page", m.Key, *m.AUC)
		}
		for _, p := range m.Predictors[:min(len(m.Predictors), 5)] {
			if !strings.Contains(sec, ">"+html.EscapeString(p.Name)+"</th>") {
				t.Errorf("%s: top predictor %s not listed", m.Key, p.Name)
			}
		}
	}
}

// The journey page draws each experiment with its variants' figures, as
// the analytics API has them.
func TestJourneyPageExperiment(t *testing.T) {
	rt := start(t, 300)
	c := rt.signedIn(t, rt.read)
	rep, err := rt.svc.Analytics(context.Background(), "growth", "cart_recovery", analytics.Range{})
	if err != nil || len(rep.Experiments) != 1 {
		t.Fatalf("analytics: %v, %d experiments", err, len(rep.Experiments))
	}
	_, body := get(t, c, rt.URL+"/ui/journeys/growth/cart_recovery")
	e := rep.Experiments[0]
	if len(e.Variants) != 3 || e.Variants[0].Assigned == 0 {
		t.Fatalf("the experiment's variants %+v: the shoppers were not assigned", e.Variants)
	}
	if !strings.Contains(body, "Experiment subject_line of reminder_email") {
		t.Fatalf("the journey page has no experiment section")
	}
	for _, v := range e.Variants {
		row := fmt.Sprintf(`<tr><th scope="row">%s</th><td class="num">%d</td><td class="num">%d</td><td class="num">%d</td>`, v.Name, v.Assigned, v.Delivered, v.Converted)
		if !strings.Contains(body, row) {
			t.Errorf("the page lacks %s", row)
		}
	}
}
