package gen_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/runtime/analytics"
)

// The recount's window figures mean what the analytics report's do: its
// runs, fed to analytics as the engine's transitions, give the same
// totals, funnel, paths and conversion cohort over the report's window.
// The lead's end-to-end test compares the runtime's answer with the same
// functions.
func TestRecountMatchesAnalyticsWindows(t *testing.T) {
	evs := generate(t)
	rules := gen.CartRecovery()
	out := gen.Recount(evs, rules, time.Time{})
	var recs []analytics.Record
	tr := func(r gen.Run, at time.Time, from, to, reason string) {
		recs = append(recs, analytics.Record{Transition: &analytics.Transition{Time: at, Stack: "growth", Journey: "cart_recovery",
			Customer: r.Customer, Run: uint64(r.N), From: from, To: to, Reason: reason}})
	}
	for _, r := range out.Runs {
		tr(r, r.Entered, "", r.Stages[0], analytics.ReasonEntered)
		for i := 1; i < len(r.Stages); i++ {
			tr(r, r.Reached[i], r.Stages[i-1], r.Stages[i], analytics.ReasonMoved)
		}
		if r.Outcome != gen.Active {
			tr(r, r.Ended, r.Stages[len(r.Stages)-1], "", r.Outcome)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Transition.Time.Before(recs[j].Transition.Time) })
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{{Stack: "growth", Name: "cart_recovery", Stages: rules.Stages, HasGoal: true, Within: rules.Within,
		KPIs: []analytics.KPI{{Name: "conversion", Function: analytics.FuncConversion, Window: 7 * day}}}})
	a.Apply(recs...)
	now := evs[len(evs)-1].Timestamp
	rep, err := a.Report("growth", "cart_recovery", now)
	if err != nil {
		t.Fatal(err)
	}
	want := out.Totals(rep.From, rep.Now)
	got := gen.Totals{Entries: int(rep.Totals.Entries), Completed: int(rep.Totals.Completed), Exited: int(rep.Totals.Exited),
		Expired: int(rep.Totals.Expired), TimedOut: int(rep.Totals.TimedOut), Active: int(rep.Active)}
	if got != want {
		t.Errorf("totals: analytics %+v, recount %+v", got, want)
	}
	for i, f := range out.Funnel(rules, rep.From, rep.Now) {
		g := rep.Funnel[i]
		if (gen.StageCounts{Reached: int(g.Reached), MovedOn: int(g.MovedOn), Completed: int(g.Completed), Dropped: int(g.Dropped),
			StillThere: int(g.StillThere)}) != f {
			t.Errorf("stage %s: analytics %+v, recount %+v", g.Stage, g, f)
		}
	}
	paths := map[string][2]int{}
	for _, p := range out.Paths(rep.From, rep.Now) {
		paths[strings.Join(p.Stages, ">")] = [2]int{p.Runs, p.Goals}
	}
	for _, p := range rep.Paths {
		k := strings.Join(p.Stages, ">")
		if w := paths[k]; int(p.Runs) != w[0] || int(p.Goals) != w[1] {
			t.Errorf("path %s: analytics %d runs, %d goals; recount %v", k, p.Runs, p.Goals, w)
		}
		delete(paths, k)
	}
	if len(paths) > 0 {
		t.Errorf("paths the report lacks: %v", paths)
	}
	conv, matured := out.Conversion(rules, rep.From, rep.Now)
	k := rep.KPIs[0]
	if k.Samples != int64(matured) || k.Value == nil || *k.Value != float64(conv)/float64(matured) {
		t.Errorf("conversion: analytics %v of %d, recount %d of %d", k.Value, k.Samples, conv, matured)
	}
	t.Logf("window from %s: %+v; conversion %d of %d", rep.From, want, conv, matured)
}
