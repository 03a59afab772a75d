package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

func decisionIDs(ds []store.Decision) string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return fmt.Sprint(ids)
}

func testDecisions(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	at := func(h int) time.Time { return c.Now().Add(time.Duration(h) * time.Hour) }
	// IDs sort by time, as the caller makes them.
	check(s.PutDecisions(ctx, []store.Decision{
		{ID: "01", Customer: "c1", Time: at(1), Data: []byte("a")},
		{ID: "02", Customer: "c2", Time: at(2), Data: []byte("b")},
		{ID: "03", Customer: "c1", Time: at(3), Data: []byte("c")},
	}))
	check(s.PutDecisions(ctx, []store.Decision{{ID: "04", Customer: "c1", Time: at(4), Data: []byte("d")}, {ID: "03", Customer: "c1", Time: at(3), Data: []byte("c2")}}))
	check(s.PutDecisions(ctx, nil))
	d := must(s.Decision(ctx, "03"))
	if d.ID != "03" || d.Customer != "c1" || string(d.Data) != "c2" || !d.Time.Equal(at(3)) {
		t.Fatalf("Decision(03): %+v", d)
	}
	if _, err := s.Decision(ctx, "09"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown decision: %v", err)
	}
	if got := decisionIDs(must(s.CustomerDecisions(ctx, "c1", 10))); got != "[04 03 01]" {
		t.Fatalf("CustomerDecisions(c1): %s, want newest first", got)
	}
	if got := decisionIDs(must(s.CustomerDecisions(ctx, "c1", 2))); got != "[04 03]" {
		t.Fatalf("CustomerDecisions(c1, 2): %s", got)
	}
	// A customer whose id is a prefix of another's sees only their own.
	check(s.PutDecisions(ctx, []store.Decision{{ID: "05", Customer: "c", Time: at(5)}}))
	if got := decisionIDs(must(s.CustomerDecisions(ctx, "c", 10))); got != "[05]" {
		t.Fatalf("CustomerDecisions(c): %s", got)
	}
	if n := must(s.PruneDecisions(ctx, at(3))); n != 2 {
		t.Fatalf("PruneDecisions deleted %d, want 2", n)
	}
	if got := decisionIDs(must(s.CustomerDecisions(ctx, "c1", 10))); got != "[04 03]" {
		t.Fatalf("CustomerDecisions(c1) after pruning: %s", got)
	}
	if _, err := s.Decision(ctx, "02"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a pruned decision: %v", err)
	}
	if got := decisionIDs(must(s.CustomerDecisions(ctx, "c2", 10))); got != "[]" {
		t.Fatalf("CustomerDecisions(c2) after pruning: %s", got)
	}
}

func deliveryIDs(ds []store.Delivery) string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return fmt.Sprint(ids)
}

func pendingEntry(id, customer string, due time.Time) store.Delivery {
	return store.Delivery{ID: id, Customer: customer, State: store.DeliveryPending, Updated: start, Due: due, Data: []byte(id)}
}

