package analytics_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// randomFeed simulates runs through browsing, checkout and payment over
// span, each ending one way or another, with views and survey answers.
func randomFeed(runs int, span time.Duration, seed uint64) *feed {
	rng := rand.New(rand.NewPCG(seed, 7))
	fd := newFeed()
	stages := []string{"browsing", "checkout", "payment"}
	ends := []string{analytics.ReasonCompleted, analytics.ReasonExited, analytics.ReasonExpired, analytics.ReasonTimedOut}
	for i := 0; i < runs; i++ {
		c := "c-" + itoa(i)
		t := t0.Add(time.Duration(rng.Int64N(int64(span))))
		fd.enter(c, t, stages[0])
		s := 0
		for s < 2 && rng.IntN(3) > 0 {
			t = t.Add(time.Duration(rng.ExpFloat64() * float64(2*hour)))
			if rng.IntN(4) == 0 {
				fd.event(c, t, "viewed", nil)
			}
			fd.move(c, t, stages[s], stages[s+1])
			s++
		}
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(5*hour)))
		if rng.IntN(5) == 0 {
			fd.event(c, t, "survey", map[string]float64{"score": float64(rng.IntN(11))})
		}
		if rng.IntN(10) > 0 {
			fd.end(c, t, stages[s], ends[rng.IntN(len(ends))])
		}
	}
	// Records arrive in time order, as the engine commits them.
	sort.SliceStable(fd.recs, func(i, j int) bool { return recTime(fd.recs[i]).Before(recTime(fd.recs[j])) })
	return fd
}

func recTime(r analytics.Record) time.Time {
	if r.Transition != nil {
		return r.Transition.Time
	}
	return r.Event.Time
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

var allKPIs = []analytics.KPI{
	{Name: "conversion", Function: analytics.FuncConversion, Window: 7 * day, Target: &analytics.Target{Above: f(0.25), MinSamples: 30}},
	{Name: "dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 7 * day, Target: &analytics.Target{Below: f(0.4), MinSamples: 30}},
	{Name: "tis", Function: analytics.FuncTimeInStage, Stage: "checkout", Quantile: 0.9, Window: 7 * day},
	{Name: "ttg", Function: analytics.FuncTimeToGoal, Quantile: 0.5, Window: 7 * day},
	{Name: "rate", Function: analytics.FuncRate, Event: "viewed", Window: 7 * day},
	{Name: "avg", Function: analytics.FuncAverage, Event: "survey", Attribute: "score", Window: 30 * day},
	{Name: "nps", Function: analytics.FuncNPS, Event: "survey", Attribute: "score", Window: 30 * day},
}

func TestSnapshotAndReplay(t *testing.T) {
	ctx := context.Background()
	js := []analytics.Journey{journey(2*day, allKPIs...)}
	fd := randomFeed(3000, 20*day, 1)
	now := at(21 * day)

	ref := analytics.New(analytics.Options{})
	ref.Configure(js)
	ref.Apply(fd.recs...)
	want, err := ref.Report("growth", "cart", now)
	if err != nil {
		t.Fatal(err)
	}
	if want.Totals.Entries == 0 || want.KPIs[4].Value == nil || want.KPIs[6].Value == nil {
		t.Fatalf("the feed exercises too little: %+v", want)
	}

	st := analytics.NewMemStore()
	recs, err := st.Append(fd.recs...)
	if err != nil {
		t.Fatal(err)
	}
	// Without a snapshot, Open replays every record.
	a, err := analytics.Open(ctx, st, analytics.Options{}, js)
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, "replayed", a, now, want)

	// A snapshot in the middle, then the rest; the store drops what the
	// snapshot holds.
	half := len(recs) / 2
	b := analytics.New(analytics.Options{})
	b.Configure(js)
	b.Apply(recs[:half]...)
	if err := b.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	b.Apply(recs...) // the first half again is skipped by Seq
	assertReport(t, "applied twice", b, now, want)

	c, err := analytics.Open(ctx, st, analytics.Options{}, js)
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, "restored", c, now, want)
	if c.AppliedIn(0) != recs[len(recs)-1].Seq {
		t.Errorf("applied %d, want %d", c.AppliedIn(0), recs[len(recs)-1].Seq)
	}
}

func assertReport(t *testing.T, what string, a *analytics.Analytics, now time.Time, want *analytics.Report) {
	t.Helper()
	got, err := a.Report("growth", "cart", now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: report differs\ngot  %+v\nwant %+v", what, got, want)
	}
}

