// Package storetest is the conformance suite that every store.Store
// implementation passes. It knows the Store contract and nothing of any one
// implementation.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Clock is a settable clock for the deduplication window.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Window is the deduplication window the suite opens stores with.
const Window = time.Hour

// Factory opens stores for the suite.
type Factory struct {
	// Open returns an empty store whose deduplication window is Window and
	// whose wall clock is now.
	Open func(t *testing.T, now func() time.Time) store.Store
	// Reopen closes s and opens it again from what it made durable; nil for
	// a store that keeps nothing.
	Reopen func(t *testing.T, s store.Store, now func() time.Time) store.Store
}

// Run runs the suite.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"Deploy", testDeploy},
		{"Tokens", testTokens},
		{"Append", testAppend},
		{"AppendConcurrent", testAppendConcurrent},
		{"DedupWindow", testDedupWindow},
		{"Commit", testCommit},
		{"Models", testModels},
		{"Decisions", testDecisions},
		{"Deliveries", testDeliveries},
		{"EraseWithRecords", testEraseWithRecords},
		{"Reopen", testReopen},
		{"Closed", testClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					if f, ok := r.(failure); ok {
						t.Fatalf("unexpected error: %v", f.err)
					}
					panic(r)
				}
			}()
			tt.run(t, f)
		})
	}
}

func newClock() *Clock { return &Clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

func open(t *testing.T, f Factory) (store.Store, *Clock) {
	c := newClock()
	s := f.Open(t, c.Now)
	t.Cleanup(func() { s.Close() })
	return s, c
}

// must returns v, or fails the test (through the recover in Run) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(failure{err})
	}
	return v
}

type failure struct{ err error }

func testDeploy(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	if _, err := s.Deployment(ctx, "growth", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Deployment of an unknown stack: got %v, want ErrNotFound", err)
	}
	d1 := must(s.Deploy(ctx, store.Deployment{Stack: "growth", Time: c.Now(), Who: "ci", Digest: "d1", Summary: "1 to add", Document: []byte("one")}, 0, store.LogRecord{Arrival: c.Now(), Data: []byte("activate 1")}))
	if d1.Serial != 1 || d1.Seq == 0 {
		t.Fatalf("first deployment: serial %d seq %d, want serial 1 and a log position", d1.Serial, d1.Seq)
	}
	_, err := s.Deploy(ctx, store.Deployment{Stack: "growth", Document: []byte("stale")}, 0, store.LogRecord{Data: []byte("x")})
	var stale *store.StaleError
	if !errors.As(err, &stale) || stale.Current != 1 || stale.Base != 0 || stale.Stack != "growth" {
		t.Fatalf("deploying on serial 0 again: got %v, want a StaleError at 1", err)
	}
	last := must(s.LastSeq(ctx))
	if last != d1.Seq {
		t.Fatalf("a refused deployment changed the log: last seq %d, want %d", last, d1.Seq)
	}
	d2 := must(s.Deploy(ctx, store.Deployment{Stack: "growth", Who: "ci", Digest: "d2", Document: []byte("two")}, 1, store.LogRecord{Data: []byte("activate 2")}))
	if d2.Serial != 2 || d2.Seq <= d1.Seq {
		t.Fatalf("second deployment: serial %d seq %d", d2.Serial, d2.Seq)
	}
	must(s.Deploy(ctx, store.Deployment{Stack: "billing", Document: []byte("b")}, 0, store.LogRecord{Data: []byte("b")}))

	active := must(s.Stacks(ctx))
	if len(active) != 2 || active[0].Stack != "billing" || active[1].Stack != "growth" || active[1].Serial != 2 || string(active[1].Document) != "two" {
		t.Fatalf("Stacks: %+v", active)
	}
	got := must(s.Deployment(ctx, "growth", 1))
	if string(got.Document) != "one" || got.Who != "ci" || got.Digest != "d1" || got.Summary != "1 to add" || !got.Time.Equal(c.Now()) {
		t.Fatalf("Deployment(growth, 1): %+v", got)
	}
	if _, err := s.Deployment(ctx, "growth", 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Deployment of a serial not made: got %v", err)
	}
	hist := must(s.History(ctx, "growth"))
	if len(hist) != 2 || hist[0].Serial != 2 || hist[1].Serial != 1 || hist[0].Document != nil {
		t.Fatalf("History: %+v", hist)
	}
	if h := must(s.History(ctx, "none")); len(h) != 0 {
		t.Fatalf("History of an unknown stack: %+v", h)
	}
	recs := must(s.ReadLog(ctx, 0, 10))
	if len(recs) != 3 || recs[0].Seq != d1.Seq || string(recs[0].Data) != "activate 1" || string(recs[1].Data) != "activate 2" {
		t.Fatalf("log after deployments: %+v", recs)
	}
}

