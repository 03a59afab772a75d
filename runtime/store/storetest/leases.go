package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

func members(ms []store.Member) string {
	out := []string{}
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s@%s", m.Name, m.Expires.Sub(start)))
	}
	return fmt.Sprint(out)
}

func testHeartbeat(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	s2 := share(t, o, s, c)
	steps := []struct {
		advance time.Duration
		on      store.Store
		owner   string
		ttl     time.Duration
		want    string
	}{
		{0, s, "r2", 10 * time.Second, "[r2@10s]"},
		{time.Second, s2, "r1", 30 * time.Second, "[r1@31s r2@10s]"},
		{8 * time.Second, s, "r3", 5 * time.Second, "[r1@31s r2@10s r3@14s]"},
		// r2's heartbeat runs out at 10s: at 10s it is gone.
		{time.Second, s2, "r3", 5 * time.Second, "[r1@31s r3@15s]"},
		{20 * time.Second, s, "r2", 10 * time.Second, "[r1@31s r2@40s]"},
		{time.Second, s, "r2", 10 * time.Second, "[r2@41s]"},
		{0, s2, "r3", 5 * time.Second, "[r2@41s r3@36s]"},
		// A heartbeat of no time is a member leaving.
		{0, s, "r2", 0, "[r3@36s]"},
		{0, s2, "r3", -time.Second, "[]"},
	}
	for i, st := range steps {
		c.Add(st.advance)
		if got := members(must(st.on.Heartbeat(ctx, st.owner, st.ttl))); got != st.want {
			t.Fatalf("step %d: Heartbeat(%s) at %s: %s, want %s", i, st.owner, c.Now().Sub(start), got, st.want)
		}
	}
}

func lease(l store.Lease) string {
	if l.Owner == "" {
		return fmt.Sprintf("%d:-/%d", l.Partition, l.Epoch)
	}
	return fmt.Sprintf("%d:%s/%d@%s", l.Partition, l.Owner, l.Epoch, l.Expires.Sub(start))
}

func leaseList(ls []store.Lease) string {
	out := []string{}
	for _, l := range ls {
		out = append(out, lease(l))
	}
	return fmt.Sprint(out)
}

// leasesOf shows the leases of partitions ps as Leases returns them.
func leasesOf(s store.Store, ps ...int) string {
	all := must(s.Leases(context.Background()))
	var ls []store.Lease
	for _, p := range ps {
		ls = append(ls, all[p])
	}
	return leaseList(ls)
}

