package lang_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// An experiment block decodes into the action's Experiment: variants in
// the order written, the control and metric resolved, a variant's message
// holding only the fields it overrides.
func TestExperimentDecodes(t *testing.T) {
	cfg := load(t, "testdata/experiment", options())
	o := cfg.Document.Object("journey.cart.action.reminder")
	if o == nil || o.Action == nil || o.Action.Experiment == nil {
		t.Fatalf("no experiment on the action: %+v", o)
	}
	got, _ := json.Marshal(o.Action.Experiment)
	want := `{"name":"subject","control":"plain","metric":"kpi.orders","state":"running","variants":[` +
		`{"name":"plain","weight":45},` +
		`{"name":"urgent","weight":45,"after":"2h","message":{"subject":"Last chance: ${customer.tier}"}},` +
		`{"name":"none","weight":10,"holdout":true}]}`
	if string(got) != want {
		t.Errorf("experiment =\n%s\nwant\n%s", got, want)
	}
	if e := o.Action.Experiment; e.Address(o.Address) != "journey.cart.action.reminder.experiment.subject" || e.ControlIndex() != 0 {
		t.Errorf("address %q, control index %d", e.Address(o.Address), e.ControlIndex())
	}
	// The runtime's own check agrees with validate.
	kpi := func(name string) (deploy.Metric, bool) {
		k := cfg.Document.Object("journey.cart.kpi." + name)
		if k == nil {
			return deploy.Metric{}, false
		}
		return k.KPI.Metric, true
	}
	if msgs := deploy.CheckExperiment(o.Action, kpi, nil); len(msgs) > 0 {
		t.Errorf("CheckExperiment: %v", msgs)
	}
	bad := *o.Action
	ex := *bad.Experiment
	ex.Variants = append([]deploy.Variant(nil), ex.Variants...)
	ex.Variants[1].Weight = -1
	ex.Metric = "kpi.slow"
	ex.Control = "nobody"
	bad.Experiment = &ex
	if msgs := deploy.CheckExperiment(&bad, kpi, nil); len(msgs) != 3 {
		t.Errorf("CheckExperiment of a bad experiment gave %d messages, want 3: %v", len(msgs), msgs)
	}
	attributed := func(string) (deploy.Metric, bool) {
		return deploy.Metric{Function: deploy.MetricConversion, Action: "reminder"}, true
	}
	ex.Metric = "kpi.reminded"
	if msgs := deploy.CheckExperiment(&bad, attributed, nil); len(msgs) != 3 || !strings.Contains(msgs[2], "attributed to action \"reminder\"") {
		t.Errorf("CheckExperiment of an experiment on an attributed KPI: %v", msgs)
	}
}