func testTokens(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	if ts := must(s.Tokens(ctx)); len(ts) != 0 {
		t.Fatalf("a new store has tokens: %+v", ts)
	}
	admin := store.Token{Name: "admin", Hash: []byte("hash-a"), Scopes: []store.Scope{store.ScopeAdmin}, Created: c.Now()}
	if err := s.CreateToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, store.Token{Name: "admin", Hash: []byte("hash-b")}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a second token named admin: got %v, want ErrExists", err)
	}
	if err := s.CreateToken(ctx, store.Token{Name: "ci", Hash: []byte("hash-c"), Scopes: []store.Scope{store.ScopeDeploy, store.ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	got := must(s.TokenByHash(ctx, []byte("hash-a")))
	if got.Name != "admin" || len(got.Scopes) != 1 || got.Scopes[0] != store.ScopeAdmin || !got.Created.Equal(c.Now()) {
		t.Fatalf("TokenByHash: %+v", got)
	}
	if _, err := s.TokenByHash(ctx, []byte("hash-b")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused token's hash: got %v, want ErrNotFound", err)
	}
	ts := must(s.Tokens(ctx))
	if len(ts) != 2 || ts[0].Name != "admin" || ts[1].Name != "ci" {
		t.Fatalf("Tokens: %+v", ts)
	}
}

func rec(id string, at time.Time, data string) store.LogRecord {
	return store.LogRecord{ID: id, Arrival: at, Data: []byte(data)}
}

func testAppend(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	now := c.Now()
	seqs := must(s.Append(ctx, []store.LogRecord{rec("a", now, "A"), rec("b", now, "B"), rec("a", now, "A again"), rec("", now, "no id"), rec("", now, "no id")}))
	if len(seqs) != 5 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 0 || seqs[3] != 3 || seqs[4] != 4 {
		t.Fatalf("seqs %v, want [1 2 0 3 4]", seqs)
	}
	seqs = must(s.Append(ctx, []store.LogRecord{rec("b", now, "B again"), rec("c", now, "C")}))
	if seqs[0] != 0 || seqs[1] != 5 {
		t.Fatalf("seqs %v, want [0 5]", seqs)
	}
	if last := must(s.LastSeq(ctx)); last != 5 {
		t.Fatalf("LastSeq %d, want 5", last)
	}
	all := must(s.ReadLog(ctx, 0, 100))
	var datas []string
	for i, r := range all {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		datas = append(datas, string(r.Data))
	}
	if fmt.Sprint(datas) != "[A B no id no id C]" {
		t.Fatalf("log %v", datas)
	}
	if !all[0].Arrival.Equal(now) || all[0].ID != "a" {
		t.Fatalf("record 1: %+v", all[0])
	}
	page := must(s.ReadLog(ctx, 2, 2))
	if len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("ReadLog(2, 2): %+v", page)
	}
	if end := must(s.ReadLog(ctx, 5, 10)); len(end) != 0 {
		t.Fatalf("ReadLog past the end: %+v", end)
	}
}

func testAppendConcurrent(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	const writers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var recs []store.LogRecord
			for i := 0; i < each; i++ {
				// Every writer also sends one id that all of them share.
				id := fmt.Sprintf("w%d-%d", w, i)
				if i == 0 {
					id = "shared"
				}
				recs = append(recs, rec(id, c.Now(), id))
			}
			if _, err := s.Append(ctx, recs); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := must(s.ReadLog(ctx, 0, writers*each))
	if want := writers*(each-1) + 1; len(all) != want {
		t.Fatalf("%d records, want %d", len(all), want)
	}
	seen := map[string]bool{}
	for i, r := range all {
		if r.Seq != uint64(i+1) || seen[r.ID] {
			t.Fatalf("record %d: seq %d id %q (seen before: %v)", i, r.Seq, r.ID, seen[r.ID])
		}
		seen[r.ID] = true
	}
}

func testDedupWindow(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	must(s.Append(ctx, []store.LogRecord{rec("a", c.Now(), "1")}))
	c.Add(Window - time.Second)
	if seqs := must(s.Append(ctx, []store.LogRecord{rec("a", c.Now(), "2")})); seqs[0] != 0 {
		t.Fatalf("inside the window the id was appended again at %d", seqs[0])
	}
	c.Add(2 * time.Second)
	if seqs := must(s.Append(ctx, []store.LogRecord{rec("a", c.Now(), "3")})); seqs[0] == 0 {
		t.Fatal("past the window the id was still a duplicate")
	}
}

func testCommit(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	if cur := must(s.Cursor(ctx)); cur.Seq != 0 || !cur.Watermark.IsZero() {
		t.Fatalf("a new store's cursor: %+v", cur)
	}
	if _, err := s.Customer(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown customer: %v", err)
	}
	tr := store.Transition{Time: c.Now(), Stack: "growth", Journey: "cart", Customer: "c1", Run: 1, To: "browsing", Reason: "entered"}
	err := s.Commit(ctx, store.Commit{
		Customers:   []store.Customer{{ID: "c2", Data: []byte("two")}, {ID: "c1", Data: []byte("one")}, {ID: "c3", Data: []byte("three")}},
		Transitions: []store.Transition{tr, {Time: c.Now(), Stack: "growth", Journey: "cart", Customer: "c2", Run: 1, To: "browsing", Reason: "entered", Late: true}},
		Cursor:      store.Cursor{Seq: 7, Watermark: c.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx, store.Commit{
		Customers: []store.Customer{{ID: "c1", Data: []byte("one, later")}, {ID: "c2", Data: []byte("two, again")}},
		Delete:    []string{"c3", "c2"},
		Transitions: []store.Transition{{Time: c.Now().Add(time.Hour), Stack: "growth", Journey: "cart", Customer: "c1", Run: 1,
			From: "browsing", Reason: "completed"}},
		Cursor: store.Cursor{Seq: 9, Watermark: c.Now().Add(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cur := must(s.Cursor(ctx))
	if cur.Seq != 9 || !cur.Watermark.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("cursor %+v", cur)
	}
	if got := must(s.Customer(ctx, "c1")); string(got.Data) != "one, later" {
		t.Fatalf("c1: %q", got.Data)
	}
	if _, err := s.Customer(ctx, "c3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted customer: %v", err)
	}
	var ids []string
	err = s.Customers(ctx, func(cu store.Customer) error {
		ids = append(ids, cu.ID+"="+string(cu.Data))
		return nil
	})
	if err != nil || fmt.Sprint(ids) != "[c1=one, later c2=two, again]" {
		t.Fatalf("Customers: %v %v", ids, err)
	}
	stop := errors.New("stop")
	if err := s.Customers(ctx, func(store.Customer) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Customers did not return fn's error: %v", err)
	}
	trs := must(s.Transitions(ctx, 0, 10))
	if len(trs) != 3 || trs[0].Seq != 1 || trs[2].Seq != 3 || trs[2].Reason != "completed" || trs[2].From != "browsing" || !trs[1].Late {
		t.Fatalf("transitions: %+v", trs)
	}
	want := tr
	want.Seq = 1
	if !trs[0].Time.Equal(want.Time) {
		t.Fatalf("transition time %v, want %v", trs[0].Time, want.Time)
	}
	trs[0].Time = want.Time
	if trs[0] != want {
		t.Fatalf("transition %+v, want %+v", trs[0], want)
	}
	if page := must(s.Transitions(ctx, 1, 1)); len(page) != 1 || page[0].Seq != 2 {
		t.Fatalf("Transitions(1, 1): %+v", page)
	}
}

func testReopen(t *testing.T, f Factory) {
	if f.Reopen == nil {
		return // this store keeps nothing across a restart, by design
	}
	ctx := context.Background()
	c := newClock()
	s := f.Open(t, c.Now)
	must(s.Deploy(ctx, store.Deployment{Stack: "growth", Document: []byte("doc")}, 0, store.LogRecord{Arrival: c.Now(), Data: []byte("d")}))
	must(s.Append(ctx, []store.LogRecord{rec("a", c.Now(), "A"), rec("b", c.Now(), "B")}))
	if err := s.CreateToken(ctx, store.Token{Name: "admin", Hash: []byte("h"), Scopes: []store.Scope{store.ScopeAdmin}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, store.Commit{Customers: []store.Customer{{ID: "c1", Data: []byte("one")}}, Cursor: store.Cursor{Seq: 2},
		Models:     []store.Model{{Key: "m", Data: []byte("beta")}},
		Deliveries: []store.Delivery{{ID: "k1", Customer: "c1", State: store.DeliveryPending, Updated: c.Now(), Data: []byte("entry")}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "d1", Customer: "c1", Time: c.Now(), Data: []byte("rec")}}); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s, c.Now)
	t.Cleanup(func() { s.Close() })
	if d := must(s.Deployment(ctx, "growth", 0)); d.Serial != 1 || string(d.Document) != "doc" {
		t.Fatalf("deployment after reopen: %+v", d)
	}
	if last := must(s.LastSeq(ctx)); last != 3 {
		t.Fatalf("LastSeq after reopen: %d", last)
	}
	seqs := must(s.Append(ctx, []store.LogRecord{rec("a", c.Now(), "A again"), rec("d", c.Now(), "D")}))
	if seqs[0] != 0 || seqs[1] != 4 {
		t.Fatalf("after reopen: seqs %v, want [0 4] (a is still a duplicate)", seqs)
	}
	if tok := must(s.TokenByHash(ctx, []byte("h"))); tok.Name != "admin" {
		t.Fatalf("token after reopen: %+v", tok)
	}
	if cu := must(s.Customer(ctx, "c1")); !bytes.Equal(cu.Data, []byte("one")) {
		t.Fatalf("customer after reopen: %q", cu.Data)
	}
	if cur := must(s.Cursor(ctx)); cur.Seq != 2 {
		t.Fatalf("cursor after reopen: %+v", cur)
	}
	if ms := must(s.Models(ctx)); len(ms) != 1 || string(ms[0].Data) != "beta" {
		t.Fatalf("models after reopen: %+v", ms)
	}
	if d := must(s.Decision(ctx, "d1")); string(d.Data) != "rec" || !d.Time.Equal(c.Now()) {
		t.Fatalf("decision after reopen: %+v", d)
	}
	if d := must(s.Delivery(ctx, "k1")); string(d.Data) != "entry" || d.State != store.DeliveryPending {
		t.Fatalf("delivery after reopen: %+v", d)
	}
}

func testModels(t *testing.T, f Factory) {
	ctx := context.Background()
	s, _ := open(t, f)
	if ms := must(s.Models(ctx)); len(ms) != 0 {
		t.Fatalf("a new store has models: %+v", ms)
	}
	if err := s.Commit(ctx, store.Commit{Models: []store.Model{{Key: "b", Data: []byte("1")}, {Key: "a", Data: []byte("1")}}, Cursor: store.Cursor{Seq: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, store.Commit{Models: []store.Model{{Key: "b", Data: []byte("2")}}, Cursor: store.Cursor{Seq: 2}}); err != nil {
		t.Fatal(err)
	}
	ms := must(s.Models(ctx))
	if len(ms) != 2 || ms[0].Key != "a" || ms[1].Key != "b" || string(ms[1].Data) != "2" {
		t.Fatalf("models %+v", ms)
	}
}

func decisionIDs(ds []store.Decision) string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return fmt.Sprint(ids)
}

func testDecisions(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	at := func(h int) time.Time { return c.Now().Add(time.Duration(h) * time.Hour) }
	// IDs sort by time, as the caller makes them.
	if err := s.PutDecisions(ctx, []store.Decision{
		{ID: "01", Customer: "c1", Time: at(1), Data: []byte("a")},
		{ID: "02", Customer: "c2", Time: at(2), Data: []byte("b")},
		{ID: "03", Customer: "c1", Time: at(3), Data: []byte("c")},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "04", Customer: "c1", Time: at(4), Data: []byte("d")}, {ID: "03", Customer: "c1", Time: at(3), Data: []byte("c2")}}); err != nil {
		t.Fatal(err)
	}
	d := must(s.Decision(ctx, "03"))
	if d.Customer != "c1" || string(d.Data) != "c2" || !d.Time.Equal(at(3)) {
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
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "05", Customer: "c", Time: at(5)}}); err != nil {
		t.Fatal(err)
	}
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
}

func deliveryIDs(ds []store.Delivery) string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return fmt.Sprint(ids)
}

func testDeliveries(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	pending := func(id, customer string) store.Delivery {
		return store.Delivery{ID: id, Customer: customer, State: store.DeliveryPending, Updated: c.Now(), Data: []byte(id)}
	}
	if err := s.Commit(ctx, store.Commit{Deliveries: []store.Delivery{pending("k2", "c1"), pending("k1", "c1"), pending("k3", "c2")}, Cursor: store.Cursor{Seq: 1}}); err != nil {
		t.Fatal(err)
	}
	// An entry with an existing ID is not added again.
	again := pending("k1", "c1")
	again.Data = []byte("replaced")
	if err := s.Commit(ctx, store.Commit{Deliveries: []store.Delivery{again}, Cursor: store.Cursor{Seq: 2}}); err != nil {
		t.Fatal(err)
	}
	if d := must(s.Delivery(ctx, "k1")); string(d.Data) != "k1" || d.Customer != "c1" || !d.Updated.Equal(c.Now()) {
		t.Fatalf("Delivery(k1): %+v", d)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[k1 k2 k3]" {
		t.Fatalf("pending: %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "k1", 1))); got != "[k2]" {
		t.Fatalf("pending after k1, at most 1: %s", got)
	}
	failed := must(s.Delivery(ctx, "k2"))
	failed.State, failed.Data, failed.Updated = store.DeliveryFailed, []byte("failed"), c.Now().Add(time.Hour)
	if err := s.UpdateDelivery(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryFailed, "", 10))); got != "[k2]" {
		t.Fatalf("failed: %s", got)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[k1 k3]" {
		t.Fatalf("pending after k2 failed: %s", got)
	}
	if err := s.UpdateDelivery(ctx, pending("k9", "c1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("updating an unknown entry: %v", err)
	}
	done := must(s.Delivery(ctx, "k1"))
	done.State = store.DeliveryDelivered
	if err := s.UpdateDelivery(ctx, done); err != nil {
		t.Fatal(err)
	}
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

func testEraseWithRecords(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	if err := s.Commit(ctx, store.Commit{
		Customers:  []store.Customer{{ID: "c1", Data: []byte("1")}, {ID: "c2", Data: []byte("2")}},
		Deliveries: []store.Delivery{{ID: "k1", Customer: "c1", State: store.DeliveryPending, Updated: c.Now()}, {ID: "k2", Customer: "c2", State: store.DeliveryFailed, Updated: c.Now()}},
		Cursor:     store.Cursor{Seq: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "01", Customer: "c1", Time: c.Now()}, {ID: "02", Customer: "c2", Time: c.Now()}}); err != nil {
		t.Fatal(err)
	}
	// Erased and seen again in one commit: the new entry stays.
	if err := s.Commit(ctx, store.Commit{Delete: []string{"c1"},
		Deliveries: []store.Delivery{{ID: "k3", Customer: "c1", State: store.DeliveryPending, Updated: c.Now()}}, Cursor: store.Cursor{Seq: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decision(ctx, "01"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an erased customer's decision: %v", err)
	}
	if ds := must(s.CustomerDecisions(ctx, "c1", 10)); len(ds) != 0 {
		t.Fatalf("an erased customer's decisions: %+v", ds)
	}
	if _, err := s.Delivery(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an erased customer's delivery: %v", err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[k3]" {
		t.Fatalf("pending after erasure: %s", got)
	}
	if d := must(s.Decision(ctx, "02")); d.Customer != "c2" {
		t.Fatalf("another customer's decision: %+v", d)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryFailed, "", 10))); got != "[k2]" {
		t.Fatalf("another customer's delivery: %s", got)
	}
}

func testClosed(t *testing.T, f Factory) {
	ctx := context.Background()
	c := newClock()
	s := f.Open(t, c.Now)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, []store.LogRecord{rec("a", c.Now(), "A")}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if _, err := s.Cursor(ctx); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Cursor after Close: %v", err)
	}
}
