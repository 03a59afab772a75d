package api_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// runWaymark runs the test binary to its end and returns its output.
func runWaymark(t *testing.T, args ...string) (string, error) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(c, bin, args...).CombinedOutput()
	return string(out), err
}

// TestInsecureDevLoopbackOnly: -insecure-dev refuses an address other
// hosts reach, unless told so, and then warns.
func TestInsecureDevLoopbackOnly(t *testing.T) {
	out, err := runWaymark(t, "runtime", "serve", "-data", t.TempDir(), "-insecure-dev", "-listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(out, "-insecure-dev-allow-remote") || !strings.Contains(out, "loopback") {
		t.Fatalf("-insecure-dev on 0.0.0.0: %v\n%s", err, out)
	}
	out, err = runWaymark(t, "runtime", "serve", "-data", t.TempDir(), "-insecure-dev", "-listen", ":0")
	if err == nil || !strings.Contains(out, "-insecure-dev-allow-remote") {
		t.Fatalf("-insecure-dev on every interface: %v\n%s", err, out)
	}
	p := serve(t, t.TempDir(), "-insecure-dev", "-listen", "0.0.0.0:0", "-insecure-dev-allow-remote")
	if !strings.Contains(p.out.String(), "reachable from other hosts") {
		t.Fatalf("no warning:\n%s", p.out.String())
	}
	p.stop()
	// On loopback it serves as before.
	serve(t, t.TempDir(), "-insecure-dev", "-listen", "[::1]:0")
}

// TestMetricsAuth: /metrics needs a read token by default; it can be
// opened to callers on the host, or to anyone.
func TestMetricsAuth(t *testing.T) {
	p := serve(t, t.TempDir())
	read, err := p.client(p.token).CreateToken(ctx(t), "scraper", []apiv1.Scope{"read"})
	if err != nil {
		t.Fatal(err)
	}
	ingest, err := p.client(p.token).CreateToken(ctx(t), "tracker", []apiv1.Scope{"ingest"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 401}, {ingest, 403}, {read, 200}, {p.token, 200}} {
		if got := metricsStatus(t, p, tc.token); got != tc.want {
			t.Errorf("default: /metrics with token %.6s…: %d, want %d", tc.token, got, tc.want)
		}
	}
	for _, mode := range []string{"loopback", "none"} {
		p := serve(t, t.TempDir(), "-metrics-auth", mode)
		if got := metricsStatus(t, p, ""); got != 200 {
			t.Errorf("-metrics-auth=%s: /metrics without a token from loopback: %d", mode, got)
		}
	}
	if out, err := runWaymark(t, "runtime", "serve", "-data", t.TempDir(), "-metrics-auth", "open"); err == nil || !strings.Contains(out, "-metrics-auth") {
		t.Fatalf("-metrics-auth=open: %v\n%s", err, out)
	}
}

// TestBootstrapToken: a first start that fails prints no token, and the
// next prints it; a lost admin token is replaced on the host with
// runtime token create -bootstrap, with the runtime stopped.
func TestBootstrapToken(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out, err := runWaymark(t, "runtime", "serve", "-data", data, "-listen", busy.Addr().String())
	busy.Close()
	if err == nil || tokenRe.MatchString(out) {
		t.Fatalf("a start that cannot listen: %v\n%s", err, out)
	}
	p := serve(t, data)
	if p.token == "" {
		t.Fatalf("the first start that serves printed no admin token:\n%s", p.out.String())
	}
	// While the runtime holds its store, -bootstrap says to stop it.
	out, err = runWaymark(t, "runtime", "token", "create", "-bootstrap", "-data", data, "-name", "rescue")
	if err == nil || !strings.Contains(out, "stop the runtime") {
		t.Fatalf("-bootstrap with the runtime running: %v\n%s", err, out)
	}
	p.stop()
	out, err = runWaymark(t, "runtime", "token", "create", "-bootstrap", "-data", data, "-name", "rescue")
	secret := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(secret, "wm_") {
		t.Fatalf("-bootstrap: %v\n%s", err, out)
	}
	out, err = runWaymark(t, "runtime", "token", "create", "-bootstrap", "-data", filepath.Join(t.TempDir(), "nowhere"), "-name", "rescue")
	if err == nil || !strings.Contains(out, "no runtime data directory") {
		t.Fatalf("-bootstrap without a data directory: %v\n%s", err, out)
	}
	p2 := serve(t, data)
	if p2.token != "" {
		t.Fatal("a restart printed a new admin token")
	}
	if _, err := p2.client(secret).CreateToken(ctx(t), "ci", []apiv1.Scope{"deploy"}); err != nil {
		t.Fatalf("the bootstrapped token is not an admin: %v", err)
	}
	if status := metricsStatus(t, p2, secret); status != http.StatusOK {
		t.Fatalf("metrics with the bootstrapped token: %d", status)
	}
}

// metricsStatus is the status of GET /metrics with token.
func metricsStatus(t *testing.T, p *proc, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", p.addr+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
