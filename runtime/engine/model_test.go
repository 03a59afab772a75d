package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/decide"
)

// TestModelLearnsCustomers trains an action's model through responses,
// from customers whose tier decides whether they click, and holds that the
// model tells them apart, and predicts the same after a restart (its
// state committed per partition and loaded again).
func TestModelLearnsCustomers(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(nil, deploy.Action{Name: "banner", Channel: "web", Stages: []string{"browsing"}}))
	ref := "growth/journey.cart_recovery.action.banner"
	r := rand.New(rand.NewPCG(1, 1))
	tiers := []string{"gold", "standard"}
	for i := 0; i < 400; i++ {
		id := fmt.Sprintf("c%d", i)
		tier := tiers[i%2]
		h.send(ev("cart_updated", id, 0, "cart_value", 30, "trait:tier", tier))
		d, err := h.e.Decide(context.Background(), DecideRequest{Customer: id, Channel: "web"})
		if err != nil || d.Chosen != 1 {
			t.Fatalf("decision %+v %v", d, err)
		}
		p := 0.1
		if tier == "gold" {
			p = 0.6
		}
		out := OutcomeIgnored
		if r.Float64() < p {
			out = OutcomeClicked
		}
		h.record(EncodeResponse(Response{Customer: id, Decision: d.ID, Action: ref, Channel: "web", Outcome: out}))
	}
	propensity := func(id string) float64 {
		d, err := h.e.Decide(context.Background(), DecideRequest{Customer: id, Channel: "web"})
		if err != nil || d.Chosen != 1 {
			t.Fatalf("decision %+v %v", d, err)
		}
		return d.Candidates[0].Propensity
	}
	gold, standard := propensity("c0"), propensity("c1")
	if gold < 0.45 || standard > 0.2 {
		t.Fatalf("propensity of a gold customer %.3f, of a standard one %.3f", gold, standard)
	}
	st := h.e.Models().Get(decide.ModelKey(ref, "web")).Stats()
	if st.Kind != "bayes" || st.Evidence != 400 || st.AUC == nil || *st.AUC < 0.65 || st.Predictors[0].Name != "customer.tier" || !st.Predictors[0].Active {
		t.Fatalf("stats %+v", st)
	}
	h.restart()
	// The same up to rounding: the parts are summed in another order.
	if g, s := propensity("c0"), propensity("c1"); math.Abs(g-gold) > 1e-9 || math.Abs(s-standard) > 1e-9 {
		t.Fatalf("after a restart: %.6f and %.6f, before %.6f and %.6f", g, s, gold, standard)
	}
}
