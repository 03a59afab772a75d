package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// testReopen checks that everything a durable store was told survives a
// reopen: a crash that loses nothing acknowledged.
func testReopen(t *testing.T, o Opener) {
	if o.Reopen == nil {
		return // this store keeps nothing across a restart, by design
	}
	ctx := context.Background()
	s, c := open(t, o)
	const p = 6
	c1 := idsIn(p, 1, "r")[0]
	d := must(s.Deploy(ctx, store.Deployment{Stack: "growth", Time: c.Now(), Document: []byte("doc")}, 0, store.LogRecord{Arrival: c.Now(), Data: []byte("d")}))
	appended := must(s.Append(ctx, []store.LogRecord{
		{Partition: p, ID: "a", Arrival: c.Now(), Time: minutes(-5), Data: []byte("A")},
		{Partition: 2, ID: "b", Arrival: c.Now().Add(time.Second), Data: []byte("B")},
	}))
	check(s.CreateToken(ctx, store.Token{Name: "admin", Hash: []byte("h"), Scopes: []store.Scope{store.ScopeAdmin}, Created: c.Now()}))
	check(s.AddAudit(ctx, store.AuditRecord{Time: c.Now(), Who: "admin", What: "deploy", Subject: "growth 1"}))
	must(s.Heartbeat(ctx, "r1", time.Hour))
	ls := must(s.AcquireLeases(ctx, "r1", []int{p, 9}, time.Hour))
	commit(s, store.Commit{
		Leases:     ls,
		Customers:  []store.Customer{{ID: c1, Partition: p, Due: minutes(7), Data: []byte("one")}},
		Cursors:    []store.Cursor{{Partition: p, Seq: appended[0], Clock: minutes(-5), ArrivalClock: c.Now()}},
		Models:     []store.Model{{Partition: p, Key: "m", Data: []byte("beta")}},
		Counts:     []store.Count{{Partition: p, Key: "j.s", Delta: 2}, {Partition: 9, Key: "j.s", Delta: 1}},
		Facts:      []store.Fact{pf(p, "f1")},
		Deliveries: []store.Delivery{pendingEntry("k1", c1, minutes(2))},
	})
	check(s.PutDecisions(ctx, []store.Decision{{ID: "d1", Customer: c1, Time: c.Now(), Data: []byte("rec"), Facts: []store.Fact{pf(p, "f2")}}}))
	must(s.AddDeliveries(ctx, []store.Delivery{pendingEntry("a1", "", minutes(1))}))
	must(s.ClaimDeliveries(ctx, "w1", minutes(1), time.Minute, 1))
	logBefore, headBefore := read(t, s, allPartitions(0), 100)
	factsBefore := readFacts(t, s, nil, 100)

	reopen(t, o, &s, c)
	if got := must(s.Deployment(ctx, "growth", 0)); got.Serial != 1 || string(got.Document) != "doc" || got.Seq != d.Seq {
		t.Fatalf("deployment after reopen: %+v", got)
	}
	logAfter, headAfter := read(t, s, allPartitions(0), 100)
	if !sameRecords(logAfter, logBefore) {
		t.Fatalf("log after reopen:\n%+v\nbefore:\n%+v", logAfter, logBefore)
	}
	if headAfter.Seq != headBefore.Seq || !headAfter.Clock.Equal(headBefore.Clock) || !headAfter.ArrivalClock.Equal(headBefore.ArrivalClock) {
		t.Fatalf("head after reopen %+v, before %+v", headAfter, headBefore)
	}
	// The ids are still remembered, the clocks go on, seqs are not reused.
	seqs := must(s.Append(ctx, []store.LogRecord{rec(p, "a", c.Now(), "A again"), rec(3, "d", c.Now(), "D")}))
	if seqs[0] != 0 || seqs[1] <= headBefore.Seq {
		t.Fatalf("after reopen: seqs %v, want [0 >%d] (a is still a duplicate)", seqs, headBefore.Seq)
	}
	if recs, _ := read(t, s, []store.From{{Partition: 3, After: headBefore.Seq}}, 10); len(recs) != 1 || !recs[0].Clock.Equal(minutes(-5)) || !recs[0].ArrivalClock.Equal(c.Now().Add(time.Second)) {
		t.Fatalf("the record appended after reopen: %+v", recs)
	}
	if tok := must(s.TokenByHash(ctx, []byte("h"))); tok.Name != "admin" || !tok.Created.Equal(c.Now()) {
		t.Fatalf("token after reopen: %+v", tok)
	}
	if got := auditList(must(s.AuditLog(ctx, 0, 10))); got != "[deploy:growth 1]" {
		t.Fatalf("audit log after reopen: %s", got)
	}
	check(s.AddAudit(ctx, store.AuditRecord{Time: c.Now(), Who: "admin", What: "rollback", Subject: "growth 1"}))
	if as := must(s.AuditLog(ctx, 0, 10)); len(as) != 2 || as[1].Seq <= as[0].Seq {
		t.Fatalf("audit log after reopen and a record: %+v", as)
	}
	if got := members(must(s.Heartbeat(ctx, "r2", time.Hour))); got != "[r1@1h0m0s r2@1h0m0s]" {
		t.Fatalf("members after reopen: %s", got)
	}
	if got := leasesOf(s, p, 9, 10); got != "[6:r1/1@1h0m0s 9:r1/1@1h0m0s 10:-/0]" {
		t.Fatalf("leases after reopen: %s", got)
	}
	if cu := must(s.Customer(ctx, c1)); string(cu.Data) != "one" || !cu.Due.Equal(minutes(7)) || cu.Partition != p {
		t.Fatalf("customer after reopen: %+v", cu)
	}
	if got := timers(must(s.DueTimers(ctx, p, store.Timer{}, minutes(10), 10))); got != "["+c1+"@7m0s]" {
		t.Fatalf("timers after reopen: %s", got)
	}
	if got := cursorList(must(s.Cursors(ctx))); got != fmt.Sprintf("[6:%d@-5m0s/0s]", appended[0]) {
		t.Fatalf("cursors after reopen: %s", got)
	}
	if got := modelList(must(s.Models(ctx))); got != "[6:m=beta]" {
		t.Fatalf("models after reopen: %s", got)
	}
	if got := fmt.Sprint(must(s.StageCounts(ctx))); got != "map[j.s:3]" {
		t.Fatalf("counts after reopen: %s", got)
	}
	if got := readFacts(t, s, nil, 100); factList(got) != factList(factsBefore) || got[1].Seq != factsBefore[1].Seq {
		t.Fatalf("facts after reopen: %s", factList(got))
	}
	commit(s, store.Commit{Facts: []store.Fact{pf(p, "f3")}})
	if got := readFacts(t, s, nil, 100); len(got) != 3 || got[2].Seq <= factsBefore[1].Seq {
		t.Fatalf("a fact after reopen: %+v", got)
	}
	if d := must(s.Decision(ctx, "d1")); string(d.Data) != "rec" || !d.Time.Equal(c.Now()) || d.Customer != c1 {
		t.Fatalf("decision after reopen: %+v", d)
	}
	if d := must(s.Delivery(ctx, "k1")); string(d.Data) != "k1" || d.State != store.DeliveryPending || !d.Due.Equal(minutes(2)) || d.Claim != "" {
		t.Fatalf("delivery after reopen: %+v", d)
	}
	if d := must(s.Delivery(ctx, "a1")); o.Exclusive && (d.Claim != "" || !d.ClaimedUntil.IsZero()) {
		t.Fatalf("a claim survived reopening a store one process holds alone: %+v", d)
	} else if !o.Exclusive && (d.Claim != "w1" || !d.ClaimedUntil.Equal(minutes(2))) {
		t.Fatalf("a claimed delivery after reopen: %+v", d)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a1 k1]" {
		t.Fatalf("pending after reopen: %s", got)
	}
	if next, ok := must2(s.NextDue(ctx)); !ok || !next.Equal(minutes(1)) {
		t.Fatalf("NextDue after reopen: %v %v", next, ok)
	}
	if got := claims(must(s.ClaimDeliveries(ctx, "w2", minutes(2), time.Minute, 10))); got != "[a1:w2@3m0s k1:w2@3m0s]" {
		t.Fatalf("claims after reopen: %s", got)
	}
	// Erasure after reopen still finds what the indexes held.
	commit(s, store.Commit{Delete: []string{c1}})
	if _, err := s.Decision(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an erased customer's decision after reopen: %v", err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a1]" {
		t.Fatalf("pending after erasing %s: %s", c1, got)
	}
	if got := timers(must(s.DueTimers(ctx, p, store.Timer{}, minutes(10), 10))); got != "[]" {
		t.Fatalf("timers after erasure: %s", got)
	}
}

