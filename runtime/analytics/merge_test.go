package analytics_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

const partitions = 8

// incident is runs through browsing, checkout and payment over 20 days,
// most of those entering from day 8 to day 12 dropping out at checkout,
// with survey answers: the dropoff KPI leaves its target and returns.
// Each customer's records are in partition i mod 8, numbered there in
// order of time, as the engine commits them.
func incident(runs int, seed uint64) [][]analytics.Record {
	rng := rand.New(rand.NewPCG(seed, 11))
	fd := newFeed()
	for i := range runs {
		c := fmt.Sprintf("c-%d", i)
		t := t0.Add(time.Duration(rng.Int64N(int64(20 * day))))
		bad := t.After(at(8*day)) && t.Before(at(12*day))
		fd.enter(c, t, "browsing")
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(hour)))
		fd.move(c, t, "browsing", "checkout")
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(2*hour)))
		if rng.IntN(4) == 0 {
			fd.event(c, t, "survey", map[string]float64{"score": float64(rng.IntN(11))})
		}
		if (bad && rng.IntN(10) < 7) || rng.IntN(10) < 2 {
			fd.end(c, t, "checkout", analytics.ReasonExited)
			continue
		}
		fd.move(c, t, "checkout", "payment")
		fd.end(c, t.Add(time.Duration(rng.ExpFloat64()*float64(hour))), "payment", analytics.ReasonCompleted)
	}
	sort.SliceStable(fd.recs, func(i, j int) bool { return recTime(fd.recs[i]).Before(recTime(fd.recs[j])) })
	parts := make([][]analytics.Record, partitions)
	for _, r := range fd.recs {
		var n int
		if r.Transition != nil {
			fmt.Sscanf(r.Transition.Customer, "c-%d", &n)
		} else {
			fmt.Sscanf(r.Event.Customer, "c-%d", &n)
		}
		p := n % partitions
		r.Partition, r.Seq = p, uint64(len(parts[p])+1)
		parts[p] = append(parts[p], r)
	}
	return parts
}

var alerting = []analytics.KPI{
	{Name: "dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day,
		Target: &analytics.Target{Below: f(0.4), MinSamples: 30}, AlertChannel: "ops"},
	{Name: "nps", Function: analytics.FuncNPS, Event: "survey", Attribute: "score", Window: 2 * day,
		Target: &analytics.Target{Above: f(-10), MinSamples: 30}, AlertChannel: "ops"},
}

// replicas plays partitions committing their records as replicas would:
// step picks a partition and commits the next n of its records; the low
// watermark is the earliest time a partition has not committed all its
// records before.
type replicas struct {
	parts [][]analytics.Record
	next  []int
}

func (r *replicas) low() time.Time {
	var low time.Time
	done := true
	for p, q := range r.parts {
		if r.next[p] == len(q) {
			continue
		}
		t := q[r.next[p]].At().Add(-time.Nanosecond)
		if done || t.Before(low) {
			low = t
		}
		done = false
	}
	if done {
		return at(30 * day)
	}
	return low
}

func (r *replicas) commit(p, n int) []analytics.Record {
	end := min(r.next[p]+n, len(r.parts[p]))
	out := r.parts[p][r.next[p]:end]
	r.next[p] = end
	return out
}

// feedIn feeds parts to fresh analytics through a Merge, choosing the
// partition and the size of each commit with rng and releasing up to the
// watermark every so often; it returns the alerts and the final report.
func feedIn(t *testing.T, parts [][]analytics.Record, rng *rand.Rand, maxCommit, releaseEvery int) ([]analytics.Alert, *analytics.Report) {
	t.Helper()
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{journey(0, alerting...)})
	m := analytics.NewMerge(a, partitions, nil)
	r := &replicas{parts: parts, next: make([]int, partitions)}
	var alerts []analytics.Alert
	for i := 0; ; i++ {
		var open []int
		for p := range parts {
			if r.next[p] < len(parts[p]) {
				open = append(open, p)
			}
		}
		if len(open) == 0 {
			break
		}
		// The watermark is taken before the records are read, as the
		// runtime's feed does: what a partition commits meanwhile comes
		// in with it or later, never before a watermark that counts it.
		low := r.low()
		p := open[rng.IntN(len(open))]
		m.Add(r.commit(p, 1+rng.IntN(maxCommit))...)
		if i%releaseEvery == 0 {
			alerts = append(alerts, m.Release(low)...)
		}
	}
	alerts = append(alerts, m.Release(r.low())...)
	if m.Held() != 0 {
		t.Fatalf("%d records held after the last watermark", m.Held())
	}
	rep, err := a.Report("growth", "cart", at(21*day))
	if err != nil {
		t.Fatal(err)
	}
	return alerts, rep
}

