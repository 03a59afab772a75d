// Package storetest is the conformance suite that every store.Store
// implementation passes. It knows the Store contract and nothing of any one
// implementation: a store's tests call Run with an Opener.
//
// Every time the suite gives a store is a whole number of microseconds
// (PostgreSQL keeps no finer), and times compare with Equal, so a store may
// return them in any location.
package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Clock is a settable clock: the store's clock in the suite, for the
// deduplication window, heartbeats and leases.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

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

// Opener opens stores for the suite. Every store it opens uses now as its
// clock (the deduplication window, heartbeats and leases), never the wall
// clock, and Window as its deduplication window.
type Opener struct {
	// Open returns an empty store.
	Open func(t *testing.T, now func() time.Time) store.Store
	// Reopen closes s and opens it again from what it made durable; nil
	// for a store that keeps nothing.
	Reopen func(t *testing.T, s store.Store, now func() time.Time) store.Store
	// Share opens a second handle on the store s is, as another process
	// would (a replica sharing a database); nil where only one process
	// can use a store. The suite closes it.
	Share func(t *testing.T, s store.Store, now func() time.Time) store.Store
	// Exclusive is set for a store that one process holds alone: the
	// claims on deliveries end when it is reopened.
	Exclusive bool
}

// Run runs the suite.
func Run(t *testing.T, o Opener) {
	tests := []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"Deploy", testDeploy},
		{"Tokens", testTokens},
		{"Audit", testAudit},
		{"Append", testAppend},
		{"AppendRefused", testAppendRefused},
		{"Clocks", testClocks},
		{"Read", testRead},
		{"ReadRandom", testReadRandom},
		{"ReadPaging", testReadPaging},
		{"DedupWindow", testDedupWindow},
		{"AppendConcurrent", testAppendConcurrent},
		{"Heartbeat", testHeartbeat},
		{"Leases", testLeases},
		{"CommitFencing", testCommitFencing},
		{"AnalyticsLease", testAnalyticsLease},
		{"CommitRefused", testCommitRefused},
		{"Customers", testCustomers},
		{"Timers", testTimers},
		{"StageCounts", testStageCounts},
		{"Models", testModels},
		{"Cursors", testCursors},
		{"Facts", testFacts},
		{"AnalyticsSnapshot", testAnalyticsSnapshot},
		{"Decisions", testDecisions},
		{"Deliveries", testDeliveries},
		{"AddDeliveries", testAddDeliveries},
		{"Claims", testClaims},
		{"ClaimsConcurrent", testClaimsConcurrent},
		{"EraseWithRecords", testEraseWithRecords},
		{"CustomerKeys", testCustomerKeys},
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
			tt.run(t, o)
		})
	}
}

// start is the suite's clock at the opening of each store.
var start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// open opens an empty store on a clock of its own, closed at the end of the
// test.
func open(t *testing.T, o Opener) (store.Store, *Clock) {
	c := NewClock(start)
	s := o.Open(t, c.Now)
	t.Cleanup(func() { s.Close() })
	return s, c
}

// share returns a second handle on s's store where the store can have
// several, and s itself where it cannot.
func share(t *testing.T, o Opener, s store.Store, c *Clock) store.Store {
	if o.Share == nil {
		return s
	}
	s2 := o.Share(t, s, c.Now)
	t.Cleanup(func() { s2.Close() })
	return s2
}

// reopen reopens s, closed at the end of the test; false for a store that
// keeps nothing.
func reopen(t *testing.T, o Opener, s *store.Store, c *Clock) bool {
	if o.Reopen == nil {
		return false
	}
	*s = o.Reopen(t, *s, c.Now)
	s2 := *s
	t.Cleanup(func() { s2.Close() })
	return true
}

// must returns v, or fails the test (through the recover in Run) on err. It
// is for the calls a test does not test, in the test's goroutine only.
func must[T any](v T, err error) T {
	if err != nil {
		panic(failure{err})
	}
	return v
}

func check(err error) {
	if err != nil {
		panic(failure{err})
	}
}

type failure struct{ err error }

// idsIn returns n customer ids of partition p, prefixed with prefix, in
// the order they were found (not sorted).
func idsIn(p, n int, prefix string) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		if store.PartitionOf(id) == p {
			out = append(out, id)
		}
	}
	return out
}

// minutes is start plus n minutes.
func minutes(n int) time.Time { return start.Add(time.Duration(n) * time.Minute) }

// allPartitions is every partition, as a read from position after.
func allPartitions(after uint64) []store.From {
	out := make([]store.From, store.Partitions)
	for p := range out {
		out[p] = store.From{Partition: p, After: after}
	}
	return out
}
