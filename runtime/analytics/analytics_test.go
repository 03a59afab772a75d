package analytics_test

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// t0 is on a UTC hour, so that windows ending at t0+n·day start on one.
var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

const (
	day  = 24 * time.Hour
	hour = time.Hour
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func f(v float64) *float64 { return &v }

// feed builds records of one journey, numbering each customer's runs.
type feed struct {
	stack, journey string
	recs           []analytics.Record
}

func newFeed() *feed { return &feed{stack: "growth", journey: "cart"} }

func (f *feed) tr(c string, t time.Time, from, to, reason string) *feed {
	f.recs = append(f.recs, analytics.Record{Transition: &analytics.Transition{Time: t, Stack: f.stack, Journey: f.journey,
		Customer: c, Run: 1, From: from, To: to, Reason: reason}})
	return f
}

func (f *feed) enter(c string, t time.Time, stage string) *feed {
	return f.tr(c, t, "", stage, analytics.ReasonEntered)
}
func (f *feed) move(c string, t time.Time, from, to string) *feed {
	return f.tr(c, t, from, to, analytics.ReasonMoved)
}
func (f *feed) end(c string, t time.Time, from, reason string) *feed {
	return f.tr(c, t, from, "", reason)
}
func (f *feed) event(c string, t time.Time, typ string, attrs map[string]float64) *feed {
	f.recs = append(f.recs, analytics.Record{Event: &analytics.Event{Time: t, Stack: f.stack, Journey: f.journey,
		Customer: c, Run: 1, Type: typ, Attributes: attrs}})
	return f
}

func journey(within time.Duration, kpis ...analytics.KPI) analytics.Journey {
	return analytics.Journey{Stack: "growth", Name: "cart", Stages: []string{"browsing", "checkout", "payment"},
		HasGoal: true, Within: within, KPIs: kpis}
}

func build(t *testing.T, j analytics.Journey, f *feed) *analytics.Analytics {
	t.Helper()
	a := analytics.New(analytics.Options{Window: 2 * day})
	a.Configure([]analytics.Journey{j})
	a.Apply(f.recs...)
	return a
}

func kpi(t *testing.T, a *analytics.Analytics, now time.Time, name string) analytics.KPIReport {
	t.Helper()
	ks, err := a.KPIs("growth", "cart", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no KPI %q", name)
	return analytics.KPIReport{}
}

func near(got *float64, want, rel float64) bool {
	if got == nil {
		return false
	}
	if want == 0 {
		return math.Abs(*got) < 1e-9
	}
	return math.Abs(*got-want) <= rel*math.Abs(want)
}

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Conversion with goal.within = 1d over a 2d window ending at t0+10d: the
// cohort is the entries whose within ended in [t0+8d, t0+10d].
func TestConversionMaturedCohort(t *testing.T) {
	fd := newFeed().
		// within ends exactly at the window's start: matured, not converted
		enter("a", at(7*day), "browsing").end("a", at(8*day), "browsing", analytics.ReasonExpired).
		// goal exactly at the end of within: converted
		enter("b", at(7*day+hour), "browsing").end("b", at(8*day+hour), "browsing", analytics.ReasonCompleted).
		enter("c", at(8*day), "browsing").end("c", at(8*day+2*hour), "browsing", analytics.ReasonCompleted).
		// left early: counted once its within ends, not converted
		enter("d", at(8*day), "browsing").end("d", at(8*day+hour), "browsing", analytics.ReasonExited).
		// within ended a second before the window: not in the cohort
		enter("e", at(7*day-time.Second), "browsing").end("e", at(8*day-time.Second), "browsing", analytics.ReasonExpired).
		// within ends after now: pending, already converted
		enter("f", at(9*day+12*hour), "browsing").end("f", at(9*day+13*hour), "browsing", analytics.ReasonCompleted).
		// in flight: pending
		enter("g", at(9*day+20*hour), "browsing").
		// within ends exactly at now: matured, converted
		enter("h", at(9*day), "browsing").end("h", at(9*day+hour), "browsing", analytics.ReasonCompleted)
	k := analytics.KPI{Name: "conversion", Function: analytics.FuncConversion, Source: "conversion()", Window: 2 * day,
		Target: &analytics.Target{Above: f(0.5), MinSamples: 5}}
	a := build(t, journey(day, k), fd)
	got := kpi(t, a, at(10*day), "conversion")
	if !near(got.Value, 0.6, 1e-12) || got.Samples != 5 || got.State != analytics.StateMet {
		t.Errorf("conversion = %v over %d samples (%s), want 0.6 over 5 (met)", val(got.Value), got.Samples, got.State)
	}
	if got.Pending == nil || *got.Pending != 2 || *got.PendingConverted != 1 {
		t.Errorf("pending = %v, %v; want 2 of which 1 converted", got.Pending, got.PendingConverted)
	}
	// One sample short of min_samples.
	k.Target.MinSamples = 6
	a = build(t, journey(day, k), fd)
	if got := kpi(t, a, at(10*day), "conversion"); got.State != analytics.StateInsufficientData || !near(got.Value, 0.6, 1e-12) {
		t.Errorf("with min_samples 6: %s %v, want insufficient_data 0.6", got.State, val(got.Value))
	}
	// A second before h's within ends, it is still pending.
	a = build(t, journey(day, k), fd)
	// Its window then starts at the hour before t0+8d, where e's within
	// ended: e joins the cohort.
	if got := kpi(t, a, at(10*day-time.Second), "conversion"); got.Samples != 5 || !near(got.Value, 0.4, 1e-12) ||
		*got.Pending != 3 || *got.PendingConverted != 2 {
		t.Errorf("a second earlier: %v over %d, %d pending (%d converted); want 0.4 over 5, 3 (2)", val(got.Value), got.Samples, *got.Pending, *got.PendingConverted)
	}
}

// Without within: runs that entered in the window and ended.
func TestConversionWithoutWithin(t *testing.T) {
	fd := newFeed().
		enter("a", at(8*day), "browsing").end("a", at(8*day+hour), "browsing", analytics.ReasonCompleted). // entered exactly at the start
		enter("b", at(8*day-time.Second), "browsing").end("b", at(8*day+hour), "browsing", analytics.ReasonCompleted).
		enter("c", at(9*day), "browsing").end("c", at(9*day+hour), "browsing", analytics.ReasonExited).
		enter("d", at(9*day+5*hour), "browsing")
	k := analytics.KPI{Name: "conversion", Function: analytics.FuncConversion, Source: "conversion()", Window: 2 * day}
	a := build(t, journey(0, k), fd)
	got := kpi(t, a, at(10*day), "conversion")
	if !near(got.Value, 0.5, 1e-12) || got.Samples != 2 || got.State != analytics.StateNoTarget {
		t.Errorf("conversion = %v over %d (%s), want 0.5 over 2, no_target", val(got.Value), got.Samples, got.State)
	}
	if got.Pending != nil {
		t.Errorf("pending reported without within")
	}
	// A clock inside an hour: the window starts at the start of that
	// hour, so b's entry is still out and a's in.
	if got := kpi(t, a, at(10*day+30*time.Minute), "conversion"); got.Samples != 2 {
		t.Errorf("at :30, %d samples, want 2", got.Samples)
	}
	// A day later only c is left in the window.
	if got := kpi(t, a, at(11*day), "conversion"); got.Samples != 1 || !near(got.Value, 0, 0) {
		t.Errorf("a day later: %v over %d, want 0 over 1", val(got.Value), got.Samples)
	}
}

// The stage figures of five runs through checkout, hand-counted.
func stageFeed() *feed {
	base := at(9 * day)
	return newFeed().
		enter("r1", base, "browsing").move("r1", base.Add(hour), "browsing", "checkout").
		move("r1", base.Add(3*hour), "checkout", "payment").end("r1", base.Add(4*hour), "payment", analytics.ReasonCompleted).
		enter("r2", base, "browsing").move("r2", base.Add(hour), "browsing", "checkout").
		end("r2", base.Add(2*hour), "checkout", analytics.ReasonExited).
		enter("r3", base, "browsing").move("r3", base.Add(2*hour), "browsing", "checkout").
		enter("r4", base, "browsing").move("r4", base.Add(hour), "browsing", "checkout").
		end("r4", base.Add(hour+30*time.Minute), "checkout", analytics.ReasonCompleted).
		enter("r5", base, "browsing").move("r5", base.Add(hour), "browsing", "checkout").
		end("r5", base.Add(5*hour), "checkout", analytics.ReasonExpired)
}

func TestStageKPIs(t *testing.T) {
	kpis := []analytics.KPI{
		{Name: "dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day, Source: "dropoff(stage.checkout)",
			Target: &analytics.Target{Below: f(0.4), MinSamples: 4}},
		{Name: "median", Function: analytics.FuncTimeInStage, Stage: "checkout", Quantile: 0.5, Window: 2 * day},
		{Name: "p90", Function: analytics.FuncTimeInStage, Stage: "checkout", Quantile: 0.9, Window: 2 * day},
		{Name: "to_goal", Function: analytics.FuncTimeToGoal, Quantile: 0.5, Window: 2 * day},
		{Name: "few", Function: analytics.FuncTimeToGoal, Quantile: 0.5, Window: 2 * day, Target: &analytics.Target{Below: f(3600), MinSamples: 30}},
	}
	a := build(t, journey(14*day, kpis...), stageFeed())
	now := at(10 * day)
	for _, c := range []struct {
		name    string
		value   float64
		samples int64
		state   string
	}{
		{"dropoff", 0.5, 4, analytics.StateMissed},        // r2 and r5 of r1, r2, r4, r5
		{"median", 3600, 4, analytics.StateNoTarget},      // 30m, 1h, 2h, 4h: rank ⌊0.5·3⌋ = 1
		{"p90", 7200, 4, analytics.StateNoTarget},         // rank ⌊0.9·3⌋ = 2
		{"to_goal", 5400, 2, analytics.StateNoTarget},     // r4 1h30m, r1 4h: rank 0
		{"few", 5400, 2, analytics.StateInsufficientData}, // 2 of 30 samples
	} {
		got := kpi(t, a, now, c.name)
		if !near(got.Value, c.value, analytics.RelativeAccuracy) || got.Samples != c.samples || got.State != c.state {
			t.Errorf("%s = %v over %d (%s), want %v over %d (%s)", c.name, val(got.Value), got.Samples, got.State, c.value, c.samples, c.state)
		}
	}
	// Out of the window, nothing is left.
	if got := kpi(t, a, at(12*day), "dropoff"); got.Value != nil || got.Samples != 0 || got.State != analytics.StateInsufficientData {
		t.Errorf("two days later: %v over %d (%s)", val(got.Value), got.Samples, got.State)
	}
}

func TestReport(t *testing.T) {
	kpis := []analytics.KPI{
		{Name: "dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day, Target: &analytics.Target{Below: f(0.4), MinSamples: 4}},
		{Name: "to_goal", Function: analytics.FuncTimeToGoal, Quantile: 0.5, Window: 2 * day, Target: &analytics.Target{Below: f(2 * 3600), MinSamples: 2}},
	}
	fd := stageFeed()
	base := at(9 * day)
	fd.recs = append(fd.recs,
		analytics.Record{Decision: &analytics.Decision{Time: base, Stack: "growth", Journey: "cart", Action: "reminder", Channel: "email"}},
		analytics.Record{Decision: &analytics.Decision{Time: base, Stack: "growth", Journey: "cart", Action: "reminder", Channel: "email"}},
		analytics.Record{Decision: &analytics.Decision{Time: base, Stack: "growth", Journey: "cart", Action: "banner", Channel: "web"}},
		analytics.Record{Delivery: &analytics.Delivery{Time: base, Stack: "growth", Journey: "cart", Action: "reminder", Channel: "email", Outcome: analytics.Delivered}},
		analytics.Record{Delivery: &analytics.Delivery{Time: base, Stack: "growth", Journey: "cart", Action: "reminder", Channel: "email", Outcome: analytics.Bounced}},
		analytics.Record{Response: &analytics.Response{Time: base, Stack: "growth", Journey: "cart", Action: "reminder", Channel: "email", Outcome: "clicked"}},
		analytics.Record{Response: &analytics.Response{Time: base, Stack: "growth", Journey: "cart", Action: "banner", Channel: "web", Outcome: "impression"}},
		analytics.Record{Response: &analytics.Response{Time: base, Stack: "growth", Journey: "cart", Action: "banner", Channel: "web", Outcome: "converted"}},
	)
	a := build(t, journey(14*day, kpis...), fd)
	r, err := a.Report("growth", "cart", at(10*day))
	if err != nil {
		t.Fatal(err)
	}
	if r.Active != 1 || r.Totals != (analytics.Totals{Entries: 5, Completed: 2, Exited: 1, Expired: 1}) {
		t.Errorf("active %d, totals %+v", r.Active, r.Totals)
	}
	if !r.From.Equal(at(8*day)) || r.Window != "2d" {
		t.Errorf("window %s from %s", r.Window, r.From)
	}
	want := []analytics.FunnelStage{
		{Stage: "browsing", Reached: 5, MovedOn: 5, Left: 5},
		{Stage: "checkout", Reached: 5, MovedOn: 1, Completed: 1, Dropped: 2, StillThere: 1, Left: 4},
		{Stage: "payment", Reached: 1, Completed: 1, Left: 1},
	}
	for i := range want {
		g := r.Funnel[i]
		g.Median, g.P90 = nil, nil
		if g != want[i] {
			t.Errorf("funnel[%d] = %+v, want %+v", i, g, want[i])
		}
	}
	if !near(r.Funnel[1].Median, 3600, 0.01) || !near(r.Funnel[1].P90, 7200, 0.01) || !near(r.Funnel[0].Median, 3600, 0.01) {
		t.Errorf("checkout median %v p90 %v", val(r.Funnel[1].Median), val(r.Funnel[1].P90))
	}
	wantPaths := []analytics.Path{
		{Stages: []string{"browsing", "checkout"}, Runs: 3, Goals: 1, GoalShare: 1.0 / 3},
		{Stages: []string{"browsing", "checkout", "payment"}, Runs: 1, Goals: 1, GoalShare: 1},
	}
	if !reflect.DeepEqual(r.Paths, wantPaths) {
		t.Errorf("paths = %+v", r.Paths)
	}
	wantActions := []analytics.ActionReport{
		{Action: "banner", Channel: "web", Decided: 1, Impressions: 1, Responded: 1, Positive: 1, Converted: 1, Conversion: f(1)},
		{Action: "reminder", Channel: "email", Decided: 2, Delivered: 1, Failed: 1, Responded: 1, Positive: 1, Conversion: f(0)},
	}
	if !reflect.DeepEqual(r.Actions, wantActions) {
		t.Errorf("actions = %+v", r.Actions)
	}
	if len(r.Channels) != 2 || r.Channels[0].Channel != "email" || r.Channels[0].Decided != 2 || r.Channels[1].Converted != 1 {
		t.Errorf("channels = %+v", r.Channels)
	}
	// dropoff 0.5 against below 0.4 misses by 0.1 of 0.4: 0.75;
	// time_to_goal 5400 s meets below 7200 s: 1. Score (0.75+1)/2.
	if r.Score == nil || *r.Score != 87.5 {
		t.Errorf("score = %v, want 87.5", val(r.Score))
	}
	// The last 24 hours start an hour after the entries at t0+9d.
	var entries, goals int64
	for _, h := range r.Hourly {
		entries, goals = entries+h.Entries, goals+h.Goals
	}
	if len(r.Hourly) != 24 || !r.Hourly[0].Hour.Equal(base.Add(hour)) || entries != 0 || goals != 2 {
		t.Errorf("hourly: %d hours from %s, %d entries, %d goals; want 24 from %s, 0, 2", len(r.Hourly), r.Hourly[0].Hour, entries, goals, base.Add(hour))
	}
	// The 49 hours of the window in 12 slices: the seventh, hours 24 to
	// 27 of the window, holds every checkout.
	series := r.KPIs[0].Series
	for i, v := range series {
		if (i == 6) != (v != nil) || (i == 6 && *v != 0.5) {
			t.Errorf("series[%d] = %v", i, val(v))
		}
	}
	if len(series) != 12 {
		t.Errorf("series has %d slices, want 12", len(series))
	}
	if _, err := a.Report("growth", "nope", at(10*day)); err != analytics.ErrUnknownJourney {
		t.Errorf("unknown journey: %v", err)
	}
}

func TestRateAverageNPS(t *testing.T) {
	survey := func(v float64) map[string]float64 { return map[string]float64{"score": v} }
	fd := newFeed().
		// x1: in the journey throughout, views before and twice in the window
		enter("x1", at(5*day), "browsing").event("x1", at(6*day), "viewed", nil).
		event("x1", at(9*day), "viewed", nil).event("x1", at(9*day+2*hour), "viewed", nil).
		// x2: in throughout, viewed only before the window
		enter("x2", at(5*day), "browsing").event("x2", at(6*day), "viewed", nil).
		// x3: left before the window
		enter("x3", at(5*day), "browsing").event("x3", at(6*day), "viewed", nil).end("x3", at(7*day), "browsing", analytics.ReasonExited).
		// x4: entered, viewed and completed in the window
		enter("x4", at(9*day), "browsing").event("x4", at(9*day+hour), "viewed", nil).end("x4", at(9*day+2*hour), "browsing", analytics.ReasonCompleted).
		// x5: in the journey for an hour of the window, no view
		enter("x5", at(8*day+hour), "browsing").end("x5", at(8*day+2*hour), "browsing", analytics.ReasonTimedOut).
		// survey answers: one before the window, six in it
		event("x1", at(7*day), "survey", survey(10)).
		event("x1", at(9*day), "survey", survey(10)).event("x2", at(9*day), "survey", survey(9)).
		event("x4", at(9*day+hour), "survey", survey(9)).event("x1", at(9*day+3*hour), "survey", survey(8)).
		event("x2", at(9*day+4*hour), "survey", survey(7)).event("x1", at(9*day+5*hour), "survey", survey(3))
	kpis := []analytics.KPI{
		{Name: "rate", Function: analytics.FuncRate, Event: "viewed", Window: 2 * day},
		{Name: "avg", Function: analytics.FuncAverage, Event: "survey", Attribute: "score", Window: 2 * day},
		{Name: "nps", Function: analytics.FuncNPS, Event: "survey", Attribute: "score", Window: 2 * day,
			Target: &analytics.Target{Above: f(20), MinSamples: 5}},
	}
	a := build(t, journey(0, kpis...), fd)
	now := at(10 * day)
	// rate: x1 and x4 of x1, x2, x4, x5.
	if got := kpi(t, a, now, "rate"); !near(got.Value, 0.5, 1e-12) || got.Samples != 4 {
		t.Errorf("rate = %v over %d, want 0.5 over 4", val(got.Value), got.Samples)
	}
	// average: (10+9+9+8+7+3)/6; nps: 3 promoters, 1 detractor of 6.
	if got := kpi(t, a, now, "avg"); !near(got.Value, 46.0/6, 1e-12) || got.Samples != 6 {
		t.Errorf("average = %v over %d, want 7.667 over 6", val(got.Value), got.Samples)
	}
	got := kpi(t, a, now, "nps")
	if !near(got.Value, 100*2.0/6, 1e-12) || got.Samples != 6 || got.State != analytics.StateMet || got.Unit != "nps" {
		t.Errorf("nps = %v over %d (%s %s), want 33.3 over 6, met", val(got.Value), got.Samples, got.State, got.Unit)
	}
}

func TestAlertsFireOnEdges(t *testing.T) {
	k := analytics.KPI{Name: "checkout_dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day,
		Target: &analytics.Target{Below: f(0.4), MinSamples: 2}, AlertChannel: "ops"}
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{journey(0, k)})
	n := 0
	run := func(out string) {
		n++
		c := "c" + string(rune('a'+n))
		base := at(9 * day)
		fd := newFeed().enter(c, base, "checkout")
		if out == "on" {
			fd.move(c, base.Add(hour), "checkout", "payment")
		} else {
			fd.end(c, base.Add(hour), "checkout", analytics.ReasonExited)
		}
		a.Apply(fd.recs...)
	}
	now := at(10 * day)
	check := func(step string, want ...string) {
		t.Helper()
		got := a.Alerts(now)
		var states []string
		for _, al := range got {
			states = append(states, al.State+" "+al.ID)
		}
		if !reflect.DeepEqual(states, want) {
			t.Errorf("%s: alerts %q, want %q", step, states, want)
		}
	}
	run("drop")
	check("1 of 1 dropped: too few samples")
	run("on")
	check("1 of 2 dropped: missed", "missed growth/journey.cart.kpi.checkout_dropoff#1")
	run("drop")
	check("2 of 3: still missed")
	run("on")
	check("2 of 4: still missed")
	run("on")
	check("2 of 5: met (equal to the target)", "met growth/journey.cart.kpi.checkout_dropoff#2")
	run("on")
	check("2 of 6: still met")
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		run("drop")
	}
	check("8 of 12: missed, once for six records", "missed growth/journey.cart.kpi.checkout_dropoff#3")
	check("nothing changed")
	// Restored from before it, the same change comes with the same ID.
	if err := a.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		run("drop")
	}
	check("after a restore", "missed growth/journey.cart.kpi.checkout_dropoff#3")
}

