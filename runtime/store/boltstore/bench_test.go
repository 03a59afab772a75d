package boltstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// batch returns n records like the events of an ingestion batch: random
// customers' partitions, an id, about 150 bytes of payload.
func batch(rnd *rand.Rand, next *atomic.Uint64, n int, now time.Time) []store.LogRecord {
	recs := make([]store.LogRecord, n)
	data := make([]byte, 150)
	for i := range recs {
		seq := next.Add(1)
		recs[i] = store.LogRecord{
			Partition: rnd.IntN(store.Partitions),
			ID:        "evt-" + strconv.FormatUint(seq, 36),
			Arrival:   now,
			Time:      now.Add(-time.Duration(rnd.IntN(1000)) * time.Millisecond),
			Data:      data,
		}
	}
	return recs
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report reports the time and the CPU time per record, the CPU time
// counted from cpu0: on a machine shared with other work the first varies
// with the load, the second much less.
func report(b *testing.B, cpu0 time.Duration, records int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(records), "cpu-ns/record")
}

func openBench(b *testing.B) *boltstore.Store {
	s, err := boltstore.Open(b.TempDir(), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkAppend appends batches of 500, durably: one writer (a commit
// per batch) and several (batches sharing commits).
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			var next atomic.Uint64
			b.SetParallelism(writers)
			// RunParallel runs GOMAXPROCS*parallelism goroutines.
			b.ResetTimer()
			cpu0 := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				rnd := rand.New(rand.NewPCG(next.Add(1<<40), 1))
				now := time.Now()
				for pb.Next() {
					if _, err := s.Append(ctx, batch(rnd, &next, 500, now)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			report(b, cpu0, b.N*500)
		})
	}
}

// BenchmarkRead reads a log of 200,000 records to its end in pages of
// 16,384, as a processor does: all partitions, and a third of them (one
// of three replicas), from positions that are equal.
func BenchmarkRead(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(1, 2))
	var next atomic.Uint64
	for range 400 {
		if _, err := s.Append(ctx, batch(rnd, &next, 500, time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	third := make([]int, 0, store.Partitions/3+1)
	for p := 0; p < store.Partitions; p += 3 {
		third = append(third, p)
	}
	all := make([]int, store.Partitions)
	for p := range all {
		all[p] = p
	}
	for _, bench := range []struct {
		name string
		ps   []int
	}{{"partitions=256", all}, {"partitions=86", third}} {
		b.Run(bench.name, func(b *testing.B) {
			records := 0
			cpu0 := cpuTime(b)
			for b.Loop() {
				from := make([]store.From, len(bench.ps))
				for i, p := range bench.ps {
					from[i] = store.From{Partition: p}
				}
				for {
					recs, head, err := s.Read(ctx, from, 16384)
					if err != nil {
						b.Fatal(err)
					}
					records += len(recs)
					to := head.Seq
					if len(recs) == 16384 {
						to = recs[len(recs)-1].Seq
					}
					for i := range from {
						from[i].After = to
					}
					if len(recs) < 16384 {
						break
					}
				}
			}
			report(b, cpu0, records)
		})
	}
}

// BenchmarkCommit commits what processing a stretch of 16,384 events of
// 100,000 customers changes: 4,096 customers (a quarter with a timer that
// moves), their counts, 16,384 facts and the cursors of every partition.
func BenchmarkCommit(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(5, 6))
	const customers, changed = 100000, 4096
	ids := make([]string, customers)
	for i := range ids {
		ids[i] = "customer-" + strconv.Itoa(i)
	}
	data := make([]byte, 300)
	now := time.Now()
	stretch := func(seq uint64) store.Commit {
		var c store.Commit
		for range changed {
			id := ids[rnd.IntN(customers)]
			p := store.PartitionOf(id)
			cu := store.Customer{ID: id, Partition: p, Data: data}
			if rnd.IntN(4) == 0 {
				cu.Due = now.Add(time.Duration(rnd.IntN(3600)) * time.Second)
			}
			c.Customers = append(c.Customers, cu)
			c.Counts = append(c.Counts, store.Count{Partition: p, Key: "j.s1", Delta: -1}, store.Count{Partition: p, Key: "j.s2", Delta: 1})
			for range 4 {
				c.Facts = append(c.Facts, store.Fact{Partition: p, Data: data[:60]})
			}
		}
		for p := range store.Partitions {
			c.Cursors = append(c.Cursors, store.Cursor{Partition: p, Seq: seq, Clock: now, ArrivalClock: now})
		}
		return c
	}
	// The customers exist first.
	for i := 0; i < customers; i += changed {
		var c store.Commit
		for _, id := range ids[i:min(i+changed, customers)] {
			c.Customers = append(c.Customers, store.Customer{ID: id, Data: data})
		}
		if err := s.Commit(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	commits := make([]store.Commit, 8)
	for i := range commits {
		commits[i] = stretch(uint64(i))
	}
	n := 0
	cpu0 := cpuTime(b)
	for b.Loop() {
		if err := s.Commit(ctx, commits[n%len(commits)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	report(b, cpu0, n*16384)
}
