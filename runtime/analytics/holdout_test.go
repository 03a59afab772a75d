package analytics_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/experiment"
)

var holdoutKPIs = []analytics.KPI{
	{Name: "conversion", Function: analytics.FuncConversion, Source: "conversion()", Window: 30 * day},
	{Name: "dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Source: "dropoff(stage.checkout)", Window: 30 * day},
	{Name: "viewed", Function: analytics.FuncRate, Event: "viewed", Source: "rate(event.viewed)", Window: 30 * day},
	{Name: "nps", Function: analytics.FuncNPS, Event: "survey", Attribute: "score", Window: 30 * day},
}

// truth is what a holdout stream's generator knows: per side, the runs
// and those that reached the goal.
type truth struct{ heldRuns, heldGoals, treatedRuns, treatedGoals int64 }

// holdoutStream is runs through browsing and checkout over 12 days, the
// customers held out (20%) completing at 40% and the treated at 50%, split
// into partitions as in incident.
func holdoutStream(runs int, seed uint64) ([][]analytics.Record, truth) {
	rng := rand.New(rand.NewPCG(seed, 5))
	fd := newFeed()
	var tr truth
	for i := range runs {
		c := fmt.Sprintf("c-%d", i)
		held := experiment.Holdout(experiment.GlobalHoldoutSalt, c, 0.2)
		t := t0.Add(time.Duration(rng.Int64N(int64(12 * day))))
		fd.enter(c, t, "browsing")
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(hour)))
		if rng.IntN(10) < 6 {
			fd.event(c, t, "viewed", nil)
		}
		fd.move(c, t, "browsing", "checkout")
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(2*hour)))
		fd.event(c, t, "survey", map[string]float64{"score": float64(rng.IntN(11))})
		p := 50
		if held {
			p = 40
		}
		goal := rng.IntN(100) < p
		if goal {
			fd.end(c, t, "checkout", analytics.ReasonCompleted)
		} else {
			fd.end(c, t, "checkout", analytics.ReasonExited)
		}
		if held {
			tr.heldRuns++
			tr.heldGoals += b2i(goal)
		} else {
			tr.treatedRuns++
			tr.treatedGoals += b2i(goal)
		}
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
	return parts, tr
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// feedHoldout feeds parts through a Merge in commits of up to maxCommit
// records, released every releaseEvery commits; with snapshotAt > 0 it
// snapshots after that many commits and goes on in analytics restored
// from the snapshot. It returns the KPIs at day 14.
func feedHoldout(t *testing.T, spec analytics.Journey, parts [][]analytics.Record, rng *rand.Rand, maxCommit, releaseEvery, snapshotAt int) []analytics.KPIReport {
	t.Helper()
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{spec})
	m := analytics.NewMerge(a, partitions, nil)
	r := &replicas{parts: parts, next: make([]int, partitions)}
	for i := 1; ; i++ {
		var open []int
		for p := range parts {
			if r.next[p] < len(parts[p]) {
				open = append(open, p)
			}
		}
		if len(open) == 0 {
			break
		}
		low := r.low()
		p := open[rng.IntN(len(open))]
		m.Add(r.commit(p, 1+rng.IntN(maxCommit))...)
		if i%releaseEvery == 0 {
			m.Release(low)
		}
		if i == snapshotAt {
			m.Release(low)
			snap, err := a.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			b := analytics.New(analytics.Options{})
			b.Configure([]analytics.Journey{spec})
			if err := b.Restore(snap); err != nil {
				t.Fatal(err)
			}
			held := m.Held()
			a, m = b, analytics.NewMerge(b, partitions, nil)
			if held != 0 {
				// What the old merge held is replayed from the partitions,
				// as after a restart: the snapshot's positions skip the rest.
				for p := range parts {
					r.next[p] = int(b.AppliedIn(p))
				}
			}
		}
	}
	m.Release(r.low())
	ks, err := a.KPIs("growth", "cart", at(14*day))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestHoldoutKPIs: each KPI that is a share reports the held-out and the
