package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/waymarkhq/waymark/runtime/store"
)

// pf is a fact of partition p with data d.
func pf(p int, d string) store.Fact { return store.Fact{Partition: p, Data: []byte(d)} }

// factList shows facts as [partition:data ...].
func factList(fs []store.Fact) string {
	out := []string{}
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d:%s", f.Partition, f.Data))
	}
	return fmt.Sprint(out)
}

// readFacts reads facts and checks their order: by partition, then by
// Seq, which is above the position asked for.
func readFacts(t *testing.T, s store.Store, after []uint64, max int) []store.Fact {
	t.Helper()
	fs := must(s.Facts(context.Background(), after, max))
	if len(fs) > max {
		t.Fatalf("Facts: %d facts, more than %d", len(fs), max)
	}
	for i, f := range fs {
		if f.Partition < 0 || f.Partition >= store.Partitions {
			t.Fatalf("Facts: a fact of partition %d", f.Partition)
		}
		if after != nil && f.Seq <= after[f.Partition] || f.Seq == 0 {
			t.Fatalf("Facts: fact %d of partition %d is not after %v", f.Seq, f.Partition, after)
		}
		if i > 0 {
			prev := fs[i-1]
			if f.Partition < prev.Partition || f.Partition == prev.Partition && f.Seq <= prev.Seq {
				t.Fatalf("Facts: %d:%d after %d:%d", f.Partition, f.Seq, prev.Partition, prev.Seq)
			}
		}
	}
	return fs
}

