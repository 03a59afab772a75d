package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// A moved action takes its adaptive model with it: GET /v1/models shows
// the evidence under the new address and nothing under the old one, after
// a restart too, and erasing the customer takes what they taught it out of
// the moved model.
func TestMovedActionKeepsItsModel(t *testing.T) {
	const (
		banner = "growth/journey.cart_recovery.action.banner@web"
		hero   = "growth/journey.cart_recovery.action.hero@web"
	)
	dir := t.TempDir()
	p := serve(t, dir)
	token := p.token
	c := p.client(token)
	if _, err := c.Deploy(ctx(t), "growth", 0, shop()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEvents(ctx(t), []byte(`{"id":"e1","type":"cart_updated","customer_id":"c-42","attributes":{"cart_value":80},"traits":{"tier":"gold"}}
{"id":"e2","type":"checkout_started","customer_id":"c-42"}`)); err != nil {
		t.Fatal(err)
	}
	var d *apiv1.Decision
	eventually(t, 5*time.Second, func() (err error) {
		if d, err = c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-42", Channel: "web"}); err != nil {
			return err
		}
		if len(d.Actions) != 1 || d.Actions[0].Action != "banner" {
			return fmt.Errorf("actions %+v", d.Actions)
		}
		return nil
	})
	if _, err := c.Respond(ctx(t), d.DecisionID, "banner", "clicked"); err != nil {
		t.Fatal(err)
	}
	models := func(want map[string]int) func() error {
		return func() error {
			ms, err := c.Models(ctx(t))
			if err != nil {
				return err
			}
			got := map[string]int{}
			for _, m := range ms {
				if m.Key == banner || m.Key == hero {
					got[m.Key] = m.Evidence*10 + m.Positives
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("models (evidence×10 + positives) %v, want %v", got, want)
			}
			return nil
		}
	}
	eventually(t, 5*time.Second, models(map[string]int{banner: 11}))
	// A decision made before the move, answered after it.
	if _, err := c.SendEvents(ctx(t), []byte(`{"id":"e3","type":"cart_updated","customer_id":"c-43","attributes":{"cart_value":80},"traits":{"tier":"gold"}}
{"id":"e4","type":"checkout_started","customer_id":"c-43"}`)); err != nil {
		t.Fatal(err)
	}
	var late *apiv1.Decision
	eventually(t, 5*time.Second, func() (err error) {
		if late, err = c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-43", Channel: "web"}); err == nil && (len(late.Actions) != 1 || late.Actions[0].Action != "banner") {
			err = fmt.Errorf("actions %+v", late.Actions)
		}
		return err
	})

	moved := fixture.New("growth").Shared().CartRecovery(nil).Segment("vip", `customer.tier == "gold"`).Web().
		Action(deploy.Action{Journey: "cart_recovery", Name: "hero", Channel: "web", Stages: []string{"checkout"}, Eligible: "segment.vip", Value: "5", Lever: 1.5}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "tip", Channel: "web", Stages: []string{"browsing"}}).
		Move("journey.cart_recovery.action.banner", "journey.cart_recovery.action.hero").Done()
	if _, err := c.Deploy(ctx(t), "growth", 1, moved); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, models(map[string]int{hero: 11}))
	if m, err := c.Model(ctx(t), hero); err != nil || m.Evidence != 1 || len(m.Predictors) == 0 {
		t.Fatalf("the moved model: %+v %v", m, err)
	}
	// The late response names the action as the decision did; the moved
	// model learns it.
	if r, err := c.Respond(ctx(t), late.DecisionID, "banner", "ignored"); err != nil || r.Action != "growth/journey.cart_recovery.action.banner" {
		t.Fatalf("a response after the move: %+v %v", r, err)
	}
	eventually(t, 5*time.Second, models(map[string]int{hero: 21}))

	// Durable: the moved model is what the store holds.
	p.stop()
	p = serve(t, dir)
	c = p.client(token)
	eventually(t, 5*time.Second, models(map[string]int{hero: 21}))

	// The customer's contribution moved with it: erasure takes it out.
	if err := c.DeleteCustomer(ctx(t), "c-42"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, models(map[string]int{hero: 10}))
}
