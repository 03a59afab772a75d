package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/pgstore"
	"github.com/waymarkhq/waymark/runtime/store/pgstore/pgtest"
	"github.com/waymarkhq/waymark/runtime/store/storetest"
)

// replica is one process of the runtime, as far as the store sees it: it
// heartbeats, holds the leases of its share of the partitions, and
// processes their log, counting each customer's events in the customer's
// state.
type replica struct {
	name string
	s    *pgstore.Store
	held map[int]store.Lease
}

const ttl = 5 * time.Second

// balance heartbeats and takes the leases of the partitions that are this
// replica's share among the members alive (partition p is the share of
// member p mod n), and gives up the others.
func (r *replica) balance(ctx context.Context) error {
	members, err := r.s.Heartbeat(ctx, r.name, ttl)
	if err != nil {
		return err
	}
	var names []string
	for _, m := range members {
		names = append(names, m.Name)
	}
	var held []store.Lease
	for _, l := range r.held {
		held = append(held, l)
	}
	kept, err := r.s.RenewLeases(ctx, r.name, held, ttl)
	if err != nil {
		return err
	}
	r.held = map[int]store.Lease{}
	for _, l := range kept {
		r.held[l.Partition] = l
	}
	var want []int
	var release []store.Lease
	for p := range store.Partitions {
		mine := names[p%len(names)] == r.name
		if _, ok := r.held[p]; ok && !mine {
			release = append(release, r.held[p])
			delete(r.held, p)
		} else if !ok && mine {
			want = append(want, p)
		}
	}
	if err := r.s.ReleaseLeases(ctx, release); err != nil {
		return err
	}
	got, err := r.s.AcquireLeases(ctx, r.name, want, ttl)
	if err != nil {
		return err
	}
	for _, l := range got {
		r.held[l.Partition] = l
	}
	return nil
}

// prepare reads a stretch of the log of the partitions held, from their
// cursors, and returns the commit that applies it.
func (r *replica) prepare(ctx context.Context) (store.Commit, error) {
	if len(r.held) == 0 {
		return store.Commit{}, nil
	}
	cursors, err := r.s.Cursors(ctx)
	if err != nil {
		return store.Commit{}, err
	}
	var from []store.From
	c := store.Commit{}
	for p, l := range r.held {
		from = append(from, store.From{Partition: p, After: cursors[p].Seq})
		c.Leases = append(c.Leases, l)
	}
	const max = 300
	recs, head, err := r.s.Read(ctx, from, max)
	if err != nil {
		return store.Commit{}, err
	}
	var ids []string
	events := map[string]int{}
	last := map[int]uint64{}
	for _, rec := range recs {
		if rec.Partition == store.AllPartitions {
			continue
		}
		id := string(rec.Data)
		if events[id] == 0 {
			ids = append(ids, id)
		}
		events[id]++
		last[rec.Partition] = rec.Seq
	}
	known, err := r.s.CustomersByID(ctx, ids)
	if err != nil {
		return store.Commit{}, err
	}
	counts := map[string]int{}
	for _, cu := range known {
		n, err := strconv.Atoi(string(cu.Data))
		if err != nil {
			return store.Commit{}, fmt.Errorf("customer %s: %w", cu.ID, err)
		}
		counts[cu.ID] = n
	}
	for _, id := range ids {
		c.Customers = append(c.Customers, store.Customer{ID: id, Data: []byte(strconv.Itoa(counts[id] + events[id]))})
	}
	for _, f := range from {
		seq := last[f.Partition]
		if len(recs) < max {
			seq = head.Seq // every record of the partition up to the head is read
		}
		if seq > f.After {
			c.Cursors = append(c.Cursors, store.Cursor{Partition: f.Partition, Seq: seq})
		}
	}
	return c, nil
}

// commit commits c; a lease lost drops every lease the commit named.
func (r *replica) commit(ctx context.Context, c store.Commit) (lost bool, err error) {
	if len(c.Cursors) == 0 && len(c.Customers) == 0 {
		return false, nil
	}
	err = r.s.Commit(ctx, c)
	if errors.Is(err, store.ErrLeaseLost) {
		for _, l := range c.Leases {
			delete(r.held, l.Partition)
		}
		return true, nil
	}
	return false, err
}

