package service

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Transitions count by stack, journey and reason, each series apart, as
// often as they happen.
func TestObserverCountsTransitions(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry(), &Service{})
	o := observer{m}
	for range 3 {
		o.Transition("growth", "cart", "entered")
	}
	o.Transition("growth", "cart", "completed")
	o.Transition("growth", "onboarding", "entered")
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