func testLeases(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	s2 := share(t, o, s, c)
	all := must(s.Leases(ctx))
	if len(all) != store.Partitions {
		t.Fatalf("%d leases, want %d", len(all), store.Partitions)
	}
	for p, l := range all {
		if l.Partition != p || l.Owner != "" || l.Epoch != 0 {
			t.Fatalf("a new store's lease %d: %+v", p, l)
		}
	}
	ttl := 10 * time.Second
	r1 := must(s.AcquireLeases(ctx, "r1", []int{2, 0, 1}, ttl))
	if got := leaseList(r1); got != "[0:r1/1@10s 1:r1/1@10s 2:r1/1@10s]" {
		t.Fatalf("r1 acquires 0-2: %s", got)
	}
	// Held leases are left out; free ones are taken.
	if got := leaseList(must(s2.AcquireLeases(ctx, "r2", []int{1, 2, 3}, ttl))); got != "[3:r2/1@10s]" {
		t.Fatalf("r2 acquires 1-3: %s", got)
	}
	c.Add(time.Second)
	// Acquiring one's own lease extends it, in the same epoch.
	if got := leaseList(must(s.AcquireLeases(ctx, "r1", []int{1}, ttl))); got != "[1:r1/1@11s]" {
		t.Fatalf("r1 acquires 1 again: %s", got)
	}
	if got := leasesOf(s2, 0, 1, 2, 3, 4); got != "[0:r1/1@10s 1:r1/1@11s 2:r1/1@10s 3:r2/1@10s 4:-/0]" {
		t.Fatalf("leases: %s", got)
	}
	c.Add(9 * time.Second) // at 10s: r1's leases of 0 and 2 have run out, not 1.
	if got := leaseList(must(s2.AcquireLeases(ctx, "r2", []int{0, 1, 2}, ttl))); got != "[0:r2/2@20s 2:r2/2@20s]" {
		t.Fatalf("r2 takes the expired leases: %s", got)
	}
	// r1 keeps only the lease nobody took.
	if got := leaseList(must(s.RenewLeases(ctx, "r1", r1, ttl))); got != "[1:r1/1@20s]" {
		t.Fatalf("r1 renews: %s", got)
	}
	// r2's lease of 3 ran out at 10s, but nobody took it: renewed.
	r2 := must(s2.Leases(ctx))[:4]
	if got := leaseList(must(s2.RenewLeases(ctx, "r2", []store.Lease{r2[0], r2[2], r2[3]}, 2*ttl))); got != "[0:r2/2@30s 2:r2/2@30s 3:r2/1@30s]" {
		t.Fatalf("r2 renews: %s", got)
	}
	// Renewing in another owner's name, or a lease never held, renews nothing.
	if got := leaseList(must(s.RenewLeases(ctx, "r1", []store.Lease{r2[3], {Partition: 9, Owner: "r1"}}, ttl))); got != "[]" {
		t.Fatalf("r1 renews r2's lease: %s", got)
	}
	// Releasing a lease lost is no error and changes nothing.
	check(s.ReleaseLeases(ctx, r1))
	if got := leasesOf(s, 0, 1, 2); got != "[0:r2/2@30s 1:-/1 2:r2/2@30s]" {
		t.Fatalf("after r1 released 0-2 (only 1 still its): %s", got)
	}
	r2 = must(s2.Leases(ctx))[:4]
	check(s2.ReleaseLeases(ctx, []store.Lease{r2[0], {Partition: 7, Owner: "r2", Epoch: 4}}))
	if got := leasesOf(s, 0, 7); got != "[0:-/2 7:-/0]" {
		t.Fatalf("after r2 released 0: %s", got)
	}
	// A released lease is free at once, and a new owner is a new epoch;
	// so is the same owner coming back.
	if got := leaseList(must(s.AcquireLeases(ctx, "r1", []int{0, 2}, ttl))); got != "[0:r1/3@20s]" {
		t.Fatalf("r1 acquires the released lease: %s", got)
	}
	if got := leaseList(must(s.AcquireLeases(ctx, "r1", []int{1}, ttl))); got != "[1:r1/2@20s]" {
		t.Fatalf("r1 acquires back the lease it released: %s", got)
	}
	if got := leaseList(must(s.AcquireLeases(ctx, "r1", nil, ttl))); got != "[]" {
		t.Fatalf("acquiring nothing: %s", got)
	}
	for _, p := range []int{-1, store.AnalyticsLease + 1} {
		if _, err := s.AcquireLeases(ctx, "r1", []int{5, p}, ttl); err == nil {
			t.Fatalf("acquiring partition %d: no error", p)
		}
	}
	if got := leasesOf(s, 5); got != "[5:-/0]" {
		t.Fatalf("a refused acquisition took a lease: %s", got)
	}
}

// fencedCommit writes something of every kind in partition p, and a
// cursor at seq.
func fencedCommit(p int, ls []store.Lease, seq uint64, tag string) store.Commit {
	id := idsIn(p, 1, "fenced-"+tag+"-")[0]
	return store.Commit{
		Leases:     ls,
		Customers:  []store.Customer{{ID: id, Partition: p, Due: minutes(5), Data: []byte(tag)}},
		Facts:      []store.Fact{{Partition: p, Data: []byte(tag)}},
		Models:     []store.Model{{Partition: p, Key: "m", Data: []byte(tag)}},
		Counts:     []store.Count{{Partition: p, Key: "k", Delta: 1}},
		Deliveries: []store.Delivery{{ID: "del-" + tag, Customer: id, State: store.DeliveryPending, Updated: start}},
		Cursors:    []store.Cursor{{Partition: p, Seq: seq}},
	}
}

