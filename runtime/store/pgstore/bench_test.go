package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/pgstore"
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

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time the shared server has used.
func serverCPU(b *testing.B) time.Duration {
	d, err := pg.Server(b).CPU()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkAppend appends batches durably (fsync on, a commit waits for
// its WAL flush), from several writers whose batches share commits. It
// reports records/s, and the CPU time a record costs, this process's and
// the server's: on a machine shared with other work the first varies with
// the load, the second much less.
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct{ writers, size, committers int }{
		{2, 500, 1}, {16, 500, 1}, {16, 500, 2}, {64, 10, 1}, {64, 10, 2}, {64, 100, 2},
	} {
		b.Run(fmt.Sprintf("writers=%d/batch=%d/committers=%d", c.writers, c.size, c.committers), func(b *testing.B) {
			s, err := pgstore.Open(context.Background(), pg.DB(b), pgstore.Options{Committers: c.committers})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			var next atomic.Uint64
			// RunParallel runs GOMAXPROCS*parallelism goroutines.
			b.SetParallelism(max(1, c.writers/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			cpu0, srv0 := cpuTime(b), serverCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				rnd := rand.New(rand.NewPCG(next.Add(1<<40), 1))
				now := time.Now()
				for pb.Next() {
					if _, err := s.Append(ctx, batch(rnd, &next, c.size, now)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			records := float64(b.N * c.size)
			b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
			cpu1, srv1 := cpuTime(b), serverCPU(b)
			b.ReportMetric(float64(cpu1-cpu0)/records, "client-cpu-ns/record")
			b.ReportMetric(float64(srv1-srv0)/records, "server-cpu-ns/record")
		})
	}
}

// BenchmarkRead reads a log of 200,000 records from its start, max records
// at a time, as a replica catching up would: all partitions (one scan in
// order of seq) and four (a range of each).
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pg.DB(b), pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rnd := rand.New(rand.NewPCG(1, 1))
	var next atomic.Uint64
	for range 200 {
		if _, err := s.Append(ctx, batch(rnd, &next, 1000, time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct{ parts, max int }{{store.Partitions, 1000}, {4, 1000}} {
		b.Run(fmt.Sprintf("partitions=%d/max=%d", c.parts, c.max), func(b *testing.B) {
			from := make([]store.From, c.parts)
			for p := range from {
				from[p].Partition = p
			}
			records := 0
			for b.Loop() {
				recs, _, err := s.Read(ctx, from, c.max)
				if err != nil {
					b.Fatal(err)
				}
				if len(recs) == 0 { // at the end: from the start again
					for p := range from {
						from[p].After = 0
					}
					continue
				}
				records += len(recs)
				for p := range from {
					from[p].After = recs[len(recs)-1].Seq
				}
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkCommit commits what the engine commits in the durable
// ingestion benchmark (runtime/service) per stretch of the log: every
// partition's lease and cursor, about 4,700 customers of 700 bytes out of
// 10,000, 12,800 facts of 70 bytes and 870 counts. It reports the
// customers committed per second and the server's CPU time a customer
// costs.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pg.DB(b), pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ps := make([]int, store.Partitions)
	for p := range ps {
		ps[p] = p
	}
	leases, err := s.AcquireLeases(ctx, "bench", ps, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	const customers, perCommit, facts, counts = 10000, 4700, 12800, 870
	rnd := rand.New(rand.NewPCG(1, 1))
	data := make([]byte, 700)
	fact := make([]byte, 70)
	commit := func(i int) store.Commit {
		c := store.Commit{Leases: leases}
		seen := map[int]bool{}
		for range perCommit {
			id := "c-" + strconv.Itoa(rnd.IntN(customers))
			p := store.PartitionOf(id)
			c.Customers = append(c.Customers, store.Customer{ID: id, Partition: p, Data: data})
			seen[p] = true
		}
		for range facts {
			c.Facts = append(c.Facts, store.Fact{Partition: rnd.IntN(store.Partitions), Data: fact})
		}
		for range counts {
			c.Counts = append(c.Counts, store.Count{Partition: rnd.IntN(store.Partitions), Key: "j/s" + strconv.Itoa(rnd.IntN(8)), Delta: 1})
		}
		for p := range store.Partitions {
			c.Cursors = append(c.Cursors, store.Cursor{Partition: p, Seq: uint64(i + 1)})
		}
		return c
	}
	// The customers exist already, as in a run past its start.
	if err := s.Commit(ctx, commit(0)); err != nil {
		b.Fatal(err)
	}
	commits := make([]store.Commit, b.N)
	for i := range commits {
		commits[i] = commit(i + 1)
	}
	b.ResetTimer()
	cpu0, srv0 := cpuTime(b), serverCPU(b)
	for i := range b.N {
		if err := s.Commit(ctx, commits[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu1, srv1 := cpuTime(b), serverCPU(b)
	n := float64(b.N * perCommit)
	b.ReportMetric(n/b.Elapsed().Seconds(), "customers/s")
	b.ReportMetric(float64(cpu1-cpu0)/n, "client-cpu-ns/customer")
	b.ReportMetric(float64(srv1-srv0)/n, "server-cpu-ns/customer")
}
