package host_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
	"github.com/waymarkhq/waymark/providers/sdk"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

// Modes of the re-executed test binary, besides serving a provider.
const (
	modeEnv         = "WAYMARK_HOST_TEST_MODE"
	modeOrphanHost  = "orphan-host"  // a host that starts providers and waits to be killed
	modeBadProtocol = "bad-protocol" // a plugin that answers the handshake with protocol 99
	modeMute        = "mute"         // a plugin that never answers the handshake
)

func TestMain(m *testing.M) {
	switch os.Getenv(modeEnv) {
	case modeOrphanHost:
		orphanHost()
		return
	case modeBadProtocol:
		fmt.Println("1|99|unix|/tmp/nowhere|grpc|")
		time.Sleep(time.Minute)
		return
	case modeMute:
		time.Sleep(time.Minute)
		return
	}
	sdktest.Main(m, post(), slow())
}

// post delivers by POSTing the idempotency key and message text to the
// channel's url.
func post() sdk.Provider {
	return sdk.Provider{
		Schema: provschema.Schema{
			Provider: "test/post", Version: "1.0.0", Delivers: true,
			Channel: []provschema.Attribute{{Name: "url", Type: cty.String, Required: true}},
			Message: []provschema.Attribute{{Name: "text", Type: cty.String}},
		},
		Deliver: func(ctx context.Context, d *sdk.Delivery) (string, error) {
			body, _ := json.Marshal(map[string]string{"text": d.Message["text"]})
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, sdk.String(d.Config["url"]), bytes.NewReader(body))
			if err != nil {
				return "", sdk.Permanent(err)
			}
			req.Header.Set("Idempotency-Key", d.IdempotencyKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", sdk.Retryable(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", sdk.Retryable(fmt.Errorf("status %s", resp.Status))
			}
			return d.IdempotencyKey, nil
		},
	}
}

// slow logs and then sleeps through any deadline on the delivery "hang".
func slow() sdk.Provider {
	return sdk.Provider{
		Schema: provschema.Schema{Provider: "test/slow", Version: "1.0.0", Delivers: true,
			Message: []provschema.Attribute{{Name: "text", Type: cty.String}}},
		Deliver: func(ctx context.Context, d *sdk.Delivery) (string, error) {
			sdk.Logger(ctx).Info("delivering slowly", "key", d.IdempotencyKey)
			if d.Message["text"] == "hang" {
				time.Sleep(time.Minute)
			}
			return "done", nil
		},
	}
}

