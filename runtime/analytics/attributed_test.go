package analytics_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// attributedKPI is conversion(action.<action>) over window w.
func attributedKPI(name, action string, w time.Duration) analytics.KPI {
	return analytics.KPI{Name: name, Function: analytics.FuncConversion, Action: action,
		Source: "conversion(action." + action + ")", Window: w, Target: &analytics.Target{Above: f(0.5), MinSamples: 2}}
}

// endSent is a run's end carrying its first sends.
func (f *feed) endSent(c string, t time.Time, from, reason string, sent ...analytics.Sent) *feed {
	f.end(c, t, from, reason)
	f.recs[len(f.recs)-1].Transition.Sent = sent
	return f
}

// conversion(action.remind) counts the ended runs whose first send of
// remind was in the window, and those of them that reached the goal; runs
// not sent remind, runs still in the journey and sends before the window
// do not count.
func TestAttributedConversion(t *testing.T) {
	remind := func(d time.Duration) analytics.Sent { return analytics.Sent{Action: "remind", Time: at(d)} }
	nudge := func(d time.Duration) analytics.Sent { return analytics.Sent{Action: "nudge", Time: at(d)} }
	fd := newFeed().
		enter("c1", at(9*day), "browsing").endSent("c1", at(9*day+5*hour), "browsing", analytics.ReasonCompleted, remind(9*day+hour), nudge(9*day+2*hour)).
		enter("c2", at(9*day), "browsing").endSent("c2", at(9*day+2*hour), "browsing", analytics.ReasonExited, remind(9*day+hour)).
		enter("c3", at(9*day), "browsing").endSent("c3", at(9*day+3*hour), "browsing", analytics.ReasonCompleted, nudge(9*day+hour)).
		enter("c4", at(9*day), "browsing").end("c4", at(9*day+3*hour), "browsing", analytics.ReasonCompleted).
		enter("c5", at(9*day), "browsing"). // sent remind, still in the journey: its run has not ended
		enter("c6", at(day), "browsing").endSent("c6", at(9*day), "browsing", analytics.ReasonCompleted, remind(day+hour)).
		enter("c7", at(9*day), "browsing").endSent("c7", at(9*day+20*hour), "browsing", analytics.ReasonExpired, remind(9*day+hour))
	reminded := attributedKPI("reminded", "remind", 7*day)
	reminded.AlertChannel = "ops"
	j := journey(3*day, reminded, attributedKPI("nudged", "nudge", 7*day),
		analytics.KPI{Name: "conversion", Function: analytics.FuncConversion, Source: "conversion()", Window: 30 * day})
	a := build(t, j, fd)
	now := at(10 * day)
	r := kpi(t, a, now, "reminded")
	if !near(r.Value, 1.0/3, 1e-12) || r.Samples != 3 || r.State != analytics.StateMissed || r.Pending != nil || r.Holdout != nil {
		t.Fatalf("reminded: %v over %d, %s, pending %v", val(r.Value), r.Samples, r.State, r.Pending)
	}
	// Its target is above 0.5: missed, and its alert fires, as any KPI's.
	var alerts []string
	for _, al := range a.Alerts(now) {
		alerts = append(alerts, al.State+" "+al.ID)
	}
	if fmt.Sprint(alerts) != "[missed growth/journey.cart.kpi.reminded#1]" {
		t.Fatalf("alerts %v", alerts)
	}
	if r := kpi(t, a, now, "nudged"); !near(r.Value, 1, 1e-12) || r.Samples != 2 {
		t.Fatalf("nudged: %v over %d", val(r.Value), r.Samples)
	}
	// conversion() is as it was: only c6's cohort has matured, and it
	// reached the goal after its 3 days; the 6 others are pending.
	if r := kpi(t, a, now, "conversion"); !near(r.Value, 0, 0) || r.Samples != 1 || r.Pending == nil || *r.Pending != 6 {
		t.Fatalf("conversion: %v over %d, pending %v", val(r.Value), r.Samples, val2(r.Pending))
	}
	// A snapshot of version 5 held no attributed counts: restored, the KPI
	// has none; the current version keeps them.
	for _, v := range []int{5, analytics.SnapshotVersion} {
		snap, err := analytics.SnapshotAsVersion(a, v)
		if err != nil {
			t.Fatal(err)
		}
		b := analytics.New(analytics.Options{Window: 2 * day})
		b.Configure([]analytics.Journey{j})
		if err := b.Restore(snap); err != nil {
			t.Fatal(err)
		}
		r := kpi(t, b, now, "reminded")
		if v < 6 && (r.Value != nil || r.Samples != 0) {
			t.Fatalf("from version %d: %v over %d", v, val(r.Value), r.Samples)
		}
		if v >= 6 && (!near(r.Value, 1.0/3, 1e-12) || r.Samples != 3) {
			t.Fatalf("from version %d: %v over %d", v, val(r.Value), r.Samples)
		}
	}
}