func TestEraseReentryAndConfigure(t *testing.T) {
	k := analytics.KPI{Name: "conversion", Function: analytics.FuncConversion, Window: 2 * day}
	fd := newFeed().enter("a", at(9*day), "browsing").enter("b", at(9*day), "checkout").
		end("a", at(9*day+hour), "browsing", analytics.ReasonExited)
	// a enters again: its second run.
	fd.recs = append(fd.recs, analytics.Record{Transition: &analytics.Transition{Time: at(9*day + 2*hour), Stack: "growth",
		Journey: "cart", Customer: "a", Run: 2, To: "browsing", Reason: analytics.ReasonEntered}})
	a := build(t, journey(0, k), fd)
	r, _ := a.Report("growth", "cart", at(10*day))
	if r.Active != 2 || r.Totals.Entries != 3 {
		t.Errorf("active %d, entries %d; want 2, 3", r.Active, r.Totals.Entries)
	}
	a.Erase("b", at(10*day))
	if r, _ := a.Report("growth", "cart", at(10*day)); r.Active != 1 || r.Totals.Entries != 3 || r.Totals.Removed != 1 {
		t.Errorf("after erasing b: active %d, entries %d, removed %d; want 1, 3, 1", r.Active, r.Totals.Entries, r.Totals.Removed)
	}
	// a enters a third time though its second run's end was not seen: the
	// second run ends as removed.
	a.Apply(analytics.Record{Transition: &analytics.Transition{Time: at(10 * day), Stack: "growth",
		Journey: "cart", Customer: "a", Run: 3, To: "browsing", Reason: analytics.ReasonEntered}})
	r, _ = a.Report("growth", "cart", at(10*day))
	if r.Active != 1 || r.Totals.Entries != 4 || r.Totals.Removed != 2 {
		t.Errorf("after a's third entry: active %d, entries %d, removed %d; want 1, 4, 2", r.Active, r.Totals.Entries, r.Totals.Removed)
	}
	for _, f := range r.Funnel {
		if f.MovedOn+f.Completed+f.Dropped+f.StillThere != f.Reached {
			t.Errorf("stage %+v does not add up", f)
		}
	}
	if f := r.Funnel[0]; f.Reached != 3 || f.StillThere != 1 || f.Dropped != 2 {
		t.Errorf("browsing %+v: want 3 reached, 2 dropped, 1 still there", f)
	}
	// A deployment without the journey: it is no longer reported.
	a.Configure(nil)
	if _, err := a.Report("growth", "cart", at(10*day)); err != analytics.ErrUnknownJourney {
		t.Errorf("a journey no longer deployed: %v", err)
	}
}