// state shows what fencedCommit writes, as the store has it.
func state(s store.Store, p int) string {
	ctx := context.Background()
	var out []string
	for _, cu := range must(s.Customers(ctx, p, "", 100)) {
		out = append(out, "customer "+string(cu.Data))
	}
	for _, tm := range must(s.DueTimers(ctx, p, store.Timer{}, minutes(100), 100)) {
		out = append(out, "timer "+tm.Customer)
	}
	for _, f := range must(s.Facts(ctx, nil, 1000)) {
		if f.Partition == p {
			out = append(out, "fact "+string(f.Data))
		}
	}
	for _, m := range must(s.Models(ctx)) {
		if m.Partition == p {
			out = append(out, "model "+string(m.Data))
		}
	}
	out = append(out, fmt.Sprintf("counts %v", must(s.StageCounts(ctx))))
	for _, d := range must(s.Deliveries(ctx, store.DeliveryPending, "", 100)) {
		out = append(out, "delivery "+d.ID)
	}
	out = append(out, fmt.Sprintf("cursor %d", must(s.Cursors(ctx))[p].Seq))
	return fmt.Sprint(out)
}

func testCommitFencing(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	s2 := share(t, o, s, c)
	const p, q = 17, 18
	ttl := 10 * time.Second
	r1 := must(s.AcquireLeases(ctx, "r1", []int{p, q}, ttl))
	check(s.Commit(ctx, fencedCommit(p, r1[:1], 1, "one")))
	// Expired, but nobody took it: the commit stands.
	c.Add(ttl)
	check(s.Commit(ctx, fencedCommit(p, r1[:1], 2, "two")))
	before := state(s, p)

	r2 := must(s2.AcquireLeases(ctx, "r2", []int{p}, ttl))
	if len(r2) != 1 || r2[0].Epoch != r1[0].Epoch+1 {
		t.Fatalf("r2 takes over: %s", leaseList(r2))
	}
	stale := fencedCommit(p, r1[:1], 3, "stale")
	stale.Delete = []string{must(s.Customers(ctx, p, "", 1))[0].ID}
	refused := []struct {
		name string
		on   store.Store
		c    store.Commit
	}{
		{"the old owner's", s, stale},
		// One lease lost fences the whole commit.
		{"the old owner's, with a lease it still holds", s, fencedCommit(p, r1, 3, "stale2")},
		{"a lease of the new owner's partition with the old epoch", s2, fencedCommit(p, []store.Lease{{Partition: p, Owner: "r2", Epoch: r1[0].Epoch}}, 3, "stale3")},
		{"a lease never acquired", s, fencedCommit(p, []store.Lease{{Partition: 40, Owner: "r1", Epoch: 1}}, 3, "stale4")},
	}
	for _, r := range refused {
		if err := r.on.Commit(ctx, r.c); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("%s commit: got %v, want ErrLeaseLost", r.name, err)
		}
		if got := state(s2, p); got != before {
			t.Fatalf("%s commit wrote:\n%s\nwas\n%s", r.name, got, before)
		}
	}
	check(s2.Commit(ctx, fencedCommit(p, r2, 3, "three")))
	// The old owner still holds q.
	check(s.Commit(ctx, fencedCommit(q, r1[1:], 1, "q")))
	// A released lease fences too.
	check(s2.ReleaseLeases(ctx, r2))
	if err := s2.Commit(ctx, fencedCommit(p, r2, 4, "released")); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("a commit after release: got %v, want ErrLeaseLost", err)
	}
	if got := must(s.Cursors(ctx))[p].Seq; got != 3 {
		t.Fatalf("cursor of %d at %d, want 3", p, got)
	}
	// A commit that names no lease is not fenced.
	check(s.Commit(ctx, store.Commit{Cursors: []store.Cursor{{Partition: p, Seq: 5}}}))
	if got := must(s.Cursors(ctx))[p].Seq; got != 5 {
		t.Fatalf("cursor of %d at %d, want 5", p, got)
	}
}

func testCommitRefused(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	id := idsIn(3, 1, "c")[0]
	ok := store.Commit{Customers: []store.Customer{{ID: id, Partition: 3, Data: []byte("x")}}, Cursors: []store.Cursor{{Partition: 3, Seq: 1}}}
	for _, bad := range []struct {
		name string
		edit func(*store.Commit)
	}{
		{"a fact", func(c *store.Commit) { c.Facts = []store.Fact{{Partition: 3}, {Partition: store.Partitions}} }},
		{"a model", func(c *store.Commit) { c.Models = []store.Model{{Partition: -1, Key: "m"}} }},
		{"a count", func(c *store.Commit) { c.Counts = []store.Count{{Partition: store.Partitions, Key: "k", Delta: 1}} }},
		{"a cursor", func(c *store.Commit) { c.Cursors = append(c.Cursors, store.Cursor{Partition: -1, Seq: 2}) }},
	} {
		c := ok
		bad.edit(&c)
		if err := s.Commit(ctx, c); err == nil {
			t.Fatalf("a commit with %s out of range: no error", bad.name)
		}
		if _, err := s.Customer(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a commit with %s out of range wrote a customer: %v", bad.name, err)
		}
		if got := must(s.Cursors(ctx))[3].Seq; got != 0 {
			t.Fatalf("a commit with %s out of range wrote a cursor", bad.name)
		}
	}
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "01", Customer: id, Time: start, Facts: []store.Fact{{Partition: store.Partitions}}}}); err == nil {
		t.Fatal("decisions with a fact out of range: no error")
	}
	if _, err := s.Decision(ctx, "01"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused decisions were stored: %v", err)
	}
}

