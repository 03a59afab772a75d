package api_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store/pgstore/pgtest"
)

// BenchmarkReplicasOnPostgres is issue #12's figure for PostgreSQL on the
// same machine: durable events/s with one replica, the CPU time per event
// (of the replicas and of PostgreSQL together) with one and with three
// replicas and its ratio, and how long the partitions of a SIGKILLed
// replica take to move.
//
// Each round starts the replicas on a new database of one server, deploys
// stack ha, waits until the partitions are spread, then sends the same
// events round-robin to the replicas (batches of 500, a few clients at
// once) and waits until every one is processed. Rounds alternate 1, 3, 1,
// 3 replicas so that a drift of the machine (caches, another load) falls
// on both sizes alike. A three-replica round ends by killing a replica.
func BenchmarkReplicasOnPostgres(b *testing.B) {
	const customers, pings = 20_000, 4
	pg := pgtest.Start(b)
	b.Setenv("WAYMARK_SECRET_KEY", secretKey(b))
	_, url := startReceiver(b)
	doc := haDoc(url)
	batches := pingStream(customers, pings)
	events := float64(customers * pings)

	type total struct {
		cpu  time.Duration
		wall time.Duration
		n    float64
	}
	var sizes [4]total // by replicas
	var failover []time.Duration
	b.ResetTimer()
	for range b.N {
		for round, n := range []int{1, 3, 1, 3} {
			dsn := pg.DB(b)
			ps := make([]*proc, n)
			for i := range ps {
				ps[i] = replica(b, dsn, fmt.Sprintf("r%d", i))
				if i == 0 {
					if _, err := ps[0].client("").Deploy(ctx(b), "ha", 0, doc); err != nil {
						b.Fatal(err)
					}
				}
			}
			eventually(b, 30*time.Second, func() error {
				sum := 0
				for _, p := range ps {
					h := partitionsHeld(b, p)
					if h == 0 {
						return fmt.Errorf("%s holds no partition", p.addr)
					}
					sum += h
				}
				if sum != 256 {
					return fmt.Errorf("%d partitions held", sum)
				}
				return nil
			})
			pids := map[int]bool{}
			for _, p := range ps {
				pids[p.cmd.Process.Pid] = true
			}
			st0 := dbStats(b, dsn)
			rep0, pg0 := childrenCPU(b, pids)
			start := time.Now()
			send(b, ps, batches, 6)
			if err := ps[0].client("").Sync(ctx(b)); err != nil {
				b.Fatal(err)
			}
			wall := time.Since(start)
			rep1, pg1 := childrenCPU(b, pids)
			cpu := rep1 - rep0 + pg1 - pg0
			sizes[n].cpu += cpu
			sizes[n].wall += wall
			sizes[n].n += events
			time.Sleep(1500 * time.Millisecond) // the servers' statistics are flushed at most once a second
			st := dbStats(b, dsn).minus(st0)
			us := func(d time.Duration) float64 { return float64(d.Microseconds()) / events }
			b.Logf("round %d, %d replicas: %.0f events/s, %.1f CPU-µs/event (replicas %.1f, PostgreSQL %.1f); per 1000 events %.1f transactions, %.0f rows read, %.0f written",
				round, n, events/wall.Seconds(), us(cpu), us(rep1-rep0), us(pg1-pg0),
				1000*float64(st.commits)/events, 1000*float64(st.read)/events, 1000*float64(st.written)/events)
			if n == 3 {
				ps[2].cmd.Process.Signal(syscall.SIGKILL)
				<-ps[2].done
				killed := time.Now()
				eventually(b, 30*time.Second, func() error {
					if h := partitionsHeld(b, ps[0]) + partitionsHeld(b, ps[1]); h != 256 {
						return fmt.Errorf("the live replicas hold %d partitions", h)
					}
					return nil
				})
				failover = append(failover, time.Since(killed))
			}
			for _, p := range ps {
				p.stop()
			}
		}
	}
	b.StopTimer()
	perEvent := func(t total) float64 { return float64(t.cpu.Microseconds()) / t.n }
	b.ReportMetric(sizes[1].n/sizes[1].wall.Seconds(), "events/s-1replica")
	b.ReportMetric(sizes[3].n/sizes[3].wall.Seconds(), "events/s-3replicas")
	b.ReportMetric(perEvent(sizes[1]), "CPU-µs/event-1replica")
	b.ReportMetric(perEvent(sizes[3]), "CPU-µs/event-3replicas")
	b.ReportMetric(perEvent(sizes[3])/perEvent(sizes[1]), "CPU-ratio-3/1")
	var worst time.Duration
	for _, d := range failover {
		worst = max(worst, d)
	}
	b.ReportMetric(worst.Seconds(), "failover-s")
	b.ReportMetric(0, "ns/op") // a round's time says nothing
}

