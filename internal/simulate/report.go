package simulate

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/units"
)

// Report is what a change would do to recorded events: each figure
// before (the deployed configuration) and after (the proposed one). It is
// plan -json's "simulation".
type Report struct {
	// Events counts the events replayed; Accepted what each runtime took.
	Events   int  `json:"events"`
	Accepted Pair `json:"accepted"`
	// Arrival is the time of events without a timestamp; Until is where
	// the clock was run on to.
	Arrival  time.Time       `json:"arrival"`
	Until    time.Time       `json:"until"`
	Journeys []JourneyReport `json:"journeys"`
	// Deliveries are per action, by address, recorded and not sent.
	Deliveries []DeliveryReport `json:"deliveries"`
	Customers  CustomerChanges  `json:"customers"`
}

// Pair is a count before and after.
type Pair struct {
	Before int64 `json:"before"`
	After  int64 `json:"after"`
}

// JourneyReport is a journey's funnel and KPIs before and after; a
// journey only one side deploys has zeros and nulls on the other.
type JourneyReport struct {
	Journey string        `json:"journey"`
	Entered Pair          `json:"entered"`
	Stages  []StageReport `json:"stages"`
	Goal    Pair          `json:"goal"`
	KPIs    []KPIReport   `json:"kpis"`
}

// StageReport is how many runs reached a stage.
type StageReport struct {
	Stage   string `json:"stage"`
	Reached Pair   `json:"reached"`
}

// KPIReport is a KPI's value, samples and state before and after; a
// value is null without samples, a state empty where the KPI is not
// deployed. The samples are what the value is over: for a share, its
// denominator (the runs sent the action, for conversion(action.<name>)).
type KPIReport struct {
	KPI string `json:"kpi"`
	// Unit is the KPI's, as in the analytics report: "share", "seconds",
	// "nps" or "number".
	Unit          string   `json:"unit"`
	Before        *float64 `json:"before"`
	After         *float64 `json:"after"`
	BeforeSamples int64    `json:"before_samples"`
	AfterSamples  int64    `json:"after_samples"`
	BeforeState   string   `json:"before_state"`
	AfterState    string   `json:"after_state"`
}

// DeliveryReport is how many deliveries an action made.
type DeliveryReport struct {
	Action string `json:"action"`
	Pair
}

// CustomerChanges are the customers whose journey states differ at the
// end of the replays: how many, and the first few ids in order.
type CustomerChanges struct {
	Changed int      `json:"changed"`
	Sample  []string `json:"sample"`
}

// SampleSize is how many changed customers a report names.
const SampleSize = 5

// Compare reports the change from before to after.
func Compare(ev *Events, arrival, until time.Time, before, after *Outcome) *Report {
	r := &Report{Events: len(ev.Lines), Accepted: Pair{int64(before.Accepted), int64(after.Accepted)},
		Arrival: arrival.UTC(), Until: until.UTC(), Journeys: []JourneyReport{}, Deliveries: []DeliveryReport{},
		Customers: CustomerChanges{Sample: []string{}}}
	names := slices.Sorted(maps.Keys(union(before.Journeys, after.Journeys)))
	for _, n := range names {
		b, a := before.Journeys[n], after.Journeys[n]
		if b == nil {
			b = &JourneyFigures{}
		}
		if a == nil {
			a = &JourneyFigures{}
		}
		jr := JourneyReport{Journey: n, Entered: Pair{b.Entered, a.Entered}, Goal: Pair{b.Goal, a.Goal}, Stages: []StageReport{}, KPIs: []KPIReport{}}
		// Stages in the proposed order, then those it removes.
		for _, s := range mergeNames(stageNames(a.Stages), stageNames(b.Stages)) {
			jr.Stages = append(jr.Stages, StageReport{s, Pair{stageReached(b.Stages, s), stageReached(a.Stages, s)}})
		}
		for _, k := range mergeNames(kpiNames(a.KPIs), kpiNames(b.KPIs)) {
			kb, ka := kpiOf(b.KPIs, k), kpiOf(a.KPIs, k)
			unit := ka.Unit
			if unit == "" {
				unit = kb.Unit
			}
			jr.KPIs = append(jr.KPIs, KPIReport{KPI: k, Unit: unit, Before: kb.Value, After: ka.Value, BeforeSamples: kb.Samples, AfterSamples: ka.Samples,
				BeforeState: kb.State, AfterState: ka.State})
		}
		r.Journeys = append(r.Journeys, jr)
	}
	for _, a := range slices.Sorted(maps.Keys(union(before.Deliveries, after.Deliveries))) {
		r.Deliveries = append(r.Deliveries, DeliveryReport{a, Pair{before.Deliveries[a], after.Deliveries[a]}})
	}
	for _, id := range slices.Sorted(maps.Keys(union(before.Customers, after.Customers))) {
		if before.Customers[id] != after.Customers[id] {
			r.Customers.Changed++
			if len(r.Customers.Sample) < SampleSize {
				r.Customers.Sample = append(r.Customers.Sample, id)
			}
		}
	}
	return r
}