// A journey renamed by a moved block keeps its figures under the new name,
// and a moved action its performance.
func TestConfigureCarriesMoves(t *testing.T) {
	fd := newFeed().enter("a", at(9*day), "browsing").enter("b", at(9*day), "checkout")
	fd.recs = append(fd.recs, analytics.Record{Decision: &analytics.Decision{Time: at(9*day + hour), DecisionID: "d1",
		Customer: "a", Stack: "growth", Journey: "cart", Action: "remind", Channel: "email"}})
	a := build(t, journey(0), fd)

	renamed := journey(0)
	renamed.Name, renamed.MovedFrom = "recovery", "cart"
	renamed.ActionsMoved = map[string]string{"remind": "nudge"}
	a.Configure([]analytics.Journey{renamed})
	if _, err := a.Report("growth", "cart", at(10*day)); err != analytics.ErrUnknownJourney {
		t.Errorf("the old name is still reported: %v", err)
	}
	r, err := a.Report("growth", "recovery", at(10*day))
	if err != nil {
		t.Fatal(err)
	}
	if r.Active != 2 || r.Totals.Entries != 2 {
		t.Errorf("after the rename: active %d, entries %d; want 2, 2", r.Active, r.Totals.Entries)
	}
	var acts []string
	for _, x := range r.Actions {
		acts = append(acts, x.Action+"/"+x.Channel+":"+fmt.Sprint(x.Decided))
	}
	if fmt.Sprint(acts) != "[nudge/email:1]" {
		t.Errorf("actions after the move %v, want [nudge/email:1]", acts)
	}
	// Later records under the new name add to the carried figures.
	a.Apply(analytics.Record{Transition: &analytics.Transition{Time: at(9*day + 2*hour), Stack: "growth", Journey: "recovery",
		Customer: "c", Run: 1, To: "browsing", Reason: analytics.ReasonEntered}})
	if r, _ := a.Report("growth", "recovery", at(10*day)); r.Totals.Entries != 3 || r.Active != 3 {
		t.Errorf("after a new entry: active %d, entries %d; want 3, 3", r.Active, r.Totals.Entries)
	}
}