// selfExecutable runs this test binary as the provider p.
func selfExecutable(t testing.TB, p sdk.Provider) host.Executable {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return host.Executable{
		Name: filepath.Base(p.Schema.Provider), Source: p.Schema.Provider, Version: p.Schema.Version,
		Path: self, Args: []string{"-test.run=^$"}, Env: []string{"WAYMARK_SDKTEST_PROVIDER=" + p.Schema.Provider, modeEnv + "="},
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newHost(t testing.TB, log io.Writer, exes ...host.Executable) *host.Host {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	h, err := host.New(host.Options{Logger: hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: log})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	for _, e := range exes {
		if err := h.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// TestRestartDuringDeliveries kills the provider process in the middle of a
// delivery and again between deliveries; the host restarts it, configures
// it again and retries, and the receiver, which drops repeats by
// Idempotency-Key, gets every delivery exactly once.
func TestRestartDuringDeliveries(t *testing.T) {
	const n = 30
	var (
		mu       sync.Mutex
		received = map[string]int{} // attempts by key
		accepted []string
		p        *host.Provider
		pids     = map[int]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		received[key]++
		first := received[key] == 1
		if first {
			accepted = append(accepted, key)
		}
		mu.Unlock()
		if key == "k10" && first {
			// Die with this delivery in flight, before answering.
			if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
				t.Errorf("kill: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	log := &syncBuffer{}
	h := newHost(t, log, selfExecutable(t, post()))
	var err error
	if p, err = h.Provider("test/post"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if diags, err := p.Configure(ctx, "hooks", map[string]cty.Value{"url": cty.StringVal(srv.URL)}); err != nil || len(diags) > 0 {
		t.Fatalf("Configure: %v %v", diags, err)
	}
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("k%d", i)
		if i == 20 {
			// Die between deliveries.
			pid := p.PID()
			syscall.Kill(pid, syscall.SIGKILL)
			waitGone(t, pid)
		}
		id, err := p.Deliver(ctx, &host.Delivery{Kind: host.KindAction, IdempotencyKey: key, Channel: "hooks", CustomerID: "c", Message: map[string]string{"text": "hi"}})
		if err != nil {
			t.Fatalf("delivery %s: %v", key, err)
		}
		if id != key {
			t.Errorf("delivery %s: message id %q", key, id)
		}
		pids[p.PID()] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if len(accepted) != n {
		t.Errorf("receiver accepted %d deliveries, want %d", len(accepted), n)
	}
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("k%d", i)
		want := 1
		if key == "k10" {
			want = 2 // the attempt that died, and its retry
		}
		if received[key] != want {
			t.Errorf("%s reached the receiver %d times, want %d", key, received[key], want)
		}
	}
	if len(pids) != 3 {
		t.Errorf("deliveries ran in %d processes, want 3 (two restarts): %v", len(pids), pids)
	}
	if !strings.Contains(log.String(), "provider process died during a call; restarting it and retrying the call") {
		t.Errorf("the restart is not logged:\n%s", log)
	}
}

// TestDeadline shows that a provider that hangs costs a call no more than
// its deadline, and that the provider still serves other calls.
func TestDeadline(t *testing.T) {
	log := &syncBuffer{}
	h := newHost(t, log, selfExecutable(t, slow()))
	ctx := context.Background()
	if _, err := h.Configure(ctx, "test/slow", "c", nil); err != nil {
		t.Fatal(err)
	}
	d := &host.Delivery{Kind: host.KindAction, IdempotencyKey: "k", Channel: "c", Message: map[string]string{"text": "hang"}}
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Deliver(cctx, "test/slow", d)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung delivery: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("hung delivery returned after %s", took)
	}
	if !host.Retryable(err) {
		t.Errorf("a deadline is not retryable")
	}
	d.Message["text"] = "quick"
	if id, err := h.Deliver(ctx, "test/slow", d); err != nil || id != "done" {
		t.Errorf("delivery after a hang: %q %v", id, err)
	}
	// The provider's log reaches the host's, named after the provider.
	if !strings.Contains(log.String(), "host.provider.slow: delivering slowly: key=k") {
		t.Errorf("provider log line missing:\n%s", log)
	}
}

// TestHashMismatch refuses to run an executable whose hash the lock does
// not record, before and after it has run.
func TestHashMismatch(t *testing.T) {
	exe := selfExecutable(t, post())
	copyPath := filepath.Join(t.TempDir(), "waymark-provider-post")
	copyFile(t, exe.Path, copyPath)
	exe.Path = copyPath
	sum, err := lockfile.HashFile(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	exe.Hashes = []string{"sha256:0000000000000000000000000000000000000000000000000000000000000000", sum}
	h := newHost(t, nil, exe)
	p, _ := h.Provider("test/post")
	ctx := context.Background()
	if _, err := p.Schema(ctx); err != nil {
		t.Fatalf("locked executable refused: %v", err)
	}

	// Kill the process and change the executable: the restart is refused.
	pid := p.PID()
	syscall.Kill(pid, syscall.SIGKILL)
	waitGone(t, pid)
	var f *os.File
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		// The kernel may hold the text of a dead process for a moment.
		if f, err = os.OpenFile(copyPath, os.O_APPEND|os.O_WRONLY, 0); !errors.Is(err, syscall.ETXTBSY) || time.Since(start) > 5*time.Second {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	err = p.Health(ctx)
	var hm *host.HashMismatchError
	if !errors.As(err, &hm) {
		t.Fatalf("changed executable: %v, want a hash mismatch", err)
	}
	msg := err.Error()
	for _, want := range []string{"provider test/post", copyPath, sum, "waymark init -upgrade", lockfile.FileName} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if host.Retryable(err) {
		t.Errorf("a hash mismatch is retryable")
	}
	if p.PID() != 0 {
		t.Errorf("a process runs after the refusal")
	}
}

func TestHandshakeFailures(t *testing.T) {
	self, _ := os.Executable()
	tests := []struct {
		name string
		exe  host.Executable
		want string
	}{
		{"not a provider", host.Executable{Source: "test/sh", Path: "/bin/sh", Args: []string{"-c", "echo hello"}}, "did not answer the Waymark provider handshake"},
		{"protocol version", host.Executable{Source: "test/bad", Path: self, Args: []string{"-test.run=^$"}, Env: []string{modeEnv + "=" + modeBadProtocol}}, "incompatible API version with plugin. Plugin version: 99, Client versions: [1]"},
		{"missing executable", host.Executable{Source: "test/none", Path: "/nonexistent/waymark-provider-none"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(t, nil, tt.exe)
			_, err := h.Schema(context.Background(), "x", tt.exe.Source)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestStartDeadline shows that a provider that never finishes starting
// costs a call no more than its deadline.
func TestStartDeadline(t *testing.T) {
	self, _ := os.Executable()
	h := newHost(t, nil, host.Executable{Source: "test/mute", Path: self, Args: []string{"-test.run=^$"}, Env: []string{modeEnv + "=" + modeMute}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Schema(ctx, "mute", "test/mute")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want a deadline", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("start gave up after %s", took)
	}
}

func TestSchemaChecks(t *testing.T) {
	exe := selfExecutable(t, post())
	exe.Source = "test/other" // serves test/post
	wrongVersion := selfExecutable(t, post())
	wrongVersion.Version = "2.0.0"
	h := newHost(t, nil, exe)
	if _, err := h.Schema(context.Background(), "other", "test/other"); err == nil || !strings.Contains(err.Error(), `serves provider "test/post"`) {
		t.Errorf("wrong source: %v", err)
	}
	h = newHost(t, nil, wrongVersion)
	if _, err := h.Schema(context.Background(), "post", "test/post"); err == nil || !strings.Contains(err.Error(), "installed as version 2.0.0 but reports version 1.0.0") {
		t.Errorf("wrong version: %v", err)
	}
	if _, err := h.Schema(context.Background(), "nope", "acme/nope"); !errors.Is(err, host.ErrNotAvailable) || host.Retryable(err) {
		t.Errorf("unknown provider: %v", err)
	}
}

// TestNoOrphans starts providers from a child process and kills that child
// with SIGKILL: the providers must exit too.
func TestNoOrphans(t *testing.T) {
	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), modeEnv+"="+modeOrphanHost)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("reading the child's provider pids: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(strings.TrimPrefix(line, "pids ")) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("child said %q", line)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("child said %q", line)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("provider %d is not running before the kill", pid)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// orphanHost is the child of TestNoOrphans.
func orphanHost() {
	t := &testing.T{}
	h, err := host.New(host.Options{})
	if err != nil {
		panic(err)
	}
	var pids []string
	for _, p := range []sdk.Provider{post(), slow()} {
		if err := h.Add(selfExecutable(t, p)); err != nil {
			panic(err)
		}
		if err := h.Health(context.Background(), p.Schema.Provider); err != nil {
			panic(err)
		}
		pp, _ := h.Provider(p.Schema.Provider)
		pids = append(pids, strconv.Itoa(pp.PID()))
	}
	fmt.Println("pids " + strings.Join(pids, " "))
	time.Sleep(time.Minute)
}

// alive reports whether pid is a running process (a zombie is not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d is still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, src, 0o755); err != nil {
		t.Fatal(err)
	}
}
