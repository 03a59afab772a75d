package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// read reads the log, failing the test on an error or on a head that is
// behind a record returned.
func read(t *testing.T, s store.Store, from []store.From, max int) ([]store.LogRecord, store.Head) {
	t.Helper()
	recs, head, err := s.Read(context.Background(), from, max)
	if err != nil {
		t.Fatalf("Read(%v, %d): %v", from, max, err)
	}
	if err := checkRead(recs, head, from, max); err != nil {
		t.Fatalf("Read(%v, %d): %v", from, max, err)
	}
	return recs, head
}

// checkRead checks what every read returns: at most max records, in order
// of Seq, of the partitions read and after their positions, none beyond the
// head.
func checkRead(recs []store.LogRecord, head store.Head, from []store.From, max int) error {
	if len(recs) > max {
		return fmt.Errorf("%d records, more than %d", len(recs), max)
	}
	var prev uint64
	for _, r := range recs {
		if r.Seq <= prev {
			return fmt.Errorf("record %d after record %d", r.Seq, prev)
		}
		prev = r.Seq
		if r.Seq > head.Seq {
			return fmt.Errorf("record %d beyond the head at %d", r.Seq, head.Seq)
		}
		if !wanted(r, from) {
			return fmt.Errorf("record %d of partition %d was not asked for", r.Seq, r.Partition)
		}
	}
	return nil
}

// wanted reports whether a read from from returns r.
func wanted(r store.LogRecord, from []store.From) bool {
	for _, f := range from {
		if r.Seq > f.After && (r.Partition == f.Partition || r.Partition == store.AllPartitions) {
			return true
		}
	}
	return false
}

// expect is what a read from from, up to max, returns of a log that holds
// recs, in order of Seq.
func expect(recs []store.LogRecord, from []store.From, max int) []store.LogRecord {
	var out []store.LogRecord
	for _, r := range recs {
		if len(out) < max && wanted(r, from) {
			out = append(out, r)
		}
	}
	return out
}

func showRecords(recs []store.LogRecord) string {
	out := []string{}
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%d:p%d:%s", r.Seq, r.Partition, r.Data))
	}
	return fmt.Sprint(out)
}

func datas(recs []store.LogRecord) string {
	out := []string{}
	for _, r := range recs {
		out = append(out, string(r.Data))
	}
	return fmt.Sprint(out)
}

func rec(p int, id string, at time.Time, data string) store.LogRecord {
	return store.LogRecord{Partition: p, ID: id, Arrival: at, Data: []byte(data)}
}