// The alerts raised at hour boundaries are the same however the
// partitions' records interleave and however they are batched.
func TestMergeAlertsAreTheSameInAnyInterleaving(t *testing.T) {
	parts := incident(4000, 3)
	want, wantRep := feedIn(t, parts, rand.New(rand.NewPCG(1, 1)), 1, 1)
	var states []string
	for _, al := range want {
		states = append(states, al.KPI+" "+al.State)
	}
	if len(want) < 2 {
		t.Fatalf("alerts %v: the feed exercises too little", states)
	}
	t.Logf("alerts %v", states)
	for i, run := range []struct{ maxCommit, releaseEvery int }{{50, 3}, {500, 1}, {5, 40}, {3000, 7}} {
		got, rep := feedIn(t, parts, rand.New(rand.NewPCG(uint64(i+2), 9)), run.maxCommit, run.releaseEvery)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("commits of up to %d records, released every %d: alerts\n%+v\nwant\n%+v", run.maxCommit, run.releaseEvery, got, want)
		}
		if !reflect.DeepEqual(rep, wantRep) {
			t.Errorf("commits of up to %d records, released every %d: report\n%+v\nwant\n%+v", run.maxCommit, run.releaseEvery, rep, wantRep)
		}
	}
}

// A record waits until the watermark reaches its time; the hour boundary
// before it is evaluated first, without it.
func TestMergeHoldsRecordsAfterTheWatermark(t *testing.T) {
	k := analytics.KPI{Name: "dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day,
		Target: &analytics.Target{Below: f(0.4), MinSamples: 1}, AlertChannel: "ops"}
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{journey(0, k)})
	m := analytics.NewMerge(a, partitions, nil)
	seq := func(p int, recs []analytics.Record) []analytics.Record {
		for i := range recs {
			recs[i].Partition, recs[i].Seq = p, uint64(i+1)
		}
		return recs
	}
	base := at(9*day + 10*time.Minute)
	// Partition 1 drops a run at 10:10; partition 2, ahead, moves two on
	// at 11:30.
	later := base.Add(80 * time.Minute)
	m.Add(seq(1, newFeed().enter("a", base, "checkout").end("a", base, "checkout", analytics.ReasonExited).recs)...)
	m.Add(seq(2, newFeed().enter("b", later, "checkout").move("b", later, "checkout", "payment").
		enter("c", later, "checkout").move("c", later, "checkout", "payment").recs)...)
	if als := m.Release(base); len(als) != 0 || m.Held() != 4 {
		t.Fatalf("at 10:10: alerts %+v, %d held; want none, the four of 11:30", als, m.Held())
	}
	if r, _ := a.Report("growth", "cart", base); r.Totals.Entries != 1 {
		t.Fatalf("at 10:10: %d entries, want 1", r.Totals.Entries)
	}
	// The watermark passes 11:00: the boundary sees only a's drop.
	als := m.Release(base.Add(55 * time.Minute))
	if len(als) != 1 || als[0].State != analytics.StateMissed || als[0].Value != 1 || !als[0].Time.Equal(at(9*day+time.Hour)) {
		t.Fatalf("at 11:05: alerts %+v, want dropoff missed at 1 at 11:00", als)
	}
	if als := m.Release(base.Add(2 * time.Hour)); len(als) != 1 || als[0].State != analytics.StateMet || als[0].Value != 1.0/3 {
		t.Fatalf("at 12:10: alerts %+v, want dropoff met at 1/3 at 12:00", als)
	}
	if m.Held() != 0 {
		t.Fatalf("%d held", m.Held())
	}
	// Records added again (a replay) are dropped.
	m.Add(seq(1, newFeed().enter("a", base, "checkout").recs)...)
	if m.Held() != 0 {
		t.Fatalf("a record added again is held")
	}
}
