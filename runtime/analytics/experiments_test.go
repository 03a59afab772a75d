package analytics_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/experiment"
)

func expJourney() analytics.Journey {
	j := journey(0, analytics.KPI{Name: "orders", Function: analytics.FuncRate, Event: "order_placed", Source: "rate(event.order_placed)", Window: 2 * day})
	j.Experiments = []analytics.Experiment{
		{Action: "email", Name: "subject", Variants: []string{"plain", "urgent", "none"}, Control: "plain", Metric: "conversion"},
		{Action: "banner", Name: "colour", Variants: []string{"red", "blue"}, Control: "red", Metric: "kpi.orders", Event: "order_placed"},
	}
	return j
}

// expFeed is a seeded stream of customers entering, being assigned to the
// subject test's variants, delivered (unless held out), some reaching the
// goal before their assignment (not counted), after it, or after it but
// recorded before it (a request's decision is recorded late), some
// assignments seen twice; and the counts a plain recount of what it says
// gives.
func expFeed(n int) (*feed, map[string]experiment.Arm) {
	rng := rand.New(rand.NewPCG(7, 11))
	fd := newFeed()
	want := map[string]experiment.Arm{}
	variants := []string{"plain", "urgent", "none"}
	for i := range n {
		c := fmt.Sprintf("c%04d", i)
		v := variants[rng.IntN(3)]
		t := at(day + time.Duration(i%40)*hour)
		fd.enter(c, t, "browsing")
		arm := want[v]
		arm.Assigned++
		as := analytics.Record{Assignment: &analytics.Assignment{Time: t.Add(time.Minute), Customer: c, Stack: "growth", Journey: "cart",
			Action: "email", Experiment: "subject", Variant: v}}
		goal := func(d time.Duration) {
			fd.recs = append(fd.recs, analytics.Record{Transition: &analytics.Transition{Time: t.Add(d), Stack: "growth",
				Journey: "cart", Customer: c, Run: 1, From: "browsing", Reason: analytics.ReasonCompleted}})
		}
		how := rng.IntN(4)
		switch how {
		case 1: // converted before the assignment: not the variant's doing
			goal(30 * time.Second)
		case 2: // converted after it, recorded before it
			goal(time.Hour)
			arm.Converted++
		}
		fd.recs = append(fd.recs, as)
		if rng.IntN(5) == 0 {
			fd.recs = append(fd.recs, as) // a record seen twice counts once
		}
		if v != "none" {
			fd.recs = append(fd.recs, analytics.Record{Delivery: &analytics.Delivery{Time: t.Add(2 * time.Minute), Customer: c, Stack: "growth",
				Journey: "cart", Action: "email", Channel: "email", Outcome: analytics.Delivered, Variant: v}})
			arm.Delivered++
		}
		if how == 0 {
			goal(time.Hour)
			arm.Converted++
		}
		want[v] = arm
	}
	return fd, want
}

func armsOf(t *testing.T, a *analytics.Analytics) map[string]experiment.Arm {
	t.Helper()
	r, err := a.Report("growth", "cart", at(3*day))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]experiment.Arm{}
	for _, e := range r.Experiments {
		if e.Name != "subject" {
			continue
		}
		for _, v := range e.Variants {
			out[v.Name] = v.Arm()
		}
	}
	return out
}

// The experiment's figures equal a recount of the stream however it is
// cut into batches, and survive a snapshot and restore in the middle.
func TestExperimentCountsAreExact(t *testing.T) {
	fd, want := expFeed(600)
	for i := range fd.recs {
		fd.recs[i].Partition, fd.recs[i].Seq = 0, uint64(i+1)
	}
	for _, batch := range []int{1, 7, 500, 10000} {
		a := analytics.New(analytics.Options{Window: 2 * day})
		a.Configure([]analytics.Journey{expJourney()})
		for lo := 0; lo < len(fd.recs); lo += batch {
			hi := min(lo+batch, len(fd.recs))
			a.Apply(fd.recs[lo:hi]...)
			if lo < len(fd.recs)/2 && hi >= len(fd.recs)/2 {
				snap, err := a.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				a = analytics.New(analytics.Options{Window: 2 * day})
				a.Configure([]analytics.Journey{expJourney()})
				if err := a.Restore(snap); err != nil {
					t.Fatal(err)
				}
				a.Apply(fd.recs[:hi]...) // a replay after the restart counts nothing twice
			}
		}
		if got := armsOf(t, a); !reflect.DeepEqual(got, want) {
			t.Errorf("batches of %d: arms %+v, want %+v", batch, got, want)
		}
	}
}

// The report's intervals and decisions are the stats package's over the
// counted arms; erasing a customer keeps what they counted; an assignment
// after a conversion it precedes in time still counts it.
func TestExperimentReport(t *testing.T) {
	a := analytics.New(analytics.Options{Window: 2 * day})
	a.Configure([]analytics.Journey{expJourney()})
	as := func(c, v string, m int) analytics.Record {
		return analytics.Record{Assignment: &analytics.Assignment{Time: at(day + time.Duration(m)*time.Minute), Customer: c, Stack: "growth", Journey: "cart",
			Action: "banner", Experiment: "colour", Variant: v}}
	}
	ev := func(c string, m int) analytics.Record {
		return analytics.Record{Event: &analytics.Event{Time: at(day + time.Duration(m)*time.Minute), Stack: "growth", Journey: "cart", Customer: c, Run: 1, Type: "order_placed"}}
	}
	// c3's order (minute 5) is recorded before its assignment (minute 1).
	a.Apply(as("c1", "red", 0), as("c2", "blue", 0), ev("c2", 3), ev("c3", 5), as("c3", "blue", 1), ev("c4", 1), as("c4", "red", 2))
	a.Erase("c2", at(2*day))
	r, _ := a.Report("growth", "cart", at(3*day))
	var colour *analytics.ExperimentReport
	for i := range r.Experiments {
		if r.Experiments[i].Name == "colour" {
			colour = &r.Experiments[i]
		}
	}
	if colour == nil || len(colour.Variants) != 2 {
		t.Fatalf("no colour experiment in %+v", r.Experiments)
	}
	red, blue := colour.Variants[0], colour.Variants[1]
	if want := (experiment.Arm{Assigned: 2}); red.Arm() != want || !red.Control || red.Lift != nil {
		t.Errorf("red %+v, want %+v and the control", red, want)
	}
	if want := (experiment.Arm{Assigned: 2, Converted: 2}); blue.Arm() != want {
		t.Errorf("blue %+v, want %+v", blue.Arm(), want)
	}
	d := experiment.Sequential(red.Arm(), blue.Arm(), 0.05)
	if blue.Conversion != blue.Arm().Rate() || blue.Lift == nil || *blue.Lift != experiment.Compare(red.Arm(), blue.Arm()) ||
		blue.Test == nil || blue.Test.State != string(d.State) || blue.Test.PValue != d.PValue || blue.Test.DifferenceLow != d.Difference.Low {
		t.Errorf("blue's figures %+v are not the stats package's", blue)
	}
}