func testAppend(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	now := c.Now()
	if h := must(s.Head(ctx)); h.Seq != 0 || !h.Clock.IsZero() || !h.ArrivalClock.IsZero() {
		t.Fatalf("a new store's head: %+v", h)
	}
	if seqs := must(s.Append(ctx, nil)); len(seqs) != 0 {
		t.Fatalf("Append(nil): %v", seqs)
	}
	first := []store.LogRecord{
		{Partition: 1, ID: "a", Arrival: now, Time: now.Add(-time.Hour), Data: []byte("A")},
		rec(2, "b", now, "B"),
		rec(1, "a", now, "A again"),
		rec(3, "", now, "no id"),
		rec(3, "", now, "no id"),
		// What the store assigns is not taken from the caller.
		{Seq: 99, Partition: store.AllPartitions, Arrival: now, Clock: minutes(99), ArrivalClock: minutes(99), Data: []byte("all")},
	}
	seqs := must(s.Append(ctx, first))
	if len(seqs) != len(first) || seqs[2] != 0 {
		t.Fatalf("seqs %v, want 6 of them and 0 for the duplicate third", seqs)
	}
	kept := []uint64{seqs[0], seqs[1], seqs[3], seqs[4], seqs[5]}
	for i, seq := range kept {
		if seq == 0 || i > 0 && seq <= kept[i-1] {
			t.Fatalf("seqs %v, want increasing in the order of the records", seqs)
		}
	}
	more := must(s.Append(ctx, []store.LogRecord{rec(2, "b", now, "B again"), rec(0, "c", now, "C")}))
	if len(more) != 2 || more[0] != 0 || more[1] <= seqs[5] {
		t.Fatalf("seqs %v, want [0 >%d]", more, seqs[5])
	}
	if h := must(s.Head(ctx)); h.Seq != more[1] {
		t.Fatalf("head at %d, want %d", h.Seq, more[1])
	}
	all, head := read(t, s, allPartitions(0), 100)
	if datas(all) != "[A B no id no id all C]" {
		t.Fatalf("log %s", showRecords(all))
	}
	if head.Seq != more[1] || all[len(all)-1].Seq != more[1] {
		t.Fatalf("read's head %+v, last record %d, want both at %d", head, all[len(all)-1].Seq, more[1])
	}
	for i, seq := range append(kept, more[1]) {
		if all[i].Seq != seq {
			t.Fatalf("record %d has seq %d, Append said %d", i, all[i].Seq, seq)
		}
	}
	a := all[0]
	if a.Partition != 1 || a.ID != "a" || !a.Arrival.Equal(now) || !a.Time.Equal(now.Add(-time.Hour)) || !a.Clock.IsZero() || !a.ArrivalClock.IsZero() {
		t.Fatalf("record 1: %+v", a)
	}
	if b := all[1]; b.Partition != 2 || b.ID != "b" || !b.Time.IsZero() {
		t.Fatalf("record 2: %+v", b)
	}
	if x := all[4]; x.Partition != store.AllPartitions || !x.Clock.Equal(now.Add(-time.Hour)) || !x.ArrivalClock.Equal(now) {
		t.Fatalf("record 5: %+v, want AllPartitions with the clocks of the records before it", x)
	}
}

func testAppendRefused(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	before := must(s.Append(ctx, []store.LogRecord{rec(0, "a", c.Now(), "A")}))
	for _, p := range []int{store.Partitions, -2, 1 << 20} {
		_, err := s.Append(ctx, []store.LogRecord{rec(1, "b", c.Now(), "B"), rec(p, "x", c.Now(), "X")})
		if err == nil {
			t.Fatalf("appending a record of partition %d: no error", p)
		}
		if h := must(s.Head(ctx)); h.Seq != before[0] {
			t.Fatalf("a refused append moved the head to %d from %d", h.Seq, before[0])
		}
	}
	// The ids of a refused append were not remembered.
	if seqs := must(s.Append(ctx, []store.LogRecord{rec(1, "b", c.Now(), "B")})); seqs[0] == 0 {
		t.Fatal("an id of a refused append deduplicated a later one")
	}
	if all, _ := read(t, s, allPartitions(0), 10); datas(all) != "[A B]" {
		t.Fatalf("log after refused appends: %s", showRecords(all))
	}
}