// treated customers apart, exactly as the stream's generator counted them,
// with the lift of the treated; the same however the partitions' records
// are batched, interleaved or snapshotted between.
func TestHoldoutKPIs(t *testing.T) {
	parts, tr := holdoutStream(6000, 1)
	spec := journey(2*day, holdoutKPIs...)
	spec.Holdout = 0.2
	want := feedHoldout(t, spec, parts, rand.New(rand.NewPCG(1, 1)), 1, 1, 0)

	conv := want[0]
	h := conv.Holdout
	if h == nil {
		t.Fatal("conversion has no holdout figures")
	}
	if h.Holdout.Samples != tr.heldRuns || h.Holdout.Count != tr.heldGoals ||
		h.Treated.Samples != tr.treatedRuns || h.Treated.Count != tr.treatedGoals {
		t.Fatalf("conversion holdout %d/%d, treated %d/%d; the stream has %d/%d and %d/%d",
			h.Holdout.Count, h.Holdout.Samples, h.Treated.Count, h.Treated.Samples,
			tr.heldGoals, tr.heldRuns, tr.treatedGoals, tr.treatedRuns)
	}
	if h.Holdout.Samples+h.Treated.Samples != conv.Samples {
		t.Fatalf("holdout %d + treated %d samples != the KPI's %d", h.Holdout.Samples, h.Treated.Samples, conv.Samples)
	}
	share := float64(tr.heldRuns) / float64(tr.heldRuns+tr.treatedRuns)
	if share < 0.18 || share > 0.22 { // 4 standard deviations of 6,000 runs
		t.Fatalf("%.3f of runs held out, want 0.2 ± 0.02", share)
	}
	// True lift (0.5 - 0.4) / 0.4 = 25%: the interval holds it and not 0.
	if h.Lift == nil || h.Lift.Low <= 0 || h.Lift.Low > 0.25 || h.Lift.High < 0.25 || h.Share != 0.2 {
		t.Fatalf("conversion lift %+v (share %g), want an interval over 25%% above 0", h.Lift, h.Share)
	}
	if h.Test.State != string(experiment.Winner) {
		t.Fatalf("sequential test %+v, want winner", h.Test)
	}
	t.Logf("conversion: holdout %.3f [%.3f, %.3f] of %d, treated %.3f of %d, lift %.1f%% [%.1f%%, %.1f%%], %s p=%.2g",
		*h.Holdout.Value, h.Holdout.Low, h.Holdout.High, h.Holdout.Samples, *h.Treated.Value, h.Treated.Samples,
		100*h.Lift.Value, 100*h.Lift.Low, 100*h.Lift.High, h.Test.State, h.Test.PValue)
	// Every run of checkout left it: dropoff is the runs that did not
	// reach the goal.
	if d := want[1].Holdout; d == nil || d.Holdout.Count != tr.heldRuns-tr.heldGoals || d.Holdout.Samples != tr.heldRuns {
		t.Fatalf("dropoff holdout %+v, want %d of %d", d, tr.heldRuns-tr.heldGoals, tr.heldRuns)
	}
	if v := want[2].Holdout; v == nil || v.Holdout.Samples != tr.heldRuns || v.Treated.Samples != tr.treatedRuns {
		t.Fatalf("rate holdout %+v", v)
	}
	if want[3].Holdout != nil {
		t.Fatalf("nps, not a share, has holdout figures %+v", want[3].Holdout)
	}

	for i, run := range []struct{ maxCommit, releaseEvery, snapshotAt int }{{7, 3, 0}, {500, 1, 0}, {10000, 1, 0}, {50, 5, 40}} {
		got := feedHoldout(t, spec, parts, rand.New(rand.NewPCG(uint64(i+2), 9)), run.maxCommit, run.releaseEvery, run.snapshotAt)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("commits of up to %d, released every %d, snapshot after %d: KPIs\n%+v\nwant\n%+v",
				run.maxCommit, run.releaseEvery, run.snapshotAt, got, want)
		}
	}
}

// TestNoHoldout: with holdout 0 no KPI has holdout figures, and the KPIs
// are those of the same stream without a holdout.
func TestNoHoldout(t *testing.T) {
	parts, _ := holdoutStream(1000, 2)
	ks := feedHoldout(t, journey(2*day, holdoutKPIs...), parts, rand.New(rand.NewPCG(1, 1)), 100, 1, 0)
	for _, k := range ks {
		if k.Holdout != nil {
			t.Fatalf("%s has holdout figures with holdout 0: %+v", k.Name, k.Holdout)
		}
	}
	spec := journey(2*day, holdoutKPIs...)
	spec.Holdout = 0.2
	with := feedHoldout(t, spec, parts, rand.New(rand.NewPCG(1, 1)), 100, 1, 0)
	for i := range with {
		with[i].Holdout = nil
	}
	if !reflect.DeepEqual(with, ks) {
		t.Fatalf("a holdout changed the KPIs themselves:\n%+v\nwant\n%+v", with, ks)
	}
}
