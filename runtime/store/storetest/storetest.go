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
		{"Facts", testFacts},
		{"AnalyticsSnapshot", testAnalyticsSnapshot},
		{"Models", testModels},
		{"Decisions", testDecisions},
		{"Deliveries", testDeliveries},
		{"AddDeliveries", testAddDeliveries},
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
	err := s.Commit(ctx, store.Commit{
		Customers: []store.Customer{{ID: "c2", Data: []byte("two")}, {ID: "c1", Data: []byte("one")}, {ID: "c3", Data: []byte("three")}},
		Facts:     facts("c1.entered", "c2.entered"),
		Cursor:    store.Cursor{Seq: 7, Watermark: c.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx, store.Commit{
		Customers: []store.Customer{{ID: "c1", Data: []byte("one, later")}, {ID: "c2", Data: []byte("two, again")}},
		Delete:    []string{"c3", "c2"},
		Facts:     facts("c1.completed"),
		Cursor:    store.Cursor{Seq: 9, Watermark: c.Now().Add(time.Hour)},
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
	// Facts of erased customers stay: they are analytics' inputs.
	if got := factList(must(s.Facts(ctx, 0, 10))); got != "[1:c1.entered 2:c2.entered 3:c1.completed]" {
		t.Fatalf("facts: %s", got)
	}
}

// facts returns facts with these data, in order.
func facts(data ...string) []store.Fact {
	out := make([]store.Fact, len(data))
	for i, d := range data {
		out[i] = store.Fact{Data: []byte(d)}
	}
	return out
}

// factList shows facts as [seq:data ...].
func factList(fs []store.Fact) string {
	out := []string{}
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d:%s", f.Seq, f.Data))
	}
	return fmt.Sprint(out)
}

func testFacts(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	if got := factList(must(s.Facts(ctx, 0, 10))); got != "[]" {
		t.Fatalf("a new store has facts: %s", got)
	}
	// A Seq set by the caller is not kept: the store numbers facts.
	if err := s.Commit(ctx, store.Commit{Facts: []store.Fact{{Seq: 40, Data: []byte("f1")}, {Data: []byte("f2")}}, Cursor: store.Cursor{Seq: 1}}); err != nil {
		t.Fatal(err)
	}
	// Decisions' facts join the same sequence, in the order of the
	// decisions given (not of their IDs).
	if err := s.PutDecisions(ctx, []store.Decision{
		{ID: "02", Customer: "c1", Time: c.Now(), Data: []byte("rec2"), Facts: facts("f3", "f4")},
		{ID: "01", Customer: "c2", Time: c.Now(), Data: []byte("rec1"), Facts: facts("f5")},
		{ID: "03", Customer: "c1", Time: c.Now(), Data: []byte("rec3")},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, store.Commit{Cursor: store.Cursor{Seq: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, store.Commit{Facts: facts("f6"), Cursor: store.Cursor{Seq: 3}}); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		after uint64
		max   int
		want  string
	}{
		{0, 10, "[1:f1 2:f2 3:f3 4:f4 5:f5 6:f6]"},
		{0, 2, "[1:f1 2:f2]"},
		{2, 3, "[3:f3 4:f4 5:f5]"},
		{5, 10, "[6:f6]"},
		{6, 10, "[]"},
		{100, 10, "[]"},
		{0, 0, "[]"},
	}
	for _, p := range pages {
		if got := factList(must(s.Facts(ctx, p.after, p.max))); got != p.want {
			t.Errorf("Facts(%d, %d): %s, want %s", p.after, p.max, got, p.want)
		}
	}
	// The records do not keep their facts.
	if d := must(s.Decision(ctx, "02")); d.Facts != nil || string(d.Data) != "rec2" {
		t.Fatalf("Decision(02): %+v, want the record without facts", d)
	}
	for _, d := range must(s.CustomerDecisions(ctx, "c1", 10)) {
		if d.Facts != nil {
			t.Fatalf("CustomerDecisions(c1): %s has facts %+v", d.ID, d.Facts)
		}
	}
	// Erasing a customer leaves the facts.
	if err := s.Commit(ctx, store.Commit{Delete: []string{"c1", "c2"}, Cursor: store.Cursor{Seq: 4}}); err != nil {
		t.Fatal(err)
	}
	if got := factList(must(s.Facts(ctx, 0, 10))); got != "[1:f1 2:f2 3:f3 4:f4 5:f5 6:f6]" {
		t.Fatalf("facts after erasing their customers: %s", got)
	}
}

func testAnalyticsSnapshot(t *testing.T, f Factory) {
	ctx := context.Background()
	c := newClock()
	s := f.Open(t, c.Now)
	t.Cleanup(func() { s.Close() })
	cursor := uint64(0)
	commit := func(data ...string) {
		t.Helper()
		cursor++
		if err := s.Commit(ctx, store.Commit{Facts: facts(data...), Cursor: store.Cursor{Seq: cursor}}); err != nil {
			t.Fatal(err)
		}
	}
	save := func(snapshot string, upTo uint64) {
		t.Helper()
		if err := s.SaveAnalyticsSnapshot(ctx, []byte(snapshot), upTo); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step, snapshot, facts string) {
		t.Helper()
		snap := must(s.AnalyticsSnapshot(ctx))
		if snapshot == "" && snap != nil || string(snap) != snapshot {
			t.Fatalf("%s: snapshot %q, want %q", step, snap, snapshot)
		}
		if got := factList(must(s.Facts(ctx, 0, 100))); got != facts {
			t.Fatalf("%s: facts %s, want %s", step, got, facts)
		}
	}
	check("a new store", "", "[]")
	commit("f1", "f2", "f3", "f4", "f5")
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "01", Customer: "c1", Time: c.Now(), Facts: facts("f6")}}); err != nil {
		t.Fatal(err)
	}
	check("before any snapshot", "", "[1:f1 2:f2 3:f3 4:f4 5:f5 6:f6]")
	save("s1", 3)
	check("a snapshot up to 3", "s1", "[4:f4 5:f5 6:f6]")
	if got := factList(must(s.Facts(ctx, 0, 2))); got != "[4:f4 5:f5]" {
		t.Fatalf("Facts(0, 2) after the snapshot: %s", got)
	}
	save("s2", 3)
	check("a snapshot replaced", "s2", "[4:f4 5:f5 6:f6]")
	commit("f7")
	check("a fact after the snapshot", "s2", "[4:f4 5:f5 6:f6 7:f7]")
	save("s3", 7)
	check("a snapshot of every fact", "s3", "[]")
	commit("f8")
	check("numbers are not reused", "s3", "[8:f8]")
	// A snapshot claiming facts not yet numbered: later facts come after.
	save("s4", 10)
	check("a snapshot beyond the last fact", "s4", "[]")
	commit("f9")
	check("a fact after that", "s4", "[11:f9]")
	save("", 0)
	check("an empty snapshot", "", "[11:f9]")
	if f.Reopen == nil {
		return
	}
	save("s5", 11)
	s = f.Reopen(t, s, c.Now)
	t.Cleanup(func() { s.Close() })
	check("after reopen", "s5", "[]")
	commit("f10")
	check("numbers are not reused after reopen", "s5", "[12:f10]")
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
		Facts:      facts("f1"),
		Deliveries: []store.Delivery{{ID: "k1", Customer: "c1", State: store.DeliveryPending, Updated: c.Now(), Data: []byte("entry")}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDecisions(ctx, []store.Decision{{ID: "d1", Customer: "c1", Time: c.Now(), Data: []byte("rec"), Facts: facts("f2")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDeliveries(ctx, []store.Delivery{{ID: "a1", State: store.DeliveryPending, Updated: c.Now(), Data: []byte("alert")}}); err != nil {
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
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a1 k1]" {
		t.Fatalf("pending after reopen: %s", got)
	}
	if got := factList(must(s.Facts(ctx, 0, 10))); got != "[1:f1 2:f2]" {
		t.Fatalf("facts after reopen: %s", got)
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

func testAddDeliveries(t *testing.T, f Factory) {
	ctx := context.Background()
	s, c := open(t, f)
	entry := func(id, customer, data string) store.Delivery {
		return store.Delivery{ID: id, Customer: customer, State: store.DeliveryPending, Updated: c.Now(), Data: []byte(data)}
	}
	if err := s.Commit(ctx, store.Commit{Deliveries: []store.Delivery{entry("k1", "c1", "k1")}, Cursor: store.Cursor{Seq: 1}}); err != nil {
		t.Fatal(err)
	}
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
	if err := s.Commit(ctx, store.Commit{Delete: []string{"c1", ""}, Cursor: store.Cursor{Seq: 2}}); err != nil {
		t.Fatal(err)
	}
	if got := deliveryIDs(must(s.Deliveries(ctx, store.DeliveryPending, "", 10))); got != "[a1 a2 a3]" {
		t.Fatalf("pending after erasing c1: %s", got)
	}
	failed := must(s.Delivery(ctx, "a1"))
	failed.State, failed.Updated = store.DeliveryFailed, c.Now().Add(time.Hour)
	if err := s.UpdateDelivery(ctx, failed); err != nil {
		t.Fatal(err)
	}
	done := must(s.Delivery(ctx, "a2"))
	done.State = store.DeliveryDelivered
	if err := s.UpdateDelivery(ctx, done); err != nil {
		t.Fatal(err)
	}
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
	if _, err := s.Facts(ctx, 0, 10); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Facts after Close: %v", err)
	}
	if err := s.SaveAnalyticsSnapshot(ctx, []byte("s"), 0); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("SaveAnalyticsSnapshot after Close: %v", err)
	}
	if _, err := s.AddDeliveries(ctx, []store.Delivery{{ID: "a1"}}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("AddDeliveries after Close: %v", err)
	}
}