func testDeliveries(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	commit(s, store.Commit{Deliveries: []store.Delivery{pendingEntry("k2", "c1", time.Time{}), pendingEntry("k1", "c1", minutes(3)), pendingEntry("k3", "c2", time.Time{})}})
	// An entry with an existing ID is not added again.
	again := pendingEntry("k1", "c1", time.Time{})
	again.Data = []byte("replaced")
	commit(s, store.Commit{Deliveries: []store.Delivery{again}})
	if d := must(s.Delivery(ctx, "k1")); d.ID != "k1" || string(d.Data) != "k1" || d.Customer != "c1" || !d.Updated.Equal(c.Now()) || !d.Due.Equal(minutes(3)) || d.Claim != "" || !d.ClaimedUntil.IsZero() {
		t.Fatalf("Delivery(k1): %+v", d)
	}
	if _, err := s.Delivery(ctx, "k9"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown entry: %v", err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[k1 k2 k3]" {
		t.Fatalf("pending: %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "k1", 1))); got != "[k2]" {
		t.Fatalf("pending after k1, at most 1: %s", got)
	}
	failed := must(s.Delivery(ctx, "k2"))
	failed.State, failed.Data, failed.Updated = store.DeliveryFailed, []byte("failed"), c.Now().Add(time.Hour)
	check(s.UpdateDelivery(ctx, failed))
	if d := must(s.Delivery(ctx, "k2")); d.State != store.DeliveryFailed || string(d.Data) != "failed" || !d.Updated.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("Delivery(k2) after its update: %+v", d)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryFailed, "", 10))); got != "[k2]" {
		t.Fatalf("failed: %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[k1 k3]" {
		t.Fatalf("pending after k2 failed: %s", got)
	}
	if err := s.UpdateDelivery(ctx, pendingEntry("k9", "c1", time.Time{})); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("updating an unknown entry: %v", err)
	}
	done := must(s.Delivery(ctx, "k1"))
	done.State = store.DeliveryDelivered
	check(s.UpdateDelivery(ctx, done))
	// Only delivered and cancelled entries are pruned.
	if n := must(s.PruneDeliveries(ctx, c.Now().Add(2*time.Hour))); n != 1 {
		t.Fatalf("PruneDeliveries deleted %d, want 1", n)
	}
	if _, err := s.Delivery(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a pruned entry: %v", err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryFailed, "", 10))); got != "[k2]" {
		t.Fatalf("failed after pruning: %s", got)
	}
}

func testAddDeliveries(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	entry := func(id, customer, data string) store.Delivery {
		return store.Delivery{ID: id, Customer: customer, State: store.DeliveryPending, Updated: c.Now(), Data: []byte(data)}
	}
	commit(s, store.Commit{Deliveries: []store.Delivery{entry("k1", "c1", "k1")}})
	if got := must(s.AddDeliveries(ctx, nil)); len(got) != 0 {
		t.Fatalf("AddDeliveries(nil) added %+v", got)
	}
	// KPI alerts go to a team: no customer.
	adds := []struct {
		name  string
		add   []store.Delivery
		added string
	}{
		{"new entries, one also taken by a Commit and one twice", []store.Delivery{entry("k1", "", "alert k1"), entry("a2", "", "a2"), entry("a1", "", "a1"), entry("a1", "", "a1 again")}, "[a2 a1]"},
		{"one new", []store.Delivery{entry("a2", "", "a2 again"), entry("a3", "", "a3"), entry("k2", "c1", "k2")}, "[a3 k2]"},
		{"none new", []store.Delivery{entry("a3", "", "a3 again")}, "[]"},
	}
	for _, a := range adds {
		if ids := deliveryIDs(must(s.AddDeliveries(ctx, a.add))); ids != a.added {
			t.Fatalf("%s: added %s, want %s", a.name, ids, a.added)
		}
	}
	for id, want := range map[string]store.Delivery{"k1": entry("k1", "c1", "k1"), "a1": entry("a1", "", "a1"), "a2": entry("a2", "", "a2"), "k2": entry("k2", "c1", "k2")} {
		d := must(s.Delivery(ctx, id))
		if d.Customer != want.Customer || string(d.Data) != string(want.Data) || d.State != want.State || !d.Updated.Equal(want.Updated) {
			t.Fatalf("Delivery(%s): %+v, want %+v", id, d, want)
		}
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a1 a2 a3 k1 k2]" {
		t.Fatalf("pending: %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "a1", 2))); got != "[a2 a3]" {
		t.Fatalf("pending after a1, at most 2: %s", got)
	}
	// Erasing a customer, even one with an empty id, leaves the entries
	// that belong to none.
	commit(s, store.Commit{Delete: []string{"c1", ""}})
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a1 a2 a3]" {
		t.Fatalf("pending after erasing c1: %s", got)
	}
	failed := must(s.Delivery(ctx, "a1"))
	failed.State, failed.Updated = store.DeliveryFailed, c.Now().Add(time.Hour)
	check(s.UpdateDelivery(ctx, failed))
	done := must(s.Delivery(ctx, "a2"))
	done.State = store.DeliveryDelivered
	check(s.UpdateDelivery(ctx, done))
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryFailed, "", 10))); got != "[a1]" {
		t.Fatalf("failed: %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryDelivered, "", 10))); got != "[a2]" {
		t.Fatalf("delivered: %s", got)
	}
	if n := must(s.PruneDeliveries(ctx, c.Now().Add(time.Minute))); n != 1 {
		t.Fatalf("PruneDeliveries deleted %d, want 1", n)
	}
	if _, err := s.Delivery(ctx, "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a pruned entry: %v", err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryDelivered, "", 10))); got != "[]" {
		t.Fatalf("delivered after pruning: %s", got)
	}
	// An ID freed by pruning can be added again.
	if got := deliveryIDs(must(s.AddDeliveries(ctx, []store.Delivery{entry("a2", "", "a2 anew")}))); got != "[a2]" {
		t.Fatalf("re-adding a pruned ID: added %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a2 a3]" {
		t.Fatalf("pending at the end: %s", got)
	}
}

// claims shows claimed entries as [id:worker@until ...].
func claims(ds []store.Delivery) string {
	out := []string{}
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s:%s@%s", d.ID, d.Claim, since(d.ClaimedUntil)))
	}
	return fmt.Sprint(out)
}

