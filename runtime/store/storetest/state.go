package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

func customerList(cs []store.Customer) string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID+"="+string(c.Data))
	}
	return fmt.Sprint(out)
}

func commit(s store.Store, c store.Commit) {
	check(s.Commit(context.Background(), c))
}

func testCustomers(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	const p, q = 7, 8
	ids := idsIn(p, 6, "c")
	other := idsIn(q, 1, "c")[0]
	if _, err := s.Customer(ctx, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown customer: %v", err)
	}
	if got := must(s.Customers(ctx, p, "", 10)); len(got) != 0 {
		t.Fatalf("a new store's customers: %s", customerList(got))
	}
	var cs []store.Customer
	for i, id := range ids[:5] {
		cs = append(cs, store.Customer{ID: id, Partition: p, Data: []byte(fmt.Sprint(i))})
	}
	cs[1].Due = minutes(3)
	cs = append(cs, store.Customer{ID: other, Partition: q, Data: []byte("q")})
	commit(s, store.Commit{Customers: cs})

	got := must(s.Customer(ctx, ids[1]))
	if got.ID != ids[1] || got.Partition != p || !got.Due.Equal(minutes(3)) || string(got.Data) != "1" {
		t.Fatalf("Customer(%s): %+v", ids[1], got)
	}
	if got := must(s.Customer(ctx, ids[0])); !got.Due.IsZero() || got.Partition != p {
		t.Fatalf("Customer(%s): %+v, want no due time", ids[0], got)
	}
	// CustomersByID: those that exist, in any order.
	byID := must(s.CustomersByID(ctx, []string{ids[4], "nobody", other, ids[0]}))
	slices.SortFunc(byID, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	want := []store.Customer{cs[0], cs[4], cs[5]}
	slices.SortFunc(want, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	if customerList(byID) != customerList(want) {
		t.Fatalf("CustomersByID: %s, want %s", customerList(byID), customerList(want))
	}
	for _, c := range byID {
		if c.Partition != store.PartitionOf(c.ID) {
			t.Fatalf("CustomersByID: %s in partition %d", c.ID, c.Partition)
		}
	}
	if got := must(s.CustomersByID(ctx, nil)); len(got) != 0 {
		t.Fatalf("CustomersByID(nil): %s", customerList(got))
	}

	// Customers: one partition, in order of id, bytewise.
	sorted := slices.Clone(cs[:5])
	slices.SortFunc(sorted, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	pages := []struct {
		after string
		max   int
		want  []store.Customer
	}{
		{"", 10, sorted},
		{"", 2, sorted[:2]},
		{sorted[1].ID, 2, sorted[2:4]},
		// after needs not be an id that exists.
		{sorted[1].ID + "\x00", 10, sorted[2:]},
		{sorted[4].ID, 10, nil},
		{"", 0, nil},
	}
	for _, pg := range pages {
		if got := customerList(must(s.Customers(ctx, p, pg.after, pg.max))); got != customerList(pg.want) {
			t.Errorf("Customers(%d, %q, %d): %s, want %s", p, pg.after, pg.max, got, customerList(pg.want))
		}
	}
	if got := customerList(must(s.Customers(ctx, q, "", 10))); got != "["+other+"=q]" {
		t.Errorf("Customers(%d): %s", q, got)
	}

	// Replaced, deleted, and deleted then seen again in one commit.
	commit(s, store.Commit{
		Delete:    []string{ids[2], ids[3], "nobody"},
		Customers: []store.Customer{{ID: ids[0], Partition: p, Data: []byte("0, later")}, {ID: ids[3], Partition: p, Data: []byte("3, again")}, {ID: ids[5], Partition: p, Data: []byte("5")}},
	})
	if _, err := s.Customer(ctx, ids[2]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted customer: %v", err)
	}
	want = []store.Customer{
		{ID: ids[0], Data: []byte("0, later")}, {ID: ids[1], Data: []byte("1")}, {ID: ids[3], Data: []byte("3, again")},
		{ID: ids[4], Data: []byte("4")}, {ID: ids[5], Data: []byte("5")},
	}
	slices.SortFunc(want, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	if got := customerList(must(s.Customers(ctx, p, "", 10))); got != customerList(want) {
		t.Fatalf("Customers after the second commit: %s, want %s", got, customerList(want))
	}
	// The store files a customer by its id, whatever Partition says.
	odd := idsIn(9, 1, "odd")[0]
	commit(s, store.Commit{Customers: []store.Customer{{ID: odd, Partition: 10, Data: []byte("odd")}}})
	if got := must(s.Customer(ctx, odd)); got.Partition != 9 {
		t.Fatalf("a customer committed with the wrong partition: %+v", got)
	}
	if got := customerList(must(s.Customers(ctx, 9, "", 10))); got != "["+odd+"=odd]" {
		t.Fatalf("Customers(9): %s", got)
	}
}

func timers(ts []store.Timer) string {
	out := []string{}
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s@%s", t.Customer, t.Due.Sub(start)))
	}
	return fmt.Sprint(out)
}

func testTimers(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	const p = 11
	ids := idsIn(p, 4, "t")
	slices.Sort(ids)
	a, b, c, d := ids[0], ids[1], ids[2], ids[3]
	other := idsIn(p+1, 1, "t")[0]
	cust := func(id string, due time.Time) store.Customer {
		return store.Customer{ID: id, Partition: store.PartitionOf(id), Due: due, Data: []byte(id)}
	}
	commit(s, store.Commit{Customers: []store.Customer{cust(c, minutes(5)), cust(b, minutes(1)), cust(a, minutes(5)), cust(d, time.Time{}), cust(other, minutes(1))}})
	show := func(ts ...string) string { return fmt.Sprint(ts) }
	at := func(id string, m int) string { return fmt.Sprintf("%s@%s", id, minutes(m).Sub(start)) }
	reads := []struct {
		after store.Timer
		until time.Time
		max   int
		want  string
	}{
		{store.Timer{}, minutes(5), 10, show(at(b, 1), at(a, 5), at(c, 5))},
		{store.Timer{}, minutes(100), 10, show(at(b, 1), at(a, 5), at(c, 5))},
		{store.Timer{}, minutes(5).Add(-time.Microsecond), 10, show(at(b, 1))},
		{store.Timer{}, minutes(1), 10, show(at(b, 1))},
		{store.Timer{}, minutes(0), 10, "[]"},
		{store.Timer{}, minutes(5), 2, show(at(b, 1), at(a, 5))},
		{store.Timer{Customer: b, Due: minutes(1)}, minutes(5), 10, show(at(a, 5), at(c, 5))},
		{store.Timer{Customer: a, Due: minutes(5)}, minutes(5), 10, show(at(c, 5))},
		// After a timer that is not there: by due time, then id.
		{store.Timer{Customer: "", Due: minutes(5)}, minutes(5), 10, show(at(a, 5), at(c, 5))},
		{store.Timer{Customer: a, Due: minutes(2)}, minutes(5), 10, show(at(a, 5), at(c, 5))},
		{store.Timer{Customer: c, Due: minutes(5)}, minutes(5), 10, "[]"},
		{store.Timer{}, minutes(5), 0, "[]"},
	}
	for _, r := range reads {
		if got := timers(must(s.DueTimers(ctx, p, r.after, r.until, r.max))); got != r.want {
			t.Errorf("DueTimers(%d, %s, %s, %d): %s, want %s", p, timers([]store.Timer{r.after}), r.until.Sub(start), r.max, got, r.want)
		}
	}
	if got := timers(must(s.DueTimers(ctx, p+1, store.Timer{}, minutes(5), 10))); got != show(at(other, 1)) {
		t.Errorf("DueTimers of partition %d: %s", p+1, got)
	}
	if got := timers(must(s.DueTimers(ctx, p+2, store.Timer{}, minutes(5), 10))); got != "[]" {
		t.Errorf("DueTimers of partition %d: %s", p+2, got)
	}
	steps := []struct {
		name   string
		commit store.Commit
		want   string
	}{
		// The old entry goes when a customer's due time moves.
		{"a later", store.Commit{Customers: []store.Customer{cust(a, minutes(10))}}, show(at(b, 1), at(c, 5), at(a, 10))},
		{"d gets a timer", store.Commit{Customers: []store.Customer{cust(d, minutes(2))}}, show(at(b, 1), at(d, 2), at(c, 5), at(a, 10))},
		{"b has none", store.Commit{Customers: []store.Customer{cust(b, time.Time{})}}, show(at(d, 2), at(c, 5), at(a, 10))},
		{"c erased", store.Commit{Delete: []string{c}}, show(at(d, 2), at(a, 10))},
		{"a erased and seen again", store.Commit{Delete: []string{a}, Customers: []store.Customer{cust(a, minutes(3))}}, show(at(d, 2), at(a, 3))},
		{"d replaced at the same time", store.Commit{Customers: []store.Customer{cust(d, minutes(2))}}, show(at(d, 2), at(a, 3))},
	}
	for _, st := range steps {
		commit(s, st.commit)
		if got := timers(must(s.DueTimers(ctx, p, store.Timer{}, minutes(100), 10))); got != st.want {
			t.Fatalf("after %s: %s, want %s", st.name, got, st.want)
		}
	}
}

func testStageCounts(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	if got := must(s.StageCounts(ctx)); len(got) != 0 {
		t.Fatalf("a new store's counts: %v", got)
	}
	steps := []struct {
		counts []store.Count
		want   string
	}{
		{[]store.Count{{Partition: 0, Key: "j.s1", Delta: 3}, {Partition: 1, Key: "j.s1", Delta: 2}, {Partition: 0, Key: "j.s2", Delta: 1}}, "map[j.s1:5 j.s2:1]"},
		{[]store.Count{{Partition: 0, Key: "j.s2", Delta: -1}, {Partition: 1, Key: "j.s1", Delta: -2}, {Partition: 2, Key: "j.s3", Delta: 1}, {Partition: 2, Key: "j.s3", Delta: -1}}, "map[j.s1:3]"},
		// The sum over partitions is what counts: 3 and -3 are none.
		{[]store.Count{{Partition: 1, Key: "j.s1", Delta: -3}, {Partition: 0, Key: "j.s1", Delta: 0}}, "map[]"},
		{[]store.Count{{Partition: 255, Key: "j.s1", Delta: 4}, {Partition: 9, Key: "", Delta: 1}}, "map[:1 j.s1:4]"},
	}
	for i, st := range steps {
		commit(s, store.Commit{Counts: st.counts})
		if got := fmt.Sprint(must(s.StageCounts(ctx))); got != st.want {
			t.Fatalf("step %d: StageCounts %s, want %s", i, got, st.want)
		}
	}
}

func modelList(ms []store.Model) string {
	out := []string{}
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s=%s", m.Partition, m.Key, m.Data))
	}
	return fmt.Sprint(out)
}

func testModels(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	if ms := must(s.Models(ctx)); len(ms) != 0 {
		t.Fatalf("a new store has models: %+v", ms)
	}
	commit(s, store.Commit{Models: []store.Model{{Partition: 3, Key: "b", Data: []byte("1")}, {Partition: 3, Key: "a", Data: []byte("1")}, {Partition: 0, Key: "b", Data: []byte("0")}}})
	commit(s, store.Commit{Models: []store.Model{{Partition: 3, Key: "b", Data: []byte("2")}, {Partition: 255, Key: "a", Data: []byte("x")}}})
	if got := modelList(must(s.Models(ctx))); got != "[0:b=0 3:a=1 3:b=2 255:a=x]" {
		t.Fatalf("models %s", got)
	}
	// A model without data is removed: its action moved to another key.
	commit(s, store.Commit{Models: []store.Model{{Partition: 3, Key: "b"}, {Partition: 3, Key: "c", Data: []byte("2")}, {Partition: 7, Key: "none"}}})
	if got := modelList(must(s.Models(ctx))); got != "[0:b=0 3:a=1 3:c=2 255:a=x]" {
		t.Fatalf("models after removing one %s", got)
	}
}

func cursorList(cs []store.Cursor) string {
	out := []string{}
	for _, c := range cs {
		if c.Seq != 0 || !c.Clock.IsZero() || !c.ArrivalClock.IsZero() {
			out = append(out, fmt.Sprintf("%d:%d@%s/%s", c.Partition, c.Seq, since(c.Clock), since(c.ArrivalClock)))
		}
	}
	return fmt.Sprint(out)
}

// since shows t as the time since start, "-" for the zero time.
func since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Sub(start).String()
}

func testCursors(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	cs := must(s.Cursors(ctx))
	if len(cs) != store.Partitions {
		t.Fatalf("%d cursors, want %d", len(cs), store.Partitions)
	}
	for p, c := range cs {
		if c.Partition != p || c.Seq != 0 || !c.Clock.IsZero() || !c.ArrivalClock.IsZero() {
			t.Fatalf("a new store's cursor %d: %+v", p, c)
		}
	}
	commit(s, store.Commit{Cursors: []store.Cursor{{Partition: 3, Seq: 5, Clock: minutes(1), ArrivalClock: minutes(2)}, {Partition: 200, Seq: 7, ArrivalClock: minutes(3)}}})
	commit(s, store.Commit{Cursors: []store.Cursor{{Partition: 3, Seq: 9, Clock: minutes(4), ArrivalClock: minutes(5)}, {Partition: 0, Seq: 9}}})
	cs = must(s.Cursors(ctx))
	if got := cursorList(cs); got != "[0:9@-/- 3:9@4m0s/5m0s 200:7@-/3m0s]" {
		t.Fatalf("cursors %s", got)
	}
	for p, c := range cs {
		if c.Partition != p {
			t.Fatalf("cursor %d is of partition %d", p, c.Partition)
		}
	}
	if !cs[0].Clock.IsZero() || !cs[200].Clock.IsZero() {
		t.Fatalf("zero clocks came back as %v and %v", cs[0].Clock, cs[200].Clock)
	}
}
