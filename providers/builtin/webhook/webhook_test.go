package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/providers/builtin/webhook"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { sdktest.Main(m, webhook.Provider()) }

// request is what the receiver saw.
type request struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that checks the signature with secret.
func receiver(t *testing.T, secret string, status func(n int) int) (*httptest.Server, func() []request) {
	var mu sync.Mutex
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if secret != "" {
			want := webhook.Sign(secret, body)
			if !hmac.Equal([]byte(r.Header.Get("X-Waymark-Signature")), []byte(want)) {
				t.Errorf("signature %q, want %q", r.Header.Get("X-Waymark-Signature"), want)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		mu.Lock()
		got = append(got, request{r.Header.Clone(), body})
		n := len(got)
		mu.Unlock()
		code := http.StatusOK
		if status != nil {
			code = status(n)
		}
		if code == http.StatusOK {
			w.Header().Set("X-Message-Id", "msg-1")
		}
		w.WriteHeader(code)
		io.WriteString(w, "answer\n  from the receiver")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), got...)
	}
}

func configure(t *testing.T, p *host.Provider, cfg map[string]cty.Value) {
	t.Helper()
	diags, err := p.Configure(context.Background(), "ops", cfg)
	if err != nil || len(diags) > 0 {
		t.Fatalf("Configure: %v %v", diags, err)
	}
}

func action() *host.Delivery {
	return &host.Delivery{
		Kind: host.KindAction, IdempotencyKey: "d-1", Channel: "ops", Stack: "growth", Journey: "cart_recovery", Action: "nudge",
		CustomerID:         "c-42",
		CustomerAttributes: map[string]cty.Value{"first_name": cty.StringVal("Ada"), "orders": cty.NumberIntVal(3)},
		Message:            map[string]string{"title": "Hello Ada", "text": "Your cart misses you."},
	}
}

func TestDeliverSigned(t *testing.T) {
	srv, got := receiver(t, "s3cret", nil)
	p := sdktest.Process(t, webhook.Provider())
	configure(t, p, map[string]cty.Value{
		"url":     cty.StringVal(srv.URL + "/hooks"),
		"secret":  cty.StringVal("s3cret"),
		"headers": cty.MapVal(map[string]cty.Value{"X-Team": cty.StringVal("growth")}),
	})
	id, err := p.Deliver(context.Background(), action())
	if err != nil {
		t.Fatal(err)
	}
	if id != "msg-1" {
		t.Errorf("message id %q", id)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	h := reqs[0].header
	for k, want := range map[string]string{"Content-Type": "application/json", "Idempotency-Key": "d-1", "X-Team": "growth"} {
		if h.Get(k) != want {
			t.Errorf("header %s = %q, want %q", k, h.Get(k), want)
		}
	}
	golden(t, "action.golden.json", reqs[0].body)
}

func TestAlertUnsigned(t *testing.T) {
	srv, got := receiver(t, "", nil)
	p := sdktest.Process(t, webhook.Provider())
	configure(t, p, map[string]cty.Value{"url": cty.StringVal(srv.URL)})
	_, err := p.Deliver(context.Background(), &host.Delivery{Kind: host.KindAlert, IdempotencyKey: "a-1", Channel: "ops", Stack: "growth", Journey: "cart_recovery",
		Alert: &host.Alert{KPI: "checkout_dropoff", Value: 0.52, Target: 0.4, State: "above_target"}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := got()
	if len(reqs) != 1 || reqs[0].header.Get("X-Waymark-Signature") != "" {
		t.Fatalf("requests %+v", reqs)
	}
	golden(t, "alert.golden.json", reqs[0].body)
}

func TestFailures(t *testing.T) {
	p := sdktest.Process(t, webhook.Provider())
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	tests := []struct {
		name      string
		url       string
		status    int
		retryable bool
		want      string
	}{
		{"server error", "", 500, true, "500 Internal Server Error: answer from the receiver"},
		{"unavailable", "", 503, true, "503"},
		{"too many requests", "", 429, true, "429"},
		{"bad request", "", 400, false, "400 Bad Request"},
		{"not found", "", 404, false, "404"},
		{"connection refused", closed.URL, 0, true, "connection refused"},
		{"timeout", slow.URL, 0, true, "timed out after 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				srv, _ := receiver(t, "", func(int) int { return tt.status })
				url = srv.URL + "/x?token=abc"
			}
			channel := strings.ReplaceAll(tt.name, " ", "_")
			timeout := "10s"
			if tt.name == "timeout" {
				timeout = "200ms"
			}
			if diags, err := p.Configure(context.Background(), channel, map[string]cty.Value{"url": cty.StringVal(url), "timeout": cty.StringVal(timeout)}); err != nil || len(diags) > 0 {
				t.Fatal(diags, err)
			}
			d := action()
			d.Channel = channel
			_, err := p.Deliver(context.Background(), d)
			if err == nil {
				t.Fatal("delivered")
			}
			if host.Retryable(err) != tt.retryable || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v (retryable %v), want %q retryable %v", err, host.Retryable(err), tt.want, tt.retryable)
			}
			if strings.Contains(err.Error(), "token=abc") {
				t.Errorf("error shows the URL's query: %v", err)
			}
		})
	}
}

func TestValidateChannel(t *testing.T) {
	p := sdktest.InProcess(t, webhook.Provider())
	tests := []struct {
		name string
		cfg  map[string]cty.Value
		want string // "path: summary", or empty
	}{
		{"valid", map[string]cty.Value{"url": cty.StringVal("https://ops.acme.test/h"), "timeout": cty.StringVal("5s")}, ""},
		{"unknown url", map[string]cty.Value{"url": cty.UnknownVal(cty.String)}, ""},
		{"ftp", map[string]cty.Value{"url": cty.StringVal("ftp://x/y")}, "url: Invalid webhook URL"},
		{"no host", map[string]cty.Value{"url": cty.StringVal("https:///y")}, "url: Invalid webhook URL"},
		{"unparsable", map[string]cty.Value{"url": cty.StringVal("http://[::1")}, "url: Invalid webhook URL"},
		{"bad timeout", map[string]cty.Value{"url": cty.StringVal("http://x"), "timeout": cty.StringVal("soon")}, "timeout: Invalid timeout"},
		{"negative timeout", map[string]cty.Value{"url": cty.StringVal("http://x"), "timeout": cty.StringVal("-1s")}, "timeout: Invalid timeout"},
		{"reserved header", map[string]cty.Value{"url": cty.StringVal("http://x"), "headers": cty.MapVal(map[string]cty.Value{"idempotency-key": cty.StringVal("x")})}, "headers.idempotency-key: Reserved header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags, err := p.ValidateChannel(context.Background(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if len(diags) > 0 {
				got = strings.Join(diags[0].Path, ".") + ": " + diags[0].Summary
			}
			if got != tt.want || len(diags) > 1 {
				t.Errorf("diagnostics %+v, want %q", diags, tt.want)
			}
		})
	}
}

func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("body differs from %s (run with -update to accept):\n%s", path, pretty.Bytes())
	}
}