func union[V any](a, b map[string]V) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func mergeNames(first, then []string) []string {
	out := slices.Clone(first)
	for _, n := range then {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func stageNames(ss []StageFigure) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Stage
	}
	return out
}

func stageReached(ss []StageFigure, name string) int64 {
	for _, s := range ss {
		if s.Stage == name {
			return s.Reached
		}
	}
	return 0
}

func kpiNames(ks []KPIFigure) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

func kpiOf(ks []KPIFigure, name string) KPIFigure {
	for _, k := range ks {
		if k.Name == name {
			return k
		}
	}
	return KPIFigure{}
}

// WriteText writes the report for people, after the plan: each figure
// as before → after, a line that changes marked with ~.
func (r *Report) WriteText(w io.Writer) error {
	b := &text{width: r.labelWidth()}
	fmt.Fprintf(b, "Simulation: %d recorded events replayed against the deployed configuration and the\nproposed one, each in an in-memory runtime on the event clock, run on to %s;\ndeliveries are recorded, not sent.\n\n", r.Events, r.Until.Format(time.RFC3339))
	fmt.Fprintf(b, "  events accepted: %s\n", pair(r.Accepted))
	for _, j := range r.Journeys {
		fmt.Fprintf(b, "\n  journey.%s\n", j.Journey)
		b.line("entered", pair(j.Entered), j.Entered.Before != j.Entered.After)
		for _, s := range j.Stages {
			b.line("stage "+s.Stage+" reached", pair(s.Reached), s.Reached.Before != s.Reached.After)
		}
		b.line("goal reached", pair(j.Goal), j.Goal.Before != j.Goal.After)
		for _, k := range j.KPIs {
			before, after := sampled(k.Unit, k.Before, k.BeforeSamples), sampled(k.Unit, k.After, k.AfterSamples)
			v := fmt.Sprintf("%s → %s (%s → %s)", before, after, state(k.BeforeState), state(k.AfterState))
			changed := !sameValue(k.Before, k.After) || k.BeforeSamples != k.AfterSamples || k.BeforeState != k.AfterState
			b.line("kpi "+k.KPI, v, changed)
		}
	}
	b.WriteString("\n  deliveries per action\n")
	if len(r.Deliveries) == 0 {
		b.WriteString("    (none)\n")
	}
	for _, d := range r.Deliveries {
		b.line(d.Action, pair(d.Pair), d.Before != d.After)
	}
	fmt.Fprintf(b, "\n  customers whose journey outcome changes: %d", r.Customers.Changed)
	if len(r.Customers.Sample) > 0 {
		more := ""
		if r.Customers.Changed > len(r.Customers.Sample) {
			more = ", …"
		}
		fmt.Fprintf(b, " (%s%s)", strings.Join(r.Customers.Sample, ", "), more)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// text is the report as it is written, its labels padded to width.
type text struct {
	strings.Builder
	width int
}

func (b *text) line(label, v string, changed bool) {
	mark := " "
	if changed {
		mark = "~"
	}
	fmt.Fprintf(b, "  %s %-*s  %s\n", mark, b.width, label, v)
}

// labelWidth is the width of the longest label.
func (r *Report) labelWidth() int {
	w := len("goal reached")
	for _, j := range r.Journeys {
		for _, s := range j.Stages {
			w = max(w, len("stage "+s.Stage+" reached"))
		}
		for _, k := range j.KPIs {
			w = max(w, len("kpi "+k.KPI))
		}
	}
	for _, d := range r.Deliveries {
		w = max(w, len(d.Action))
	}
	return w
}

func pair(p Pair) string { return fmt.Sprintf("%d → %d", p.Before, p.After) }

// value is a KPI's value in its unit: a duration as "4d23h18m", a
// share or a number to four significant digits.
func value(unit string, v *float64) string {
	switch {
	case v == nil:
		return "-"
	case unit == "seconds":
		return units.Duration(*v, 3)
	case unit == "nps":
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	return strconv.FormatFloat(*v, 'g', 4, 64)
}

func sameValue(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// sampled is a KPI's value with what it is over: "0.6 over 5".
func sampled(unit string, v *float64, samples int64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%s over %d", value(unit, v), samples)
}

func state(s string) string {
	if s == "" {
		return "not deployed"
	}
	return s
}