func testClaims(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	s2 := share(t, o, s, NewClock(start))
	if _, ok := must2(s.NextDue(ctx)); ok {
		t.Fatal("NextDue of an empty outbox: found one")
	}
	if got := claims(must(s.ClaimDeliveries(ctx, "w1", minutes(0), time.Minute, 10))); got != "[]" {
		t.Fatalf("claims in an empty outbox: %s", got)
	}
	failed := pendingEntry("k5", "c2", time.Time{})
	failed.State = store.DeliveryFailed
	// A claim given with an entry is not kept.
	claimed := pendingEntry("k6", "c2", minutes(30))
	claimed.Claim, claimed.ClaimedUntil = "w9", minutes(60)
	commit(s, store.Commit{Deliveries: []store.Delivery{
		pendingEntry("k2", "c1", minutes(1)), pendingEntry("k1", "c1", time.Time{}), pendingEntry("k3", "", minutes(-1)),
		pendingEntry("k4", "c2", minutes(10)), failed, claimed,
	}})
	if d := must(s.Delivery(ctx, "k6")); d.Claim != "" || !d.ClaimedUntil.IsZero() {
		t.Fatalf("an entry added with a claim: %+v", d)
	}
	if next, ok := must2(s.NextDue(ctx)); !ok || !next.IsZero() {
		t.Fatalf("NextDue: %v %v, want k1's, at once", next, ok)
	}
	steps := []struct {
		on     store.Store
		worker string
		now    int
		max    int
		want   string
	}{
		// Earliest due first, up to max, only what is due by now.
		{s, "w1", 0, 10, "[k1:w1@30s k3:w1@30s]"},
		// Live claims are no one else's, nor the same worker's.
		{s2, "w2", 0, 10, "[]"},
		{s, "w1", 0, 10, "[]"},
		// Expired claims are claimed again, with what fell due meanwhile.
		{s2, "w2", 1, 2, "[k1:w2@1m30s k3:w2@1m30s]"},
		{s, "w1", 1, 10, "[k2:w1@1m30s]"},
		{s, "w3", 1, 10, "[]"},
	}
	for i, st := range steps {
		got := must(st.on.ClaimDeliveries(ctx, st.worker, minutes(st.now), 30*time.Second, st.max))
		if claims(got) != st.want {
			t.Fatalf("step %d: %s claims at minute %d: %s, want %s", i, st.worker, st.now, claims(got), st.want)
		}
		for _, d := range got {
			if d.State != store.DeliveryPending || string(d.Data) != d.ID {
				t.Fatalf("step %d: claimed %+v", i, d)
			}
		}
	}
	if d := must(s.Delivery(ctx, "k2")); d.Claim != "w1" || !d.ClaimedUntil.Equal(minutes(1).Add(30*time.Second)) {
		t.Fatalf("Delivery(k2) claimed: %+v", d)
	}
	// Claimed or not, the earliest pending entry is next.
	if next, ok := must2(s.NextDue(ctx)); !ok || !next.IsZero() {
		t.Fatalf("NextDue: %v %v, want k1's, at once", next, ok)
	}
	// UpdateDelivery clears the claim: k1 delivered, k3 retried later.
	k1 := must(s.Delivery(ctx, "k1"))
	k1.State = store.DeliveryDelivered
	check(s2.UpdateDelivery(ctx, k1))
	k3 := must(s.Delivery(ctx, "k3"))
	k3.Due = minutes(3)
	check(s2.UpdateDelivery(ctx, k3))
	if d := must(s.Delivery(ctx, "k3")); d.Claim != "" || !d.ClaimedUntil.IsZero() || !d.Due.Equal(minutes(3)) {
		t.Fatalf("Delivery(k3) after its retry was scheduled: %+v", d)
	}
	if next, ok := must2(s.NextDue(ctx)); !ok || !next.Equal(minutes(1)) {
		t.Fatalf("NextDue: %v %v, want k2's, at minute 1", next, ok)
	}
	// An updated entry is claimable at once, by its new due time.
	k2 := must(s.Delivery(ctx, "k2"))
	check(s.UpdateDelivery(ctx, k2))
	if got := claims(must(s.ClaimDeliveries(ctx, "w2", minutes(1), 30*time.Second, 10))); got != "[k2:w2@1m30s]" {
		t.Fatalf("claims of the updated k2: %s", got)
	}
	if got := claims(must(s.ClaimDeliveries(ctx, "w2", minutes(3), 30*time.Second, 10))); got != "[k2:w2@3m30s k3:w2@3m30s]" {
		t.Fatalf("claims at minute 3: %s", got)
	}
	// The failed entry is never claimed; the rest fall due in order.
	if got := claims(must(s.ClaimDeliveries(ctx, "w1", minutes(100), time.Minute, 10))); got != "[k2:w1@1h41m0s k3:w1@1h41m0s k4:w1@1h41m0s k6:w1@1h41m0s]" {
		t.Fatalf("claims at minute 100: %s", got)
	}
	for _, id := range []string{"k2", "k3", "k4", "k6"} {
		d := must(s.Delivery(ctx, id))
		d.State = store.DeliveryCancelled
		check(s.UpdateDelivery(ctx, d))
	}
	if next, ok := must2(s.NextDue(ctx)); ok {
		t.Fatalf("NextDue with nothing pending: %v", next)
	}
	if got := claims(must(s.ClaimDeliveries(ctx, "w1", minutes(200), time.Minute, 10))); got != "[]" {
		t.Fatalf("claims with nothing pending: %s", got)
	}
	// Erasing a customer removes its claimed entries from the queue.
	commit(s, store.Commit{Deliveries: []store.Delivery{pendingEntry("k7", "c3", time.Time{}), pendingEntry("k8", "c4", minutes(5))}})
	must(s.ClaimDeliveries(ctx, "w1", minutes(0), time.Minute, 1))
	commit(s, store.Commit{Delete: []string{"c3", "c4"}})
	if next, ok := must2(s.NextDue(ctx)); ok {
		t.Fatalf("NextDue after erasing the customers of what was pending: %v", next)
	}
	if got := claims(must(s.ClaimDeliveries(ctx, "w1", minutes(200), time.Minute, 10))); got != "[]" {
		t.Fatalf("claims after erasure: %s", got)
	}
}