func testClocks(t *testing.T, o Opener) {
	ctx := context.Background()
	s, _ := open(t, o)
	zero := time.Time{}
	type step struct {
		deploy        bool // appended by Deploy instead of Append
		p             int
		id            string
		arrival, time time.Time
		// want is the record's clocks; dup marks a skipped duplicate.
		clock, arrivalClock time.Time
		dup                 bool
	}
	// Each group is one Append (or one Deploy).
	groups := [][]step{
		{
			{p: 1, id: "e1", arrival: minutes(0), time: zero, clock: zero, arrivalClock: zero},
			{p: 2, id: "e2", arrival: minutes(1), time: minutes(10), clock: zero, arrivalClock: minutes(0)},
			{p: 1, id: "e3", arrival: minutes(2), time: minutes(5), clock: minutes(10), arrivalClock: minutes(1)},
		},
		{
			// A skipped duplicate moves no clock.
			{p: 1, id: "e1", arrival: minutes(100), time: minutes(100), dup: true},
			{p: 3, arrival: minutes(3), time: zero, clock: minutes(10), arrivalClock: minutes(2)},
			// An earlier arrival and an earlier time do not move the clocks back.
			{p: 1, id: "e5", arrival: minutes(2), time: minutes(1), clock: minutes(10), arrivalClock: minutes(3)},
		},
		{{deploy: true, arrival: minutes(4), clock: minutes(10), arrivalClock: minutes(3)}},
		{
			{p: 4, id: "e6", arrival: minutes(4), time: minutes(20), clock: minutes(10), arrivalClock: minutes(4)},
		},
		{
			{p: 2, id: "e7", arrival: minutes(5), time: minutes(15), clock: minutes(20), arrivalClock: minutes(4)},
			{p: store.AllPartitions, arrival: minutes(6), clock: minutes(20), arrivalClock: minutes(5)},
		},
	}
	var want []step
	for i, g := range groups {
		if g[0].deploy {
			must(s.Deploy(ctx, store.Deployment{Stack: "growth"}, 0, store.LogRecord{Arrival: g[0].arrival, Time: g[0].time, Data: []byte("deploy")}))
			want = append(want, g[0])
			continue
		}
		var recs []store.LogRecord
		for j, st := range g {
			recs = append(recs, store.LogRecord{Partition: st.p, ID: st.id, Arrival: st.arrival, Time: st.time, Data: []byte(fmt.Sprintf("%d.%d", i, j))})
		}
		seqs := must(s.Append(ctx, recs))
		for j, st := range g {
			if st.dup != (seqs[j] == 0) {
				t.Fatalf("group %d record %d: seq %d, duplicate %v", i, j, seqs[j], st.dup)
			}
			if !st.dup {
				want = append(want, st)
			}
		}
	}
	all, head := read(t, s, allPartitions(0), 100)
	if len(all) != len(want) {
		t.Fatalf("log %s, want %d records", showRecords(all), len(want))
	}
	for i, r := range all {
		if !r.Clock.Equal(want[i].clock) || !r.ArrivalClock.Equal(want[i].arrivalClock) {
			t.Errorf("record %d (%s): clocks %v and %v, want %v and %v", i, r.Data, r.Clock, r.ArrivalClock, want[i].clock, want[i].arrivalClock)
		}
	}
	if !head.Clock.Equal(minutes(20)) || !head.ArrivalClock.Equal(minutes(6)) {
		t.Errorf("the read's head %+v, want clocks at minutes 20 and 6", head)
	}
	if h := must(s.Head(ctx)); h.Seq != head.Seq || !h.Clock.Equal(head.Clock) || !h.ArrivalClock.Equal(head.ArrivalClock) {
		t.Errorf("Head %+v, the read's head %+v", h, head)
	}
	// A partition read alone sees the clocks of the whole log.
	p1, _ := read(t, s, []store.From{{Partition: 1}}, 100)
	if len(p1) != 5 || !p1[2].Clock.Equal(minutes(10)) || !p1[2].ArrivalClock.Equal(minutes(3)) {
		t.Errorf("partition 1 read alone: %s", showRecords(p1))
	}
}

// named is a log of records by name, with the seq each was given.
type named struct {
	seqs map[string]uint64
}

func (n named) at(name string) uint64 {
	if name == "" {
		return 0
	}
	seq, ok := n.seqs[name]
	if !ok {
		panic("no record " + name)
	}
	return seq
}