// sameRecords compares records field by field, times with Equal.
func sameRecords(a, b []store.LogRecord) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Seq != y.Seq || x.Partition != y.Partition || x.ID != y.ID || string(x.Data) != string(y.Data) ||
			!x.Arrival.Equal(y.Arrival) || !x.Time.Equal(y.Time) || !x.Clock.Equal(y.Clock) || !x.ArrivalClock.Equal(y.ArrivalClock) {
			return false
		}
	}
	return true
}

func testClosed(t *testing.T, o Opener) {
	ctx := context.Background()
	c := NewClock(start)
	s := o.Open(t, c.Now)
	check(s.Close())
	check(s.Close()) // twice is no error
	calls := map[string]error{}
	_, calls["Append"] = s.Append(ctx, []store.LogRecord{rec(0, "a", c.Now(), "A")})
	_, _, calls["Read"] = s.Read(ctx, allPartitions(0), 10)
	_, calls["Head"] = s.Head(ctx)
	_, calls["Cursors"] = s.Cursors(ctx)
	calls["Commit"] = s.Commit(ctx, store.Commit{})
	_, calls["Customer"] = s.Customer(ctx, "c")
	_, calls["AcquireLeases"] = s.AcquireLeases(ctx, "r1", []int{0}, time.Second)
	_, calls["Facts"] = s.Facts(ctx, nil, 10)
	calls["SaveAnalyticsSnapshot"] = s.SaveAnalyticsSnapshot(ctx, []byte("s"), nil, nil)
	_, calls["AddDeliveries"] = s.AddDeliveries(ctx, []store.Delivery{{ID: "a1"}})
	_, calls["ClaimDeliveries"] = s.ClaimDeliveries(ctx, "w", start, time.Second, 1)
	_, calls["Deploy"] = s.Deploy(ctx, store.Deployment{Stack: "s"}, 0, store.LogRecord{})
	calls["AddAudit"] = s.AddAudit(ctx, store.AuditRecord{})
	for name, err := range calls {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}
