package decide_test

import (
	"fmt"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/experiment"
)

// An experiment's variant is the keyed hash's for every customer: a
// holdout is taken out of the answer without another action taking its
// place, a variant's value is what is ranked, and a stopped experiment
// gives everyone the control and assigns no one.
func TestExperimentVariants(t *testing.T) {
	ex := func(state string) *deploy.Experiment {
		return &deploy.Experiment{Name: "split", Control: "a", Metric: "conversion", State: state, Variants: []deploy.Variant{
			{Name: "a", Weight: 2}, {Name: "b", Weight: 1, Value: "100"}, {Name: "none", Weight: 1, Holdout: true}}}
	}
	for _, state := range []string{"running", "stopped"} {
		c, _ := build(t, stack("growth",
			deploy.Action{Name: "offer", Value: "1", Experiment: ex(state)},
			deploy.Action{Name: "other", Value: "10"}).Done())
		salt := "growth/journey.cart_recovery.action.offer.experiment.split"
		seen := map[string]int{}
		for i := range 200 {
			id := fmt.Sprintf("c%d", i)
			want := []string{"a", "b", "none"}[experiment.Assign(salt, id, []float64{2, 1, 1})]
			if state == "stopped" {
				want = "a"
			}
			seen[want]++
			d, err := decide.Decide(c, customer(c, id, "checkout"), &decide.Request{ID: "d", Channel: "web", Now: t0, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			// other (value 10) outranks offer (1) but not offer's variant b (100).
			top := "growth/journey.cart_recovery.action.other"
			if want == "b" {
				top = "growth/journey.cart_recovery.action.offer"
			}
			if d.Chosen != 1 || d.Candidates[0].Action.Ref != top {
				t.Errorf("%s %s (%s): %s", state, id, want, reasons(d))
				continue
			}
			var offer *decide.Candidate
			for i := range d.Candidates {
				if d.Candidates[i].Action.Name == "offer" {
					offer = &d.Candidates[i]
				}
			}
			if offer.VariantName() != want || offer.Assigned != (state == "running") {
				t.Errorf("%s %s: variant %q assigned %v, want %q", state, id, offer.VariantName(), offer.Assigned, want)
			}
			if as := d.Assignments(); (state == "running" && want == "b") != (len(as) == 1) {
				t.Errorf("%s %s (%s): assignments %d", state, id, want, len(as))
			}
		}
		if state == "running" && (seen["a"] < 70 || seen["b"] < 30 || seen["none"] < 30) {
			t.Errorf("the 200 customers split %v", seen)
		}
	}
	// Alone, a holdout's action is held out and nothing takes its place.
	c, _ := build(t, stack("growth", deploy.Action{Name: "offer", Value: "1", Experiment: ex("running")}).Done())
	for i := range 50 {
		id := fmt.Sprintf("c%d", i)
		v := experiment.Assign("growth/journey.cart_recovery.action.offer.experiment.split", id, []float64{2, 1, 1})
		d, _ := decide.Decide(c, customer(c, id, "checkout"), &decide.Request{ID: "d", Channel: "web", Now: t0})
		held := v == 2
		if held != (d.Chosen == 0) || held != (d.Candidates[0].Reason == decide.ExperimentHoldout) || len(d.Assignments()) != 1 {
			t.Errorf("%s (variant %d): %s, %d assignments", id, v, reasons(d), len(d.Assignments()))
		}
	}
}

// An outbound action's trigger falls due after the customer's variant's
// delay, or the action's when the variant sets none; a stopped experiment
// uses the control's.
func TestExperimentTriggerDelay(t *testing.T) {
	for _, state := range []string{"running", "stopped"} {
		c, _ := build(t, stack("growth", deploy.Action{Name: "mail", Channel: "email", Value: "1",
			Trigger: &deploy.Trigger{After: "1h"},
			Message: map[string]string{"subject": "Hi", "body": "Your cart"},
			Experiment: &deploy.Experiment{Name: "wait", Control: "soon", Metric: "conversion", State: state, Variants: []deploy.Variant{
				{Name: "soon", Weight: 1}, {Name: "later", Weight: 1, After: "1d"}}}}).Done())
		a := c.Action("growth/journey.cart_recovery.action.mail")
		for i := range 40 {
			id := fmt.Sprintf("c%d", i)
			want := hour
			if state == "running" && experiment.Assign("growth/journey.cart_recovery.action.mail.experiment.wait", id, []float64{1, 1}) == 1 {
				want = day
			}
			if got := a.TriggerAfter(id); got != want {
				t.Errorf("%s %s: due after %s, want %s", state, id, got, want)
			}
		}
	}
}