func testRead(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	n := named{seqs: map[string]uint64{}}
	appendNamed := func(recs ...store.LogRecord) {
		for i, seq := range must(s.Append(ctx, recs)) {
			n.seqs[string(recs[i].Data)] = seq
		}
	}
	now := c.Now()
	appendNamed(rec(0, "", now, "a1"), rec(1, "", now, "b1"), rec(store.AllPartitions, "", now, "x1"))
	appendNamed(rec(0, "", now, "a2"), rec(2, "", now, "c1"), rec(1, "", now, "b2"), rec(255, "", now, "z1"))
	d := must(s.Deploy(ctx, store.Deployment{Stack: "growth"}, 0, store.LogRecord{Arrival: now, Data: []byte("x2")}))
	n.seqs["x2"] = d.Seq
	appendNamed(rec(0, "", now, "a3"))

	type from struct {
		p     int
		after string
	}
	reads := []struct {
		from []from
		max  int
		want string
	}{
		{[]from{{0, ""}}, 10, "[a1 x1 a2 x2 a3]"},
		{[]from{{0, "a2"}}, 10, "[x2 a3]"},
		{[]from{{1, ""}, {2, ""}}, 10, "[b1 x1 c1 b2 x2]"},
		// An activation comes with the partitions still before it.
		{[]from{{0, "a3"}, {1, ""}}, 10, "[b1 x1 b2 x2]"},
		{[]from{{0, "a2"}, {1, "b2"}}, 10, "[x2 a3]"},
		{[]from{{0, ""}}, 2, "[a1 x1]"},
		{[]from{{0, ""}, {1, ""}}, 3, "[a1 b1 x1]"},
		{[]from{{3, ""}}, 10, "[x1 x2]"},
		{[]from{{255, ""}}, 10, "[x1 z1 x2]"},
		{[]from{{255, "z1"}}, 10, "[x2]"},
		{nil, 10, "[]"},
		{[]from{{0, "a3"}}, 10, "[]"},
		{[]from{{0, "a1"}}, 0, "[]"},
		// A partition named twice is read from its lower position.
		{[]from{{0, "a3"}, {0, ""}}, 10, "[a1 x1 a2 x2 a3]"},
		// AllPartitions named on its own.
		{[]from{{store.AllPartitions, ""}}, 10, "[x1 x2]"},
		{[]from{{store.AllPartitions, "x1"}, {1, "b2"}}, 10, "[x2]"},
	}
	head := must(s.Head(ctx))
	if head.Seq != n.at("a3") {
		t.Fatalf("head at %d, want a3's %d", head.Seq, n.at("a3"))
	}
	for _, r := range reads {
		var fs []store.From
		for _, f := range r.from {
			fs = append(fs, store.From{Partition: f.p, After: n.at(f.after)})
		}
		recs, h := read(t, s, fs, r.max)
		if got := datas(recs); got != r.want {
			t.Errorf("Read(%v, %d): %s, want %s", r.from, r.max, got, r.want)
		}
		if h.Seq != head.Seq || !h.Clock.Equal(head.Clock) || !h.ArrivalClock.Equal(head.ArrivalClock) {
			t.Errorf("Read(%v, %d): head %+v, want %+v", r.from, r.max, h, head)
		}
	}
	// Past the head.
	if recs, _ := read(t, s, []store.From{{Partition: 0, After: head.Seq + 1000}}, 10); len(recs) != 0 {
		t.Errorf("a read past the head: %s", showRecords(recs))
	}
	if recs, _ := read(t, s, allPartitions(0), 100); len(recs) != len(n.seqs) {
		t.Errorf("every partition: %s", showRecords(recs))
	}
	for _, p := range []int{store.Partitions, -2} {
		if _, _, err := s.Read(ctx, []store.From{{Partition: 0}, {Partition: p}}, 10); err == nil {
			t.Errorf("a read of partition %d: no error", p)
		}
	}
}

// randomLog appends n records of random partitions (mostly a few, some
// AllPartitions) in Appends of random sizes and returns them as stored.
func randomLog(t *testing.T, s store.Store, c *Clock, rnd *rand.Rand, n int) []store.LogRecord {
	ctx := context.Background()
	var all []store.LogRecord
	for len(all) < n {
		size := 1 + rnd.IntN(40)
		var recs []store.LogRecord
		for range size {
			p := rnd.IntN(6)
			switch rnd.IntN(30) {
			case 0:
				p = store.AllPartitions
			case 1:
				p = store.Partitions - 1
			}
			recs = append(recs, rec(p, "", c.Now(), fmt.Sprint(len(all)+len(recs))))
		}
		for i, seq := range must(s.Append(ctx, recs)) {
			recs[i].Seq = seq
		}
		all = append(all, recs...)
	}
	return all
}

