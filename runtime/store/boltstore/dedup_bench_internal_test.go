package boltstore

import (
	"fmt"
	"runtime"
	"testing"
	"time"
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