// pgStats are a database's counters of transactions and rows.
type pgStats struct{ commits, read, written int64 }

func (a pgStats) minus(b pgStats) pgStats {
	return pgStats{a.commits - b.commits, a.read - b.read, a.written - b.written}
}

// dbStats reads the counters of dsn's database from pg_stat_database.
func dbStats(b *testing.B, dsn string) pgStats {
	b.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	var st pgStats
	err = c.QueryRow(context.Background(), `SELECT xact_commit, tup_returned + tup_fetched, tup_inserted + tup_updated + tup_deleted
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&st.commits, &st.read, &st.written)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// pingStream is pings of each customer in turn, in batches of 500, 10 ms
// of event time apart.
func pingStream(customers, pings int) [][]byte {
	base := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	var batches [][]byte
	var sb strings.Builder
	for k := range pings {
		for i := range customers {
			n := k*customers + i
			at := base.Add(time.Duration(n) * 10 * time.Millisecond)
			fmt.Fprintf(&sb, `{"id":"p%d-%d","type":"ping","customer_id":"c%d","timestamp":%q,"attributes":{"n":%d}}`+"\n", k, i, i, at.Format(time.RFC3339Nano), k)
			if (n+1)%500 == 0 {
				batches = append(batches, []byte(sb.String()))
				sb.Reset()
			}
		}
	}
	if sb.Len() > 0 {
		batches = append(batches, []byte(sb.String()))
	}
	return batches
}

// send sends batches round-robin to ps from clients at once, failing on
// any batch not accepted whole.
func send(b *testing.B, ps []*proc, batches [][]byte, clients int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < len(batches); i += clients {
				to := ps[i%len(ps)]
				res, err := to.client("").SendEvents(ctx(b), batches[i])
				if err == nil && len(res.Rejected) > 0 {
					err = fmt.Errorf("rejected %+v", res.Rejected[0])
				}
				if err != nil {
					errs <- fmt.Errorf("batch %d to %s: %w", i, to.addr, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// childrenCPU is the CPU time (user and system) of every process
// descended from this one, with that of their children that have exited
// (a PostgreSQL backend, when its connection closed): from /proc, in
// clock ticks of 10 ms. It is split into the processes of replicas (and
// their descendants) and the others (PostgreSQL's).
func childrenCPU(b *testing.B, replicas map[int]bool) (ofReplicas, others time.Duration) {
	b.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	type stat struct {
		ppid  int
		ticks int64
	}
	procs := map[int]stat{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// The fields after the command, which is in parentheses and may
		// hold anything: state ppid ... utime(14) stime cutime cstime.
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		var ticks int64
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
		procs[pid] = stat{ppid, ticks}
	}
	self := os.Getpid()
	var rep, oth int64
	for pid, st := range procs {
		inReplica := replicas[pid]
		for p := st.ppid; p > 1; p = procs[p].ppid {
			inReplica = inReplica || replicas[p]
			if p == self {
				if inReplica {
					rep += st.ticks
				} else {
					oth += st.ticks
				}
				break
			}
			if _, ok := procs[p]; !ok {
				break
			}
		}
	}
	tick := 10 * time.Millisecond
	return time.Duration(rep) * tick, time.Duration(oth) * tick
}
