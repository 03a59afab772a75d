package analytics_test

import (
	"reflect"
	"testing"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// A new deployment of the journey, restored from the snapshot of the old
// one (as after a restart): the unchanged KPI keeps its history and alert
// state (no alert again), the changed one starts from met (no alert for a
// change its old definition saw) and numbers its alerts on.
func TestKPIHistoryAcrossDeploymentBump(t *testing.T) {
	kpi := func(name string, below float64) analytics.KPI {
		return analytics.KPI{Name: name, Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day,
			Target: &analytics.Target{Below: f(below), MinSamples: 2}, AlertChannel: "ops"}
	}
	v1 := []analytics.Journey{journey(0, kpi("kept", 0.4), kpi("changed", 0.4))}
	v2 := []analytics.Journey{journey(0, kpi("kept", 0.4), kpi("changed", 0.9))}
	now := at(10 * day)
	states := func(a *analytics.Analytics) []string {
		var out []string
		for _, al := range a.Alerts(now) {
			out = append(out, al.State+" "+al.ID)
		}
		return out
	}
	// 2 of 3 dropped from checkout: both miss 0.4.
	fd := newFeed().enter("c1", at(9*day), "checkout").end("c1", at(9*day+hour), "checkout", analytics.ReasonExited).
		enter("c2", at(9*day), "checkout").end("c2", at(9*day+hour), "checkout", analytics.ReasonExited).
		enter("c3", at(9*day), "checkout").move("c3", at(9*day+hour), "checkout", "payment")
	a := analytics.New(analytics.Options{})
	a.Configure(v1)
	a.Apply(fd.recs...)
	if got, want := states(a), []string{"missed growth/journey.cart.kpi.changed#1", "missed growth/journey.cart.kpi.kept#1"}; !reflect.DeepEqual(sorted(got), want) {
		t.Fatalf("v1 alerts %q, want %q", got, want)
	}
	before, _ := a.Report("growth", "cart", now)
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	for _, how := range []string{"configured again", "restored"} {
		b := a
		if how == "restored" {
			b = analytics.New(analytics.Options{})
			b.Configure(v2)
			if err := b.Restore(snap); err != nil {
				t.Fatal(err)
			}
		} else {
			a.Configure(v2)
		}
		// 2 of 3 is under 0.9: met by the changed KPI's new definition,
		// which has never been missed: no alert.
		if got := states(b); len(got) != 0 {
			t.Errorf("%s: alerts %q, want none", how, got)
		}
		after, _ := b.Report("growth", "cart", now)
		if !reflect.DeepEqual(kpiValue(before, "kept"), kpiValue(after, "kept")) || kpiValue(after, "kept") == nil {
			t.Errorf("%s: kept's value %v, before %v", how, kpiValue(after, "kept"), kpiValue(before, "kept"))
		}
		// Twenty more drops: 22 of 23 misses 0.9, the changed KPI's first
		// miss, numbered after its old alerts; kept is still missed.
		more := newFeed()
		for i := range 20 {
			c := how + string(rune('a'+i))
			more.enter(c, at(9*day+2*hour), "checkout").end(c, at(9*day+3*hour), "checkout", analytics.ReasonExited)
		}
		b.Apply(more.recs...)
		if got, want := states(b), []string{"missed growth/journey.cart.kpi.changed#2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: alerts %q, want %q", how, got, want)
		}
	}
}

// A snapshot of the previous format version is read, with its history;
// one of a later version than this runtime knows is refused.
func TestSnapshotOfEarlierVersion(t *testing.T) {
	for _, tt := range []struct {
		version int
		ok      bool
	}{{analytics.SnapshotVersion - 1, true}, {analytics.SnapshotVersion, true}, {analytics.SnapshotVersion + 1, false}, {1, false}} {
		a := analytics.New(analytics.Options{})
		k := analytics.KPI{Name: "drop", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day}
		a.Configure([]analytics.Journey{journey(0, k)})
		a.Apply(newFeed().enter("c1", at(9*day), "checkout").end("c1", at(9*day+hour), "checkout", analytics.ReasonExited).recs...)
		before, _ := a.Report("growth", "cart", at(10*day))
		snap, err := analytics.SnapshotAsVersion(a, tt.version)
		if err != nil {
			t.Fatal(err)
		}
		b := analytics.New(analytics.Options{})
		b.Configure([]analytics.Journey{journey(0, k)})
		err = b.Restore(snap)
		if (err == nil) != tt.ok {
			t.Errorf("version %d: restore %v, want ok %v", tt.version, err, tt.ok)
			continue
		}
		if err != nil {
			continue
		}
		after, _ := b.Report("growth", "cart", at(10*day))
		if !reflect.DeepEqual(before.KPIs, after.KPIs) || !reflect.DeepEqual(before.Funnel, after.Funnel) {
			t.Errorf("version %d: KPIs %+v funnel %+v, before %+v %+v", tt.version, after.KPIs, after.Funnel, before.KPIs, before.Funnel)
		}
	}
}

func kpiValue(r *analytics.Report, name string) *float64 {
	for _, k := range r.KPIs {
		if k.Name == name {
			return k.Value
		}
	}
	return nil
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
