package sdktest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk"
)

// serveEnv names the provider a re-executed test binary serves.
const serveEnv = "WAYMARK_SDKTEST_PROVIDER"

// Main runs the tests, unless this process is a test binary re-executed by
// Process, in which case it serves the provider that Process asked for.
// Call it from TestMain with every provider the tests run with Process:
//
//	func TestMain(m *testing.M) { sdktest.Main(m, webhook.Provider("test")) }
func Main(m *testing.M, providers ...sdk.Provider) {
	if src := os.Getenv(serveEnv); src != "" {
		for _, p := range providers {
			if p.Schema.Provider == src {
				sdk.Serve(p)
				os.Exit(0)
			}
		}
		os.Stderr.WriteString("sdktest: no provider " + src + " was passed to sdktest.Main\n")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// Process runs p as a real plugin process, this test binary re-executed
// (TestMain must call Main with p), and returns it through a host. The
// process is killed at the end of the test.
func Process(t testing.TB, p sdk.Provider) *host.Provider {
	t.Helper()
	return ProcessWith(t, p, host.Options{})
}

// ProcessWith is Process with a host configured by opts; a nil Logger or
// Stdout writes to the test's log.
func ProcessWith(t testing.TB, p sdk.Provider, opts host.Options) *host.Provider {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return run(t, opts, host.Executable{
		Source:  p.Schema.Provider,
		Version: p.Schema.Version,
		Path:    self,
		Args:    []string{"-test.run=^$"},
		Env:     []string{serveEnv + "=" + p.Schema.Provider},
	})
}

// Executable runs the provider executable e as a real plugin process and
// returns it through a host, which is closed at the end of the test.
func Executable(t testing.TB, e host.Executable) *host.Provider {
	t.Helper()
	return run(t, host.Options{}, e)
}

// InProcess serves p in this process over gRPC on a local socket and
// returns it through a host attached to it, as WAYMARK_REATTACH_PROVIDERS
// would attach. It stops at the end of the test.
func InProcess(t testing.TB, p sdk.Provider) *host.Provider {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattach, done, err := sdk.ServeDebug(ctx, p)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return run(t, host.Options{Reattach: reattach}, host.Executable{Source: p.Schema.Provider, Version: p.Schema.Version})
}

func run(t testing.TB, opts host.Options, e host.Executable) *host.Provider {
	t.Helper()
	w := &testWriter{t: t}
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: w})
	}
	if opts.Stdout == nil {
		opts.Stdout = w
	}
	h, err := host.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Close()
		w.stop()
	})
	if opts.Reattach == "" {
		if err := h.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	p, err := h.Provider(e.Source)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testWriter writes to the test's log until the test ends.
type testWriter struct {
	t       testing.TB
	mu      sync.Mutex
	stopped bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}