func testReadRandom(t *testing.T, o Opener) {
	s, c := open(t, o)
	rnd := rand.New(rand.NewPCG(1, 2))
	all := randomLog(t, s, c, rnd, 1500)
	last := all[len(all)-1].Seq
	position := func() uint64 {
		switch rnd.IntN(4) {
		case 0:
			return 0
		case 1:
			return last + uint64(rnd.IntN(3))
		default:
			return all[rnd.IntN(len(all))].Seq
		}
	}
	for i := range 300 {
		var from []store.From
		for range 1 + rnd.IntN(4) {
			p := rnd.IntN(8)
			if p >= 6 {
				p = store.Partitions - 1
			}
			from = append(from, store.From{Partition: p, After: position()})
		}
		max := []int{1, 5, 50, 5000}[rnd.IntN(4)]
		got, head := read(t, s, from, max)
		if head.Seq != last {
			t.Fatalf("read %d: head at %d, want %d", i, head.Seq, last)
		}
		if want := expect(all, from, max); showRecords(got) != showRecords(want) {
			t.Fatalf("read %d: Read(%v, %d):\n got %s\nwant %s", i, from, max, showRecords(got), showRecords(want))
		}
	}
}

// consume reads partitions ps to the head in pages of max, as a processor
// does: each position moves to the last record of a full page, or to the
// head after a page that was not full.
func consume(t *testing.T, s store.Store, from []store.From, max int) []store.LogRecord {
	t.Helper()
	var out []store.LogRecord
	from = slices.Clone(from)
	for range 100000 {
		recs, head := read(t, s, from, max)
		out = append(out, recs...)
		to := head.Seq
		if len(recs) == max {
			to = recs[len(recs)-1].Seq
		}
		for i := range from {
			from[i].After = maxU(from[i].After, to)
		}
		if len(recs) < max {
			return out
		}
	}
	t.Fatal("reading never reached the head")
	return nil
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func testReadPaging(t *testing.T, o Opener) {
	s, c := open(t, o)
	rnd := rand.New(rand.NewPCG(3, 4))
	all := randomLog(t, s, c, rnd, 800)
	mid := all[len(all)/2].Seq
	for _, from := range [][]store.From{
		allPartitions(0),
		{{Partition: 0}},
		{{Partition: 1}, {Partition: 4}},
		{{Partition: 2, After: mid}, {Partition: 3}},
		{{Partition: store.Partitions - 1, After: mid}},
	} {
		for _, max := range []int{1, 7, 100} {
			got := consume(t, s, from, max)
			if want := expect(all, from, len(all)); showRecords(got) != showRecords(want) {
				t.Fatalf("paging %v by %d:\n got %s\nwant %s", from, max, showRecords(got), showRecords(want))
			}
		}
	}
}

func testDedupWindow(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	must(s.Append(ctx, []store.LogRecord{rec(0, "a", c.Now(), "1")}))
	c.Add(Window - time.Second)
	// In another partition too: ids are global.
	if seqs := must(s.Append(ctx, []store.LogRecord{rec(5, "a", c.Now(), "2")})); seqs[0] != 0 {
		t.Fatalf("inside the window the id was appended again at %d", seqs[0])
	}
	c.Add(2 * time.Second)
	if seqs := must(s.Append(ctx, []store.LogRecord{rec(0, "a", c.Now(), "3")})); seqs[0] == 0 {
		t.Fatal("past the window the id was still a duplicate")
	}
	if seqs := must(s.Append(ctx, []store.LogRecord{rec(0, "a", c.Now(), "4")})); seqs[0] != 0 {
		t.Fatal("an id appended anew did not deduplicate")
	}
}

// reader follows the log while it is written, as a processor does, and
// keeps what it saw.
type reader struct {
	from []store.From
	max  int
	seen []store.LogRecord
}

// step reads once and reports whether the reader was at the head. It
// fails on a record before one it saw (a gap filled after it was read
// past) and, when headFirst, on a read that missed a record below a head
// it saw before reading.
func (r *reader) step(ctx context.Context, s store.Store, headFirst bool) (bool, error) {
	var before store.Head
	if headFirst {
		var err error
		if before, err = s.Head(ctx); err != nil {
			return false, err
		}
	}
	recs, head, err := s.Read(ctx, r.from, r.max)
	if err != nil {
		return false, err
	}
	if err := checkRead(recs, head, r.from, r.max); err != nil {
		return false, err
	}
	if head.Seq < before.Seq {
		return false, fmt.Errorf("read's head %d behind the head %d seen before it", head.Seq, before.Seq)
	}
	r.seen = append(r.seen, recs...)
	to := head.Seq
	if len(recs) == r.max {
		to = recs[len(recs)-1].Seq
	}
	for i := range r.from {
		r.from[i].After = maxU(r.from[i].After, to)
	}
	return len(recs) < r.max, nil
}

func testAppendConcurrent(t *testing.T, o Opener) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, c := open(t, o)
	s2 := share(t, o, s, c)
	handles := []store.Store{s, s2}
	const writers, batches, each = 8, 12, 20
	var wg, rwg sync.WaitGroup
	errs := make(chan error, writers+8)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := handles[w%2]
			rnd := rand.New(rand.NewPCG(uint64(w), 9))
			for b := range batches {
				var recs []store.LogRecord
				for i := range each {
					// Every writer also sends ids that all of them share.
					id := fmt.Sprintf("w%d-%d-%d", w, b, i)
					if i == 0 {
						id = fmt.Sprintf("shared-%d", b)
					}
					r := rec(rnd.IntN(8), id, c.Now().Add(time.Duration(rnd.IntN(1000))*time.Second), id)
					r.Time = c.Now().Add(time.Duration(rnd.IntN(1000)) * time.Minute)
					recs = append(recs, r)
				}
				if _, err := h.Append(ctx, recs); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Deployments append too, through another path.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for serial := range int64(6) {
			if _, err := handles[serial%2].Deploy(ctx, store.Deployment{Stack: "growth"}, serial, store.LogRecord{Arrival: c.Now(), Data: []byte("deploy")}); err != nil {
				errs <- err
				return
			}
		}
	}()
	readers := []*reader{
		{from: allPartitions(0), max: 64},
		{from: []store.From{{Partition: 0}, {Partition: 1}}, max: 16},
		{from: []store.From{{Partition: 7}}, max: 1000},
		{from: []store.From{{Partition: 100}}, max: 3},
	}
	done := make(chan struct{})
	for i, r := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			h := handles[i%2]
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := r.step(ctx, h, i%2 == 0); err != nil {
					errs <- fmt.Errorf("reader %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := consume(t, s, allPartitions(0), 1<<20)
	if want := writers*batches*(each-1) + batches + 6; len(all) != want {
		t.Fatalf("%d records, want %d", len(all), want)
	}
	ids := map[string]bool{}
	var clock, arrival time.Time
	for _, r := range all {
		if r.ID != "" && ids[r.ID] {
			t.Fatalf("id %q twice in the log", r.ID)
		}
		ids[r.ID] = true
		if !r.Clock.Equal(clock) || !r.ArrivalClock.Equal(arrival) {
			t.Fatalf("record %d: clocks %v and %v, want %v and %v (the highest of the records before it)", r.Seq, r.Clock, r.ArrivalClock, clock, arrival)
		}
		if r.Time.After(clock) {
			clock = r.Time
		}
		if r.Arrival.After(arrival) {
			arrival = r.Arrival
		}
	}
	// Each reader, brought to the head, saw every record of its
	// partitions exactly once: none was added behind it.
	for i, r := range readers {
		for {
			atHead, err := r.step(ctx, s, false)
			check(err)
			if atHead {
				break
			}
		}
		var fromStart []store.From
		for _, f := range r.from {
			fromStart = append(fromStart, store.From{Partition: f.Partition})
		}
		if got, want := showRecords(r.seen), showRecords(expect(all, fromStart, len(all))); got != want {
			t.Fatalf("reader %d of %v saw %d records, the log has %d:\n saw %s\nwant %s", i, fromStart, len(r.seen), strings.Count(want, ":p"), got, want)
		}
	}
}
