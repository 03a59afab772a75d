package analytics_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// BenchmarkRead reads every KPI, and the whole report, of a journey fed
// ten and a hundred times more records: the time per read stays flat,
// since a read merges the buckets of a window, not the records.
func BenchmarkRead(b *testing.B) {
	js := []analytics.Journey{journey(2*day, allKPIs...)}
	for _, runs := range []int{2_500, 25_000, 250_000} {
		fd := randomFeed(runs, 7*day, 3)
		a := analytics.New(analytics.Options{})
		a.Configure(js)
		a.Apply(fd.recs...)
		now := at(7 * day)
		records := fmt.Sprintf("records=%d", len(fd.recs))
		fd = nil // a runtime keeps the aggregates, not the records
		b.Run("kpis/"+records, func(b *testing.B) {
			for b.Loop() {
				if _, err := a.KPIs("growth", "cart", now); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("report/"+records, func(b *testing.B) {
			for b.Loop() {
				if _, err := a.Report("growth", "cart", now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApply is the cost of feeding one record, with a report read
// once the first records are in.
func BenchmarkApply(b *testing.B) {
	fd := randomFeed(50_000, 7*day, 4)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		a := analytics.New(analytics.Options{})
		a.Configure([]analytics.Journey{journey(2*day, allKPIs...)})
		// A report first, so that every record also updates the running
		// sums of the windows and their slices, as in a runtime.
		if _, err := a.Report("growth", "cart", t0.Add(3*day)); err != nil {
			b.Fatal(err)
		}
		a.Apply(fd.recs...)
		n += len(fd.recs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

// BenchmarkMemoryPerRun reports the heap that analytics holds per journey
// run in flight (the quality target is 2 KiB per customer in flight in
// three journeys, for everything the runtime keeps).
func BenchmarkMemoryPerRun(b *testing.B) {
	const runs = 100_000
	for b.Loop() {
		a := analytics.New(analytics.Options{})
		a.Configure([]analytics.Journey{journey(2*day, allKPIs...)})
		recs := make([]analytics.Record, runs)
		for i := range recs {
			recs[i] = analytics.Record{Transition: &analytics.Transition{Time: t0.Add(time.Duration(i) * time.Second), Stack: "growth",
				Journey: "cart", Customer: fmt.Sprintf("c-%07d", i), Run: 1, To: "browsing", Reason: analytics.ReasonEntered}}
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		a.Apply(recs...)
		runtime.GC()
		runtime.ReadMemStats(&after)
		// The customer ids are the records' strings, shared as the engine's
		// are: not counted.
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/runs, "B/run")
		runtime.KeepAlive(a)
		runtime.KeepAlive(recs)
	}
}
