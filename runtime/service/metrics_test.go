package service

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/runtime/engine"
)

// Transitions count by stack, journey and reason, each series apart, as
// often as the engine's commits say they happened.
func TestObserverCountsTransitions(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry(), &Service{})
	o := observer{m}
	// Two commits' worth: each adds to the counters, once per series.
	o.Transitions([]engine.TransitionCount{{Stack: "growth", Journey: "cart", Reason: "entered", N: 2},
		{Stack: "growth", Journey: "cart", Reason: "completed", N: 1}})
	o.Transitions([]engine.TransitionCount{{Stack: "growth", Journey: "cart", Reason: "entered", N: 1},
		{Stack: "growth", Journey: "onboarding", Reason: "entered", N: 1}})
	reg := prometheus.NewRegistry() // the counters alone: the others read a runtime
	reg.MustRegister(m.trans)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "waymark_journey_transitions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			k := ""
			for _, l := range m.GetLabel() {
				k += l.GetValue() + " "
			}
			got[k] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"cart entered growth ": 3, "cart completed growth ": 1, "onboarding entered growth ": 1}
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q: %v, want %v", k, got[k], v)
		}
	}
}
