package service_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
	"github.com/waymarkhq/waymark/runtime/store/pgstore"
	"github.com/waymarkhq/waymark/runtime/store/pgstore/pgtest"
)

// BenchmarkIngestDurable measures durable ingestion processed through three
// journeys: batches of 500 JSON Lines events from 4 concurrent clients,
// each decoded, validated, made durable (fsync, group commit) and processed
// by the engine, whose state is committed; the clock stops once every event
// is processed. It reports events/s.
func BenchmarkIngestDurable(b *testing.B) {
	st, err := boltstore.Open(b.TempDir(), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ingestDurable(b, st)
}

// BenchmarkIngestDurablePostgres is BenchmarkIngestDurable on a real
// PostgreSQL server (fsync on) on this machine, with one replica.
func BenchmarkIngestDurablePostgres(b *testing.B) {
	ctx := context.Background()
	pg := pgtest.Start(b)
	st, err := pgstore.Open(ctx, pg.DB(b), pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv0, err := pg.CPU()
	if err != nil {
		b.Fatal(err)
	}
	ingestDurable(b, st)
	srv1, err := pg.CPU()
	if err != nil {
		b.Fatal(err)
	}
	// The server's CPU time, setup included (small beside the events'):
	// on one machine, the other half of what an event costs.
	b.ReportMetric(float64((srv1-srv0).Microseconds())/float64(b.N*500), "server-cpu-µs/event")
}

func ingestDurable(b *testing.B, st store.Store) {
	const batch, customers, clients = 500, 10000, 4
	ctx := context.Background()
	key := make([]byte, service.KeySize)
	rand.Read(key)
	svc, err := service.New(ctx, service.Config{Store: st, SecretKey: key, MaxBacklog: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	defer func() { stop(); <-done }()
	if _, err := svc.Deploy(ctx, "bench", 0, fixture.ThreeJourneys("bench"), "bench"); err != nil {
		b.Fatal(err)
	}
	types := []string{`"cart_updated","attributes":{"cart_value":30}`, `"checkout_started"`, `"order_placed","attributes":{"amount":12}`}
	var seq atomic.Int64
	body := func() []byte {
		var sb strings.Builder
		for i := 0; i < batch; i++ {
			n := seq.Add(1)
			fmt.Fprintf(&sb, `{"id":"e%d","type":%s,"customer_id":"c-%d"}`+"\n", n, types[(n/customers)%3], n%customers)
		}
		return []byte(sb.String())
	}
	bodies := make(chan []byte, b.N)
	for i := 0; i < b.N; i++ {
		bodies <- body()
	}
	close(bodies)
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bd := range bodies {
				res, err := svc.Ingest(ctx, bd, events.DefaultLimits)
				if err != nil || res.Accepted != batch {
					b.Errorf("ingest: %+v %v", res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := svc.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "events/s")
	// CPU time per event does not depend on what else runs on the machine
	// as wall time does: 2 cores / this is the rate two free cores reach
	// when nothing else (such as fsync) holds it back.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/event")
}

// cpuTime is the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