func TestRecordCodec(t *testing.T) {
	ts := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	for _, r := range []analytics.Record{
		{Transition: &analytics.Transition{Time: ts, Stack: "growth", Journey: "cart", Customer: "c-1", Run: 3, From: "a", To: "b",
			Reason: analytics.ReasonMoved, Entered: ts.Add(-time.Hour)}},
		{Transition: &analytics.Transition{Time: ts, Stack: "growth", Journey: "cart", Customer: "c-1", Run: 3, From: "b",
			Reason: analytics.ReasonCompleted, Sent: []analytics.Sent{{Action: "remind", Time: ts.Add(-time.Minute)}, {Action: "nudge", Time: ts}}}},
		{Event: &analytics.Event{Time: ts, Stack: "growth", Journey: "cart", Customer: "c-1", Run: 1, Type: "survey",
			Attributes: map[string]float64{"score": 9, "csat": 4.5}}},
		{Event: &analytics.Event{Time: ts, Stack: "s", Journey: "j", Customer: "c", Type: "viewed"}},
		{Decision: &analytics.Decision{Time: ts, DecisionID: "d-1", Customer: "c", Stack: "s", Journey: "j", Action: "a", Channel: "web", Explore: true}},
		{Delivery: &analytics.Delivery{Time: ts, Customer: "c", Stack: "s", Journey: "j", Action: "a", Channel: "email", Outcome: analytics.Bounced}},
		{Response: &analytics.Response{Time: ts, DecisionID: "d-1", Customer: "c", Stack: "s", Journey: "j", Action: "a", Channel: "web", Outcome: "clicked"}},
		{Delivery: &analytics.Delivery{Time: ts, Customer: "c", Stack: "s", Journey: "j", Action: "a", Channel: "email", Outcome: analytics.Delivered, Variant: "urgent"}},
		{Assignment: &analytics.Assignment{Time: ts, Customer: "c", Stack: "s", Journey: "j", Action: "a", Experiment: "subject", Variant: "urgent"}},
		{Erasure: &analytics.Erasure{Time: ts, Customer: "c-1"}},
	} {
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got := analytics.Record{Seq: 9}
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		r.Seq = 9
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip: got %+v, want %+v", got, r)
		}
		for i := 0; i < len(b); i++ {
			var x analytics.Record
			if x.UnmarshalBinary(b[:i]) == nil {
				t.Errorf("a record cut at %d of %d bytes decodes", i, len(b))
			}
		}
	}
}

// The running window sums, added to as records arrive and slid as the
// clock moves, give what summing the buckets afresh gives.
func TestWindowSumsMatchFreshSums(t *testing.T) {
	js := []analytics.Journey{journey(2*day, allKPIs...)}
	fd := randomFeed(3000, 20*day, 5)
	live := analytics.New(analytics.Options{})
	live.Configure(js)
	var clock time.Time
	for i := 0; i < len(fd.recs); i += 499 {
		end := min(i+499, len(fd.recs))
		live.Apply(fd.recs[i:end]...)
		fresh := func(at time.Time) *analytics.Report {
			f := analytics.New(analytics.Options{})
			f.Configure(js)
			f.Apply(fd.recs[:end]...)
			r, err := f.Report("growth", "cart", at)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// The clock moves on, as the runtime's does.
		for _, d := range []time.Duration{0, 50 * time.Minute} {
			if at := recTime(fd.recs[end-1]).Add(d); at.After(clock) {
				clock = at
			}
			assertReport(t, "after "+itoa(end)+" records at "+clock.Format(time.RFC3339), live, clock, fresh(clock))
		}
		// A read at an earlier clock sums afresh. Only conversion()'s
		// cohort differs: it holds the entries matured by the latest clock.
		early := clock.Add(-3 * hour)
		got, err := live.Report("growth", "cart", early)
		if err != nil {
			t.Fatal(err)
		}
		want := fresh(early)
		got.KPIs[0], want.KPIs[0], got.Score, want.Score = analytics.KPIReport{}, analytics.KPIReport{}, nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after %d records, three hours back: report differs\ngot  %+v\nwant %+v", end, got, want)
		}
	}
}

// Records, reads, alerts and snapshots from several goroutines at once.
func TestConcurrentUse(t *testing.T) {
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{journey(2*day, allKPIs...)})
	fd := randomFeed(500, 5*day, 9)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, r := range fd.recs {
			a.Apply(r)
		}
	}()
	for i := 0; i < 50; i++ {
		now := at(time.Duration(i) * 2 * hour)
		if _, err := a.Report("growth", "cart", now); err != nil {
			t.Fatal(err)
		}
		a.Alerts(now)
		if _, err := a.Snapshot(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}

// A snapshot from before partitions is refused with its version, so that
// the runtime starts analytics afresh and says why.
func TestSnapshotOfVersion1(t *testing.T) {
	old := append([]byte("WMA\x01"), make([]byte, 8)...)
	err := analytics.New(analytics.Options{}).Restore(old)
	if err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("restoring a version 1 snapshot: %v", err)
	}
	if err := analytics.New(analytics.Options{}).Restore([]byte("nonsense")); err == nil {
		t.Fatal("nonsense restored")
	}
}
