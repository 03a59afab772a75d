package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/initcmd"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

// built is the provider executable, built once by TestMain as a user would
// build it.
var built string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slack-provider")
	if err != nil {
		panic(err)
	}
	built = filepath.Join(dir, "waymark-provider-slack")
	cmd := exec.Command("go", "build", "-o", built, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building the example provider: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type post struct {
	key  string
	body map[string]string
}

// slackServer is a stand-in for Slack's incoming webhooks.
func slackServer(t *testing.T, status int) (*httptest.Server, func() []post) {
	var mu sync.Mutex
	var posts []post
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		mu.Lock()
		posts = append(posts, post{r.Header.Get("Idempotency-Key"), body})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []post {
		mu.Lock()
		defer mu.Unlock()
		return append([]post(nil), posts...)
	}
}

func run(t *testing.T) *host.Provider {
	return sdktest.Executable(t, host.Executable{Name: "slack", Source: "example/slack", Version: "1.0.0", Path: built})
}

func TestDeliver(t *testing.T) {
	srv, posts := slackServer(t, http.StatusOK)
	p := run(t)
	ctx := context.Background()
	if diags, err := p.Configure(ctx, "team", map[string]cty.Value{"url": cty.StringVal(srv.URL + "/services/T0/B0/x"), "username": cty.StringVal("Waymark")}); err != nil || len(diags) > 0 {
		t.Fatalf("Configure: %v %v", diags, err)
	}
	if _, err := p.Deliver(ctx, &host.Delivery{Kind: host.KindAction, IdempotencyKey: "k1", Channel: "team", CustomerID: "c1",
		Message: map[string]string{"text": "Ada left her cart"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Deliver(ctx, &host.Delivery{Kind: host.KindAlert, IdempotencyKey: "k2", Channel: "team", Journey: "cart_recovery",
		Alert: &host.Alert{KPI: "conversion", Value: 0.1, Target: 0.25, State: "below_target"}}); err != nil {
		t.Fatal(err)
	}
	got := posts()
	want := []post{
		{"k1", map[string]string{"text": "Ada left her cart", "username": "Waymark"}},
		{"k2", map[string]string{"text": ":warning: cart_recovery: KPI conversion is 0.1 against a target of 0.25 (below_target)", "username": "Waymark"}},
	}
	if len(got) != len(want) {
		t.Fatalf("posts %+v", got)
	}
	for i := range want {
		if got[i].key != want[i].key || got[i].body["text"] != want[i].body["text"] || got[i].body["username"] != want[i].body["username"] {
			t.Errorf("post %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestFailures(t *testing.T) {
	p := run(t)
	ctx := context.Background()
	for _, tt := range []struct {
		status    int
		retryable bool
	}{{500, true}, {429, true}, {404, false}} {
		srv, _ := slackServer(t, tt.status)
		ch := http.StatusText(tt.status)
		if diags, err := p.Configure(ctx, ch, map[string]cty.Value{"url": cty.StringVal(srv.URL)}); err != nil || len(diags) > 0 {
			t.Fatalf("Configure: %v %v", diags, err)
		}
		_, err := p.Deliver(ctx, &host.Delivery{Kind: host.KindAction, IdempotencyKey: "k", Channel: ch, Message: map[string]string{"text": "x"}})
		if err == nil || host.Retryable(err) != tt.retryable {
			t.Errorf("status %d: %v (retryable %v)", tt.status, err, host.Retryable(err))
		}
	}
	diags, err := p.ValidateChannel(ctx, map[string]cty.Value{"url": cty.StringVal("http://hooks.slack.test/x")})
	if err != nil || len(diags) != 1 || diags[0].Path[0] != "url" || strings.Contains(diags[0].Detail, "hooks.slack.test") {
		t.Errorf("plain http to a remote host: %+v %v", diags, err)
	}
}

// TestReadmeWalkthrough follows README.md: install the built provider,
// require it, run waymark init, and deliver through the locked provider.
func TestReadmeWalkthrough(t *testing.T) {
	dir := t.TempDir()
	plat := discovery.CurrentPlatform()
	home := t.TempDir()
	installDir := filepath.Join(home, ".waymark.d", "providers", "example", "slack", "1.0.0", plat)
	if err := os.MkdirAll(installDir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.ReadFile(built)
	if err := os.WriteFile(filepath.Join(installDir, "waymark-provider-slack"), exe, 0o755); err != nil {
		t.Fatal(err)
	}
	config := `waymark {
  stack = "growth"

  required_providers {
    slack = { source = "example/slack", version = "~> 1.0" }
  }
}

channel "team" {
  provider = slack
  url      = var.slack_url
  username = "Waymark"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	env := discovery.Env{Dir: dir, Home: home, Self: "/unused", Version: "0.1.0"}
	s, out, _ := cmdutil.Test()
	if err := initcmd.Run(context.Background(), s, &initcmd.Options{Env: env}); err != nil {
		t.Fatalf("waymark init: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "- Selected example/slack v1.0.0") {
		t.Errorf("init output:\n%s", out)
	}
	lock, diags := lockfile.Load(filepath.Join(dir, lockfile.FileName))
	want, _ := lockfile.HashFile(built)
	if diags.HasErrors() || lock.Providers["example/slack"] == nil || !lock.Providers["example/slack"].HasHash(want) {
		t.Fatalf("lock %+v %v", lock, diags)
	}

	srv, posts := slackServer(t, http.StatusOK)
	h, err := env.NewHost([]discovery.Requirement{{Name: "slack", Source: "example/slack", Constraints: "~> 1.0"}}, lock, host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()
	if _, err := h.Configure(ctx, "example/slack", "team", map[string]cty.Value{"url": cty.StringVal(srv.URL)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Deliver(ctx, "example/slack", &host.Delivery{Kind: host.KindAction, IdempotencyKey: "k", Channel: "team", Message: map[string]string{"text": "hi"}}); err != nil {
		t.Fatal(err)
	}
	if len(posts()) != 1 {
		t.Errorf("posts %+v", posts())
	}
}

// TestDebugReattach follows the README's debugging section: the provider
// started by hand with -debug prints WAYMARK_REATTACH_PROVIDERS, a host
// attaches to it, and closing the host leaves it running.
func TestDebugReattach(t *testing.T) {
	cmd := exec.Command(built, "-debug")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var reattach string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), "export WAYMARK_REATTACH_PROVIDERS='"); ok {
			reattach = strings.TrimSuffix(v, "'")
			break
		}
	}
	go io.Copy(io.Discard, out)
	if reattach == "" {
		t.Fatal("no WAYMARK_REATTACH_PROVIDERS line")
	}
	h, err := host.New(host.Options{Reattach: reattach})
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Schema(context.Background(), "slack", "example/slack")
	if err != nil || s.Version != "1.0.0" {
		t.Fatalf("schema from the hand-started provider: %+v %v", s, err)
	}
	h.Close()
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("closing the host stopped the hand-started provider: %v", err)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("provider after interrupt: %v", err)
	}
}
