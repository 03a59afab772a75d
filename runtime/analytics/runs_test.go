package analytics

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Runs entering, moving and ending in many journeys, customers erased,
// and a snapshot restored: each journey's runs in flight stay those a
// map per journey would hold, and the index holds no customer without
// one.
func TestInFlightIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := New(Options{})
	var specs []Journey
	for i := range 5 {
		specs = append(specs, Journey{Stack: "s", Name: fmt.Sprintf("j%d", i), Stages: []string{"a", "b"}})
	}
	a.Configure(specs)
	want := map[string]map[string]uint64{} // journey, customer: run
	n := uint64(0)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	check := func(step int) {
		t.Helper()
		listed := map[string]bool{}
		for _, s := range specs {
			j := a.journeys[jkey{"s", s.Name}]
			if got := int(j.active()); got != len(want[s.Name]) {
				t.Fatalf("step %d: %s has %d runs in flight, want %d", step, s.Name, got, len(want[s.Name]))
			}
			for i, r := range j.list {
				if r.pos != i || want[s.Name][r.customer] != r.n || j.run(r.customer, r.n) != r {
					t.Fatalf("step %d: %s lists run %d of %s at %d (pos %d), want run %d", step, s.Name, r.n, r.customer, i, r.pos, want[s.Name][r.customer])
				}
				listed[r.customer] = true
			}
		}
		if len(a.fl.byCustomer) != len(listed) {
			t.Fatalf("step %d: %d customers indexed, %d with runs", step, len(a.fl.byCustomer), len(listed))
		}
	}
	for step := range 3000 {
		at = at.Add(time.Minute)
		c := fmt.Sprintf("c%d", rng.IntN(40))
		s := specs[rng.IntN(len(specs))].Name
		if want[s] == nil {
			want[s] = map[string]uint64{}
		}
		cur, in := want[s][c]
		switch k := rng.IntN(10); {
		case k == 0:
			a.Erase(c, at)
			for _, m := range want {
				delete(m, c)
			}
		case k < 4 || !in:
			n++
			a.Apply(Record{Transition: &Transition{Time: at, Stack: "s", Journey: s, Customer: c, Run: n, To: "a", Reason: ReasonEntered}})
			want[s][c] = n
		case k < 7:
			a.Apply(Record{Transition: &Transition{Time: at, Stack: "s", Journey: s, Customer: c, Run: cur, From: "a", To: "b", Reason: ReasonMoved}})
		default:
			a.Apply(Record{Transition: &Transition{Time: at, Stack: "s", Journey: s, Customer: c, Run: cur, From: "b", Reason: ReasonExited}})
			delete(want[s], c)
		}
		check(step)
		if step%1000 == 999 {
			snap, err := a.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Restore(snap); err != nil {
				t.Fatal(err)
			}
			check(step)
		}
	}
}

// The pending heap's push and pop leave the array as container/heap's
// do, which snapshots write in that order.
func TestPendingHeapAsContainerHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var mine, theirs pendingHeap
	for i := range 5000 {
		if rng.IntN(3) > 0 || len(mine) == 0 {
			x := pendingItem{due: int64(rng.IntN(500)), converted: rng.IntN(2) == 0}
			mine.push(x)
			heap.Push(&theirs, x)
		} else if a, b := mine.pop(), heap.Pop(&theirs).(pendingItem); a != b {
			t.Fatalf("step %d: popped %+v, container/heap %+v", i, a, b)
		}
		if !slices.Equal(mine, theirs) {
			t.Fatalf("step %d: the arrays differ", i)
		}
	}
}