func testClaimsConcurrent(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	s2 := share(t, o, s, c)
	const n = 300
	var ds []store.Delivery
	for i := range n {
		ds = append(ds, pendingEntry(fmt.Sprintf("k%03d", i), "", minutes(i%7-3)))
	}
	must(s.AddDeliveries(ctx, ds))
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := []store.Store{s, s2}[w%2]
			name := fmt.Sprintf("w%d", w)
			for {
				claimed, err := h.ClaimDeliveries(ctx, name, minutes(10), time.Hour, 1+w)
				if err != nil {
					errs <- err
					return
				}
				if len(claimed) == 0 {
					return
				}
				for _, d := range claimed {
					mu.Lock()
					prev, dup := got[d.ID]
					got[d.ID] = name
					mu.Unlock()
					if dup {
						errs <- fmt.Errorf("%s claimed by %s and %s", d.ID, prev, name)
						return
					}
					// Half are done at once, the rest left claimed.
					if w%2 == 0 {
						d.State = store.DeliveryDelivered
						if err := h.UpdateDelivery(ctx, d); err != nil {
							errs <- err
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d entries claimed, want %d", len(got), n)
	}
}

func testEraseWithRecords(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	c1, c2 := idsIn(4, 1, "e")[0], idsIn(5, 1, "e")[0]
	commit(s, store.Commit{
		Customers:  []store.Customer{{ID: c1, Partition: 4, Due: minutes(1), Data: []byte("1")}, {ID: c2, Partition: 5, Due: minutes(1), Data: []byte("2")}},
		Deliveries: []store.Delivery{pendingEntry("k1", c1, time.Time{}), {ID: "k2", Customer: c2, State: store.DeliveryFailed, Updated: c.Now()}},
	})
	check(s.PutDecisions(ctx, []store.Decision{{ID: "01", Customer: c1, Time: c.Now()}, {ID: "02", Customer: c2, Time: c.Now()}}))
	commit(s, store.Commit{Delete: []string{c1}})
	if _, err := s.Customer(ctx, c1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an erased customer: %v", err)
	}
	if got := timers(must(s.DueTimers(ctx, 4, store.Timer{}, minutes(10), 10))); got != "[]" {
		t.Fatalf("an erased customer's timer: %s", got)
	}
	if _, err := s.Decision(ctx, "01"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an erased customer's decision: %v", err)
	}
	if ds := must(s.CustomerDecisions(ctx, c1, 10)); len(ds) != 0 {
		t.Fatalf("an erased customer's decisions: %+v", ds)
	}
	if _, err := s.Delivery(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an erased customer's delivery: %v", err)
	}
	if err := s.UpdateDelivery(ctx, pendingEntry("k1", c1, time.Time{})); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("updating an erased customer's delivery: %v", err)
	}
	// Erased and seen again in one commit: the new entries stay.
	commit(s, store.Commit{Delete: []string{c1}, Customers: []store.Customer{{ID: c1, Partition: 4, Data: []byte("1 again")}},
		Deliveries: []store.Delivery{pendingEntry("k3", c1, time.Time{})}})
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[k3]" {
		t.Fatalf("pending after erasure: %s", got)
	}
	if got := must(s.Customer(ctx, c1)); string(got.Data) != "1 again" {
		t.Fatalf("a customer erased and seen again: %+v", got)
	}
	// Another customer keeps everything.
	if d := must(s.Decision(ctx, "02")); d.Customer != c2 {
		t.Fatalf("another customer's decision: %+v", d)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryFailed, "", 10))); got != "[k2]" {
		t.Fatalf("another customer's delivery: %s", got)
	}
	if got := timers(must(s.DueTimers(ctx, 5, store.Timer{}, minutes(10), 10))); got != "["+c2+"@1m0s]" {
		t.Fatalf("another customer's timer: %s", got)
	}
}