// positions returns the positions of after, every partition at 0 but
// those set by pairs of partition and Seq.
func positions(pairs ...uint64) []uint64 {
	out := make([]uint64, store.Partitions)
	for i := 0; i < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

func testFacts(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	if got := factList(readFacts(t, s, nil, 10)); got != "[]" {
		t.Fatalf("a new store has facts: %s", got)
	}
	// A Seq set by the caller is not kept: the store numbers facts.
	commit(s, store.Commit{Facts: []store.Fact{{Partition: 2, Seq: 40, Data: []byte("f1")}, pf(1, "g1"), pf(2, "f2")}})
	// Decisions' facts join their partitions' sequences, in the order of
	// the decisions given (not of their IDs).
	check(s.PutDecisions(ctx, []store.Decision{
		{ID: "02", Customer: "c1", Time: c.Now(), Data: []byte("rec2"), Facts: []store.Fact{pf(2, "f3"), pf(1, "g2")}},
		{ID: "01", Customer: "c2", Time: c.Now(), Data: []byte("rec1"), Facts: []store.Fact{pf(2, "f4")}},
		{ID: "03", Customer: "c1", Time: c.Now(), Data: []byte("rec3")},
	}))
	commit(s, store.Commit{})
	commit(s, store.Commit{Facts: []store.Fact{pf(2, "f5"), pf(255, "h1"), pf(0, "e1")}})
	all := readFacts(t, s, nil, 100)
	if got := factList(all); got != "[0:e1 1:g1 1:g2 2:f1 2:f2 2:f3 2:f4 2:f5 255:h1]" {
		t.Fatalf("facts: %s", got)
	}
	seq := map[string]uint64{}
	for _, f := range all {
		seq[string(f.Data)] = f.Seq
	}
	pages := []struct {
		after []uint64
		max   int
		want  string
	}{
		{nil, 3, "[0:e1 1:g1 1:g2]"},
		{positions(), 100, factList(all)},
		{positions(1, seq["g1"]), 2, "[0:e1 1:g2]"},
		{positions(0, seq["e1"], 1, seq["g2"], 2, seq["f2"]), 100, "[2:f3 2:f4 2:f5 255:h1]"},
		{positions(0, seq["e1"], 1, seq["g2"], 2, seq["f5"], 255, seq["h1"]), 100, "[]"},
		{positions(2, seq["f5"]+100), 100, "[0:e1 1:g1 1:g2 255:h1]"},
		{nil, 0, "[]"},
	}
	for _, p := range pages {
		if got := factList(readFacts(t, s, p.after, p.max)); got != p.want {
			t.Errorf("Facts(%v, %d): %s, want %s", p.after, p.max, got, p.want)
		}
	}
	if _, err := s.Facts(ctx, make([]uint64, 3), 10); err == nil {
		t.Error("Facts with 3 positions: no error")
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
	commit(s, store.Commit{Delete: []string{"c1", "c2"}})
	if got := factList(readFacts(t, s, nil, 100)); got != factList(all) {
		t.Fatalf("facts after erasing their customers: %s", got)
	}
}

func testAnalyticsSnapshot(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	save := func(snapshot string, upTo []uint64) {
		t.Helper()
		check(s.SaveAnalyticsSnapshot(ctx, []byte(snapshot), upTo, nil))
	}
	expect := func(step, snapshot string, upTo []uint64, facts string) {
		t.Helper()
		snap, at := must2(s.AnalyticsSnapshot(ctx))
		if snapshot == "" && snap != nil || string(snap) != snapshot {
			t.Fatalf("%s: snapshot %q, want %q", step, snap, snapshot)
		}
		if upTo == nil {
			upTo = positions()
		}
		if !slices.Equal(at, upTo) {
			t.Fatalf("%s: snapshot up to %v, want %v", step, at, upTo)
		}
		if got := factList(readFacts(t, s, nil, 100)); got != facts {
			t.Fatalf("%s: facts %s, want %s", step, got, facts)
		}
	}
	expect("a new store", "", nil, "[]")
	commit(s, store.Commit{Facts: []store.Fact{pf(1, "a1"), pf(1, "a2"), pf(2, "b1"), pf(1, "a3"), pf(2, "b2")}})
	check(s.PutDecisions(ctx, []store.Decision{{ID: "01", Customer: "c1", Time: c.Now(), Facts: []store.Fact{pf(3, "c1")}}}))
	expect("before any snapshot", "", nil, "[1:a1 1:a2 1:a3 2:b1 2:b2 3:c1]")
	seq := map[string]uint64{}
	for _, f := range readFacts(t, s, nil, 100) {
		seq[string(f.Data)] = f.Seq
	}

	at1 := positions(1, seq["a2"])
	save("s1", at1)
	expect("a snapshot of two facts", "s1", at1, "[1:a3 2:b1 2:b2 3:c1]")
	// Positions the snapshot passed are not read again; later ones are.
	if got := factList(readFacts(t, s, at1, 100)); got != "[1:a3 2:b1 2:b2 3:c1]" {
		t.Fatalf("facts after the snapshot: %s", got)
	}
	at2 := positions(1, seq["a3"], 2, seq["b2"], 3, seq["c1"])
	save("s2", at2)
	expect("a snapshot of every fact", "s2", at2, "[]")
	commit(s, store.Commit{Facts: []store.Fact{pf(1, "a4")}})
	a4 := readFacts(t, s, nil, 10)[0]
	if a4.Seq <= seq["a3"] {
		t.Fatalf("a fact after a snapshot numbered %d, not above %d", a4.Seq, seq["a3"])
	}
	// A snapshot claiming facts not yet numbered: later facts come after.
	at3 := positions(1, a4.Seq, 2, seq["b2"]+10, 4, 7)
	save("s3", at3)
	expect("a snapshot beyond the last facts", "s3", at3, "[]")
	commit(s, store.Commit{Facts: []store.Fact{pf(2, "b3"), pf(4, "d1")}})
	fs := readFacts(t, s, at3, 10)
	if factList(fs) != "[2:b3 4:d1]" || fs[0].Seq <= seq["b2"]+10 || fs[1].Seq <= 7 {
		t.Fatalf("facts after a snapshot beyond the last: %s at %d and %d", factList(fs), fs[0].Seq, fs[1].Seq)
	}
	save("", nil)
	expect("an empty snapshot", "", nil, "[2:b3 4:d1]")
	if err := s.SaveAnalyticsSnapshot(ctx, []byte("bad"), make([]uint64, 5), nil); err == nil {
		t.Fatal("a snapshot with 5 positions: no error")
	}
	expect("after a refused snapshot", "", nil, "[2:b3 4:d1]")
	at4 := positions(2, fs[0].Seq, 4, fs[1].Seq)
	save("s4", at4)
	if !reopen(t, o, &s, c) {
		return
	}
	expect("after reopen", "s4", at4, "[]")
	commit(s, store.Commit{Facts: []store.Fact{pf(2, "b4")}})
	if b4 := readFacts(t, s, nil, 10); factList(b4) != "[2:b4]" || b4[0].Seq <= fs[0].Seq {
		t.Fatalf("a fact after reopen: %s, numbered %d after %d", factList(b4), b4[0].Seq, fs[0].Seq)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	check(err)
	return a, b
}