// attributedRuns makes n runs of customers who may come back, in time
// order: each run's deliveries (a first and repeated sends of remind and
// nudge) and its end, if it has one. It returns the records as the
// engine feeds them (the sends on the end) and the raw deliveries and
// ends they were made of.
func attributedRuns(n int, seed uint64) (recs []analytics.Record, sends []rawSend, ends map[runKey]rawEnd) {
	rng := rand.New(rand.NewPCG(seed, 1))
	ends = map[runKey]rawEnd{}
	type timed struct {
		at time.Time
		r  analytics.Record
	}
	var out []timed
	runs := map[string]uint64{}
	for i := 0; i < n; i++ {
		c := fmt.Sprintf("c%d", rng.IntN(n/2))
		start := at(time.Duration(rng.IntN(9*24)) * hour)
		if k := (runKey{c, runs[c]}); runs[c] > 0 {
			if e, ok := ends[k]; !ok || !e.at.Before(start) {
				continue // one run at a time
			}
		}
		runs[c]++
		k := runKey{c, runs[c]}
		out = append(out, timed{start, analytics.Record{Transition: &analytics.Transition{Time: start, Stack: "growth", Journey: "cart",
			Customer: c, Run: k.run, To: "browsing", Reason: analytics.ReasonEntered}}})
		length := time.Duration(1+rng.IntN(72)) * hour
		var first []analytics.Sent
		for _, action := range []string{"remind", "nudge"} {
			for s := rng.IntN(3); s > 0; s-- {
				t := start.Add(time.Duration(rng.Int64N(int64(length))))
				sends = append(sends, rawSend{k, action, t})
				if i := slices.IndexFunc(first, func(x analytics.Sent) bool { return x.Action == action }); i < 0 {
					first = append(first, analytics.Sent{Action: action, Time: t})
				} else if t.Before(first[i].Time) {
					first[i].Time = t
				}
			}
		}
		if rng.IntN(8) == 0 {
			ends[k] = rawEnd{at: start.Add(100 * day)} // still in the journey
			continue
		}
		end := start.Add(length)
		reason := []string{analytics.ReasonCompleted, analytics.ReasonExited, analytics.ReasonExpired}[rng.IntN(3)]
		ends[k] = rawEnd{at: end, goal: reason == analytics.ReasonCompleted, ended: true}
		out = append(out, timed{end, analytics.Record{Transition: &analytics.Transition{Time: end, Stack: "growth", Journey: "cart",
			Customer: c, Run: k.run, From: "browsing", Reason: reason, Sent: first}}})
	}
	slices.SortStableFunc(out, func(a, b timed) int { return a.at.Compare(b.at) })
	for i, x := range out {
		x.r.Seq = uint64(i + 1)
		recs = append(recs, x.r)
	}
	return recs, sends, ends
}

type runKey struct {
	customer string
	run      uint64
}

type rawSend struct {
	run    runKey
	action string
	at     time.Time
}

type rawEnd struct {
	at          time.Time
	goal, ended bool
}

// recount computes conversion(action.<action>) over [from, to] from the
// raw deliveries and ends, without analytics.
func recount(sends []rawSend, ends map[runKey]rawEnd, action string, from, to time.Time) (num, den int64) {
	first := map[runKey]time.Time{}
	for _, s := range sends {
		if f, ok := first[s.run]; s.action == action && (!ok || s.at.Before(f)) {
			first[s.run] = s.at
		}
	}
	for k, t := range first {
		e := ends[k]
		if !e.ended || t.Before(from) || t.After(to) {
			continue
		}
		den++
		if e.goal && !e.at.Before(t) {
			num++
		}
	}
	return num, den
}

// The KPI is what a recount of the raw deliveries and run ends gives,
// however the records are batched (1, 7, 500 at a time) and with a
// snapshot and restore halfway.
func TestAttributedRecountBatchesAndRestore(t *testing.T) {
	recs, sends, ends := attributedRuns(1200, 7)
	w := 7 * day
	j := journey(0, attributedKPI("reminded", "remind", w), attributedKPI("nudged", "nudge", w))
	now := at(12 * day)
	// The window's hours: from the hour that holds now−w.
	from := now.Add(-w).Truncate(time.Hour)
	for _, action := range []string{"remind", "nudge"} {
		num, den := recount(sends, ends, action, from, now)
		if den < 100 {
			t.Fatalf("%s: only %d runs to count", action, den)
		}
		name := map[string]string{"remind": "reminded", "nudge": "nudged"}[action]
		var reports []analytics.KPIReport
		for _, size := range []int{1, 7, 500} {
			for _, restore := range []bool{false, true} {
				a := analytics.New(analytics.Options{})
				a.Configure([]analytics.Journey{j})
				for i := 0; i < len(recs); i += size {
					if restore && i <= len(recs)/2 && len(recs)/2 < i+size {
						snap, err := a.Snapshot()
						if err != nil {
							t.Fatal(err)
						}
						a = analytics.New(analytics.Options{})
						a.Configure([]analytics.Journey{j})
						if err := a.Restore(snap); err != nil {
							t.Fatal(err)
						}
					}
					a.Apply(recs[i:min(i+size, len(recs))]...)
				}
				rep, err := a.Report("growth", "cart", now)
				if err != nil {
					t.Fatal(err)
				}
				r := rep.KPIs[slices.IndexFunc(rep.KPIs, func(k analytics.KPIReport) bool { return k.Name == name })]
				if r.Samples != den || !near(r.Value, float64(num)/float64(den), 1e-12) {
					t.Fatalf("%s in batches of %d (restored %v): %v over %d, the recount %d/%d", name, size, restore, val(r.Value), r.Samples, num, den)
				}
				reports = append(reports, r)
			}
		}
		for _, r := range reports[1:] {
			if !reflect.DeepEqual(r, reports[0]) {
				t.Fatalf("%s: reports differ with the batching:\n%+v\n%+v", name, r, reports[0])
			}
		}
	}
}

func val2(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