// TestReplicas runs three replicas of the runtime on one database while
// events are appended through all of them; one pauses past its leases'
// time, the others take its partitions over, and its commit prepared
// before the pause is refused when it wakes. At the end every event was
// counted exactly once.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := pg.DB(t)
	clock := storetest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	var replicas []*replica
	for _, name := range []string{"a", "b", "c"} {
		s := open(t, dsn, clock.Now)
		defer s.Close()
		replicas = append(replicas, &replica{name: name, s: s, held: map[int]store.Lease{}})
	}

	// Events of 500 customers, appended in batches through each replica
	// in turn while the replicas work, in the first 20 rounds.
	const customers, perRound, rounds = 500, 300, 20
	want := map[string]int{}
	rnd := rand.New(rand.NewPCG(1, 2))
	n := 0
	appendSome := func(through *replica) error {
		var recs []store.LogRecord
		for range perRound {
			id := fmt.Sprintf("cust-%d", rnd.IntN(customers))
			want[id]++
			recs = append(recs, store.LogRecord{Partition: store.PartitionOf(id), ID: fmt.Sprintf("evt-%d", n),
				Arrival: clock.Now(), Time: clock.Now(), Data: []byte(id)})
			n++
		}
		_, err := through.s.Append(ctx, recs)
		return err
	}

	a := replicas[0]
	var stale store.Commit
	staleTried := false
	for round := 0; ; round++ {
		if round > 2000 {
			t.Fatal("the replicas did not catch up in 2000 rounds")
		}
		clock.Add(time.Second)
		paused := round >= 10 && round < 20 // a sleeps past its leases' time
		if round == 10 {
			// Events in a's partitions that it has not processed: what its
			// stale commit would count.
			if err := appendSome(replicas[1]); err != nil {
				t.Fatal(err)
			}
			var err error
			if stale, err = a.prepare(ctx); err != nil {
				t.Fatal(err)
			}
			if len(stale.Customers) == 0 {
				t.Fatal("a had nothing to commit when it paused")
			}
		}
		if round == 20 {
			lost, err := a.commit(ctx, stale)
			if err != nil {
				t.Fatal(err)
			}
			if !lost {
				t.Fatal("a's commit prepared before its pause was taken after the others took its partitions")
			}
			staleTried = true
		}
		var wg sync.WaitGroup
		errs := make([]error, len(replicas))
		var appendErr error
		if round < rounds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				appendErr = appendSome(replicas[round%3])
			}()
		}
		for i, r := range replicas {
			if paused && r == a {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.balance(ctx); err != nil {
					errs[i] = err
					return
				}
				c, err := r.prepare(ctx)
				if err == nil {
					_, err = r.commit(ctx, c)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if appendErr != nil {
			t.Fatal(appendErr)
		}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, replica %s: %v", round, replicas[i].name, err)
			}
		}
		if paused && round == 19 && len(a.held) > 0 {
			// a still believes it holds them; the store says otherwise.
			leases, err := a.s.Leases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for p := range a.held {
				if leases[p].Owner == "a" {
					t.Fatalf("partition %d still a's after its pause", p)
				}
			}
		}
		if round < 25 {
			continue // the appends are done, and a is back
		}
		head, err := a.s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cursors, err := a.s.Cursors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		caughtUp := true
		for _, c := range cursors {
			caughtUp = caughtUp && c.Seq == head.Seq
		}
		if caughtUp {
			break
		}
	}
	if !staleTried {
		t.Fatal("the stale commit was never tried")
	}

	// Every event was counted once, whichever replicas processed it.
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	got, err := a.s.CustomersByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d customers, want %d", len(got), len(ids))
	}
	total := 0
	for _, cu := range got {
		n, _ := strconv.Atoi(string(cu.Data))
		total += n
		if n != want[cu.ID] {
			t.Errorf("customer %s: %d events counted, want %d", cu.ID, n, want[cu.ID])
		}
	}
	if total != n {
		t.Fatalf("%d events counted, want %d", total, n)
	}
	// And the work was shared.
	leases, err := a.s.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]int{}
	for _, l := range leases {
		owners[l.Owner]++
	}
	for _, r := range replicas {
		if owners[r.name] == 0 {
			t.Errorf("replica %s holds no partition at the end: %v", r.name, owners)
		}
	}
}

// TestServerCrash kills the database server while appends are in flight:
// every append that returned is in the log after the restart, the store
// reconnects by itself, and the log's order holds.
func TestServerCrash(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	dsn := srv.DB(t)
	s := open(t, dsn, time.Now)
	defer s.Close()

	var mu sync.Mutex
	acked := map[string]uint64{} // id -> seq, of the appends that returned
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				var recs []store.LogRecord
				for i := range 20 {
					id := fmt.Sprintf("w%d-%d-%d", w, b, i)
					recs = append(recs, store.LogRecord{Partition: store.PartitionOf(id), ID: id, Arrival: time.Now(), Data: []byte(id)})
				}
				seqs, err := s.Append(ctx, recs)
				if err != nil {
					time.Sleep(10 * time.Millisecond) // the server is down
					continue
				}
				mu.Lock()
				for i, r := range recs {
					acked[r.ID] = seqs[i]
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	if before == 0 {
		t.Fatal("no append returned before the crash")
	}
	time.Sleep(300 * time.Millisecond)
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// Appends go on after the restart, on the same store.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= before+200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not append again after the restart (%d acknowledged before, %d now)", before, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	var all []store.LogRecord
	from := make([]store.From, store.Partitions)
	for p := range from {
		from[p].Partition = p
	}
	for {
		recs, _, err := s.Read(ctx, from, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		all = append(all, recs...)
		for p := range from {
			from[p].After = recs[len(recs)-1].Seq
		}
	}
	inLog := map[string]uint64{}
	for i, r := range all {
		if i > 0 && r.Seq <= all[i-1].Seq {
			t.Fatalf("the log out of order at %d", r.Seq)
		}
		inLog[r.ID] = r.Seq
	}
	for id, seq := range acked {
		if got, ok := inLog[id]; !ok || got != seq {
			t.Fatalf("record %s, acknowledged at %d, is in the log at %d (%v)", id, seq, got, ok)
		}
	}
	t.Logf("%d records acknowledged, %d before the crash; %d in the log", len(acked), before, len(all))
}
