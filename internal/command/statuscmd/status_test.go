package statuscmd

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func fixture(t *testing.T) (*apiv1.Analytics, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r apiv1.Analytics
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return &r, raw
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; got\n%s", name, got)
	}
}

func TestRender(t *testing.T) {
	r, _ := fixture(t)
	for _, c := range []struct {
		golden string
		color  bool
	}{{"status.golden", false}, {"status_color.golden", true}} {
		t.Run(c.golden, func(t *testing.T) {
			s, out, _ := cmdutil.Test()
			s.Color = c.color
			Render(s, r)
			golden(t, c.golden, out.Bytes())
			if has := bytes.Contains(out.Bytes(), []byte("\x1b[")); has != c.color {
				t.Errorf("escape codes present: %v, colour: %v", has, c.color)
			}
		})
	}
}

// runtime serves the analytics of growth/cart_recovery and the deployment
// of stack growth, checking the token.
func runtime(t *testing.T, doc []byte) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error": {"code": "unauthorized", "message": "no valid token"}}`))
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /v1/journeys/growth/cart_recovery/analytics", auth(func(w http.ResponseWriter, r *http.Request) { w.Write(doc) }))
	mux.HandleFunc("GET /v1/journeys/growth/upsell/analytics", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Replace(doc, []byte(`"cart_recovery"`), []byte(`"upsell"`), 1))
	}))
	mux.HandleFunc("GET /v1/journeys/growth/{journey}/analytics", auth(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error": {"code": "not_found", "message": "no such journey"}}`))
	}))
	mux.HandleFunc("GET /v1/stacks/growth", auth(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"stack": "growth", "serial": 3, "document": {"objects": [
			{"address": "journey.upsell", "kind": "journey", "journey": {"name": "upsell"}},
			{"address": "event.x", "kind": "event", "event": {"name": "x"}},
			{"address": "journey.cart_recovery", "kind": "journey", "journey": {"name": "cart_recovery"}}]}}`))
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func streams(addr string) (*cmdutil.Streams, *bytes.Buffer) {
	s, out, _ := cmdutil.Test()
	env := map[string]string{"WAYMARK_ADDR": addr, "WAYMARK_TOKEN": "s3cret"}
	s.Getenv = func(k string) string { return env[k] }
	return s, out
}

func TestRunJSON(t *testing.T) {
	_, raw := fixture(t)
	srv := runtime(t, raw)
	s, out := streams(srv.URL)
	if err := Run(t.Context(), s, &Options{Journey: "cart_recovery", Stack: "growth", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var got, want apiv1.Analytics
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	json.Unmarshal(raw, &want)
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("-json printed\n%s\nwant\n%s", g, w)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunEveryJourneyOfAStack(t *testing.T) {
	_, raw := fixture(t)
	srv := runtime(t, raw)
	s, out := streams(srv.URL)
	if err := Run(t.Context(), s, &Options{Stack: "growth"}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	a, b := strings.Index(text, "Journey growth/cart_recovery"), strings.Index(text, "Journey growth/upsell")
	if a < 0 || b < a {
		t.Errorf("want both journeys, in order of name:\n%s", text)
	}
	s, out = streams(srv.URL)
	if err := Run(t.Context(), s, &Options{Stack: "growth", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var all []apiv1.Analytics
	if err := json.Unmarshal(out.Bytes(), &all); err != nil || len(all) != 2 {
		t.Errorf("-json without a journey: %v, %d reports", err, len(all))
	}
}

func TestRunErrors(t *testing.T) {
	_, raw := fixture(t)
	srv := runtime(t, raw)
	s, _ := streams(srv.URL)
	err := Run(t.Context(), s, &Options{Journey: "nope", Stack: "growth"})
	if err == nil || !strings.Contains(err.Error(), `journey "nope" of stack "growth" is not deployed on the runtime at `+srv.URL) {
		t.Errorf("unknown journey: %v", err)
	}
	s, _ = streams(srv.URL)
	s.Getenv = func(k string) string {
		if k == "WAYMARK_ADDR" {
			return srv.URL
		}
		return ""
	}
	err = Run(t.Context(), s, &Options{Journey: "cart_recovery", Stack: "growth"})
	if err == nil || !strings.Contains(err.Error(), "401 unauthorized: no valid token") {
		t.Errorf("without a token: %v", err)
	}
}

// Without -stack, the stack and the runtime's address come from the
// configuration in the directory.
func TestRunReadsTheConfiguration(t *testing.T) {
	_, raw := fixture(t)
	srv := runtime(t, raw)
	dir := t.TempDir()
	cfg := `waymark {
  stack = "growth"
  runtime {
    address = "` + srv.URL + `"
  }
}

event "cart_updated" {}

journey "cart_recovery" {
  entry {
    event = event.cart_updated
  }
  stage "browsing" {}
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, out := streams("")
	err := Run(t.Context(), s, &Options{Dir: dir, Providers: builtin.Schemas(version.Version)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "Journey growth/cart_recovery at 2026-11-23 10:30 UTC\n") {
		t.Errorf("got\n%s", out)
	}
	// A broken configuration says so, with its diagnostics.
	os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte("waymark {\n"), 0o644)
	s, _ = streams("")
	errb := s.Err.(*bytes.Buffer)
	if err := Run(t.Context(), s, &Options{Dir: dir, Providers: builtin.Schemas(version.Version)}); err == nil ||
		!strings.Contains(err.Error(), "-stack") || !strings.Contains(errb.String(), "Error:") {
		t.Errorf("broken configuration: %v\n%s", err, errb)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		unit string
		v    float64
		want string
	}{
		{"seconds", 0, "0s"},
		{"seconds", 1.25, "1.3s"},
		{"seconds", 59, "59s"},
		{"seconds", 61, "1m1s"},
		{"seconds", 3600, "1h"},
		{"seconds", 3 * 86400, "3d"},
		{"seconds", 90061, "1d1h"},
		{"share", 0.25, "25.0%"},
		{"share", 0.12345, "12.3%"},
		{"nps", -9.6, "-10"},
		{"nps", 0, "+0"},
		{"number", 4.256, "4.26"},
		{"number", 3, "3"},
	} {
		if got := format(c.unit, c.v); got != c.want {
			t.Errorf("format(%s, %v) = %q, want %q", c.unit, c.v, got, c.want)
		}
	}
	one, two := 1.0, 2.0
	if got := spark([]*float64{&one, nil, &two}); got != "▁·█" {
		t.Errorf("spark = %q", got)
	}
	if got := spark([]*float64{&one, &one}); got != "▄▄" {
		t.Errorf("flat spark = %q", got)
	}
	if got := bar(1, 3, 8); got != "██▋" {
		t.Errorf("bar = %q", got)
	}
}
