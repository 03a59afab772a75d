package service_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// BenchmarkIngestAtScale measures what durable ingestion through three
// journeys costs as the customers grow, on the embedded store, with the
// engine keeping at most 100,000 customers in memory: for each number of
// customers (WAYMARK_BENCH_CUSTOMERS, a comma-separated list; default
// 10,000, 100,000 and 1,000,000) it fills a store with that many customers
// in flight, restarts the runtime on it (reporting the time until it is
// ready, start-s, and until analytics has restored its snapshot too,
// analytics-start-s, and then the resident memory), then sends 100,000
// events of customers drawn across all of them and reports events/s,
// CPU-µs per event and the peak resident memory.
// WAYMARK_BENCH_HEAPPROFILE=FILE writes the heap after each restart to
// FILE.<customers>. WAYMARK_BENCH_DIR=DIR keeps the stores in
// DIR/<customers> and fills only those not yet filled, so that a second
// run measures the restart in a process that did not fill (its memory not
// left over from the fill).
func BenchmarkIngestAtScale(b *testing.B) {
	sizes := []int{10_000, 100_000, 1_000_000}
	if v := os.Getenv("WAYMARK_BENCH_CUSTOMERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("WAYMARK_BENCH_CUSTOMERS: %q is not a number of customers", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) { ingestAtScale(b, n) })
	}
}

const scaleCache = 100_000

func ingestAtScale(b *testing.B, customers int) {
	ctx := context.Background()
	dir, key, filled := benchDir(b, customers)
	open := func() (*service.Service, func()) {
		st, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		svc, err := service.New(ctx, service.Config{Store: st, SecretKey: key, MaxBacklog: 1 << 30, CacheSize: scaleCache})
		if err != nil {
			b.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- svc.Run(rctx) }()
		return svc, func() {
			stop()
			if err := <-done; err != nil {
				b.Error(err)
			}
			st.Close()
		}
	}
	send := func(svc *service.Service, body []byte, want int) {
		res, err := svc.Ingest(ctx, body, events.Limits{MaxEvents: 20000, MaxEventBytes: 64 << 10})
		if err != nil || res.Accepted != want {
			b.Fatalf("ingest: %+v %v", res, err)
		}
	}
	// Fill: every customer enters the three journeys.
	var fillTime time.Duration
	if !filled {
		svc, stop := open()
		if _, err := svc.Deploy(ctx, "bench", 0, fixture.ThreeJourneys("bench"), "bench"); err != nil {
			b.Fatal(err)
		}
		fill := time.Now()
		const batch = 10_000
		for i := 0; i < customers; i += batch {
			var sb strings.Builder
			m := min(batch, customers-i)
			for j := i; j < i+m; j++ {
				fmt.Fprintf(&sb, `{"id":"f%d","type":"cart_updated","customer_id":"c-%d","attributes":{"cart_value":30}}`+"\n", j, j)
			}
			send(svc, []byte(sb.String()), m)
		}
		if err := svc.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		fillTime = time.Since(fill)
		stop()
		if d := os.Getenv("WAYMARK_BENCH_DIR"); d != "" {
			if err := os.WriteFile(filepath.Join(dir, "filled"), nil, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}

	// Restart on the full store.
	runtime.GC()
	started := time.Now()
	svc, stop := open()
	defer stop()
	for !svc.Ready() {
		time.Sleep(time.Millisecond)
	}
	startTime := time.Since(started)
	// Analytics restores its snapshot (with the runs in flight) on its
	// own; the resident memory is measured once it has.
	if _, err := svc.Analytics(ctx, "bench", "upsell", analytics.Range{}); err != nil {
		b.Fatal(err)
	}
	analyticsTime := time.Since(started)
	rssStart := rss()
	if f := os.Getenv("WAYMARK_BENCH_HEAPPROFILE"); f != "" {
		writeHeapProfile(b, fmt.Sprintf("%s.%d", f, customers))
	}

	const events, per = 100_000, 500
	bodies := make([][]byte, 0, events/per)
	run := time.Now().UnixNano() // new ids on each run over a kept store
	seq := 0
	for k := 0; k < events/per; k++ {
		var sb strings.Builder
		for j := 0; j < per; j++ {
			seq++
			c := (seq * 7919) % customers // spread over every customer, most out of memory
			fmt.Fprintf(&sb, `{"id":"m%d-%d","type":"checkout_started","customer_id":"c-%d"}`+"\n", run, seq, c)
		}
		bodies = append(bodies, []byte(sb.String()))
	}
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		cpu0 := cpuTime()
		for _, bd := range bodies {
			send(svc, bd, per)
		}
		if err := svc.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed, cpu := time.Since(t0), cpuTime()-cpu0
		b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
		break // one pass: the events are not sent twice
	}
	b.StopTimer()
	b.ReportMetric(startTime.Seconds(), "start-s")
	b.ReportMetric(analyticsTime.Seconds(), "analytics-start-s")
	b.ReportMetric(float64(rssStart)/(1<<20), "rss-start-MiB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MiB")
	if !filled {
		b.ReportMetric(fillTime.Seconds(), "fill-s")
	}
}

// benchDir is the store directory for customers and its secret key, and
// whether it is filled already (WAYMARK_BENCH_DIR).
func benchDir(b *testing.B, customers int) (string, []byte, bool) {
	root := os.Getenv("WAYMARK_BENCH_DIR")
	if root == "" {
		key := make([]byte, service.KeySize)
		rand.Read(key)
		return b.TempDir(), key, false
	}
	dir := filepath.Join(root, strconv.Itoa(customers))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	keyFile := filepath.Join(dir, "bench.key")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		key = make([]byte, service.KeySize)
		rand.Read(key)
		if err := os.WriteFile(keyFile, key, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	_, err = os.Stat(filepath.Join(dir, "filled"))
	return dir, key, err == nil
}

// writeHeapProfile writes what the heap holds now to file, after a
// collection, for `go tool pprof -sample_index=inuse_space`.
func writeHeapProfile(b *testing.B, file string) {
	runtime.GC()
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// rss is the resident memory of the process now.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// peakRSS is the most resident memory the process has had.
func peakRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}
