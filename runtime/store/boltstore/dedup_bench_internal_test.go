package boltstore

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// BenchmarkDedupSeen measures a look-up of an id not in the window (the
// common case: every run is searched) with 10 million ids indexed, and
// reports the index's bytes per id.
func BenchmarkDedupSeen(b *testing.B) {
	const n = 10_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := newDedupIndex(7 * 24 * time.Hour)
	for i := range n {
		x.addSum(uint64(i)*0x9e3779b97f4a7c15, uint64(i+1))
		if i%500 == 499 {
			x.mark(uint64(i+1), uint64(i))
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perID, runs := float64(after.HeapAlloc-before.HeapAlloc)/n, len(x.runs)
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("absent-%d", i)
	}
	b.ResetTimer()
	for i := range b.N {
		if x.seen(nil, ids[i%len(ids)]) {
			b.Fatal("an absent id is seen")
		}
	}
	b.ReportMetric(perID, "B/id")
	b.ReportMetric(float64(runs), "runs")
}

// BenchmarkDedupSaveLoad measures, with 10 million ids indexed, the
// longest seal (the largest merge, in the commit loop), saving the index
// at close and opening the store with it.
func BenchmarkDedupSaveLoad(b *testing.B) {
	const n = 10_000_000
	dir := b.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []store.LogRecord{{ID: "one", Arrival: time.Now(), Data: []byte("x")}}); err != nil {
		b.Fatal(err)
	}
	x := s.dedup
	now := timeKey(time.Now())
	var longest time.Duration
	for i := range n {
		x.addSum(uint64(i)*0x9e3779b97f4a7c15, uint64(i+2))
		if i%500 == 499 {
			t0 := time.Now()
			x.mark(uint64(i+2), now)
			longest = max(longest, time.Since(t0))
		}
	}
	b.ResetTimer()
	t0 := time.Now()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	saved := time.Since(t0)
	t0 = time.Now()
	if s, err = Open(dir, Options{}); err != nil {
		b.Fatal(err)
	}
	opened := time.Since(t0)
	defer s.Close()
	if got := s.dedup.len(); got != n+1 {
		b.Fatalf("%d ids read back, want %d", got, n+1)
	}
	b.ReportMetric(longest.Seconds(), "longest-seal-s")
	b.ReportMetric(saved.Seconds(), "save-s")
	b.ReportMetric(opened.Seconds(), "open-s")
}