// testAnalyticsLease: the analytics lease is taken, renewed, released and
// lost as a partition's is, Leases does not list it, and it fences the
// analytics snapshot.
func testAnalyticsLease(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	s2 := share(t, o, s, c)
	const a = store.AnalyticsLease
	ttl := 10 * time.Second
	r1 := must(s.AcquireLeases(ctx, "r1", []int{a, 3}, ttl))
	if got := leaseList(r1); got != "[3:r1/1@10s 256:r1/1@10s]" {
		t.Fatalf("r1 acquires 3 and the analytics lease: %s", got)
	}
	if got := leaseList(must(s2.AcquireLeases(ctx, "r2", []int{a}, ttl))); got != "[]" {
		t.Fatalf("r2 acquires the analytics lease r1 holds: %s", got)
	}
	if n := len(must(s2.Leases(ctx))); n != store.Partitions {
		t.Fatalf("Leases lists %d, want the %d partitions only", n, store.Partitions)
	}
	commit(s, store.Commit{Facts: []store.Fact{pf(1, "a1"), pf(1, "a2")}})
	a1 := readFacts(t, s, nil, 10)[0]
	check(s.SaveAnalyticsSnapshot(ctx, []byte("r1"), positions(1, a1.Seq), r1[1:]))

	c.Add(ttl) // r1's leases run out; r2 takes the analytics lease.
	r2 := must(s2.AcquireLeases(ctx, "r2", []int{a}, ttl))
	if got := leaseList(r2); got != "[256:r2/2@20s]" {
		t.Fatalf("r2 takes the expired analytics lease: %s", got)
	}
	if got := leaseList(must(s.RenewLeases(ctx, "r1", r1, ttl))); got != "[3:r1/1@20s]" {
		t.Fatalf("r1 renews (the analytics lease is lost): %s", got)
	}
	// The old holder's snapshot is refused and deletes no fact.
	err := s.SaveAnalyticsSnapshot(ctx, []byte("stale"), positions(1, a1.Seq+1), r1[1:])
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("the old holder saves: got %v, want ErrLeaseLost", err)
	}
	if snap, at := must2(s2.AnalyticsSnapshot(ctx)); string(snap) != "r1" || at[1] != a1.Seq {
		t.Fatalf("after a refused snapshot: %q up to %d, want r1 up to %d", snap, at[1], a1.Seq)
	}
	if got := factList(readFacts(t, s2, nil, 10)); got != "[1:a2]" {
		t.Fatalf("facts after a refused snapshot: %s", got)
	}
	if got := leaseList(must(s2.RenewLeases(ctx, "r2", r2, ttl))); got != "[256:r2/2@20s]" {
		t.Fatalf("r2 renews the analytics lease: %s", got)
	}
	check(s2.SaveAnalyticsSnapshot(ctx, []byte("r2"), positions(1, a1.Seq+1), r2))
	if got := factList(readFacts(t, s2, nil, 10)); got != "[]" {
		t.Fatalf("facts after r2's snapshot: %s", got)
	}
	// Released, it is free at once, at a new epoch, and fences no more.
	check(s2.ReleaseLeases(ctx, r2))
	if err := s2.SaveAnalyticsSnapshot(ctx, []byte("released"), nil, r2); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("a snapshot after release: got %v, want ErrLeaseLost", err)
	}
	if got := leaseList(must(s.AcquireLeases(ctx, "r1", []int{a}, ttl))); got != "[256:r1/3@20s]" {
		t.Fatalf("r1 acquires the released analytics lease: %s", got)
	}
}
