// Package rttest runs a real runtime in the test process, for the tests
// and benchmarks of the deployment commands: the same server that waymark
// runtime serve runs, with an embedded store in a temporary directory,
// without tokens (-insecure-dev) and on the event clock.
//
// It must not be imported outside tests.
package rttest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/server"
)

// Start starts a runtime on a free loopback port and returns its address
// (http://127.0.0.1:PORT). It stops when the test ends.
func Start(tb testing.TB) string {
	tb.Helper()
	return StartSeeded(tb, 0)
}

// StartSeeded is Start with the engine's draws (exploration, control
// group) seeded by seed, so that one stream makes the same decisions on
// every run; 0 draws at random.
func StartSeeded(tb testing.TB, seed uint64) string {
	tb.Helper()
	data := tb.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Config{
			DataDir: data, Listen: "127.0.0.1:0", EventClock: true, Insecure: true, Seed: seed,
			ShutdownTimeout: 5 * time.Second,
			Out:             io.Discard, Log: io.Discard,
			Listening: func(addr string) { addrc <- addr },
		})
	}()
	select {
	case addr := <-addrc:
		tb.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("runtime: %v", err)
			}
		})
		return addr
	case err := <-done:
		cancel()
		tb.Fatalf("starting the runtime: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		tb.Fatal("the runtime did not start within 30s")
	}
	return ""
}
