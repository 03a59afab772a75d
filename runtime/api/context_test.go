package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// A decide request's context keys are predictors the model learns from:
// the response is learnt in the context of the decision it answers, so a
// context key that decides the outcome gets an AUC near 1 in
// GET /v1/models/{id}, and so does the model.
func TestContextKeysAreLearnt(t *testing.T) {
	const tip = "growth/journey.cart_recovery.action.tip@web"
	p := serve(t, t.TempDir())
	c := p.client(p.token)
	if _, err := c.Deploy(ctx(t), "growth", 0, shop()); err != nil {
		t.Fatal(err)
	}
	const n = 240
	var evs []string
	for i := range n {
		evs = append(evs, fmt.Sprintf(`{"id":"e%d","type":"cart_updated","customer_id":"c-%03d","attributes":{"cart_value":80},"traits":{"tier":"silver"}}`, i, i))
	}
	if res, err := c.SendEvents(ctx(t), []byte(strings.Join(evs, "\n"))); err != nil || res.Accepted != n {
		t.Fatalf("events: %+v %v", res, err)
	}
	for i := range n {
		page := []string{"home", "checkout"}[(i/3)%2] // not in step with anything else
		var d *apiv1.Decision
		eventually(t, 5*time.Second, func() (err error) {
			d, err = c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: fmt.Sprintf("c-%03d", i), Channel: "web", Context: map[string]any{"page": page}})
			if err == nil && (len(d.Actions) != 1 || d.Actions[0].Action != "tip") {
				err = fmt.Errorf("actions %+v", d.Actions)
			}
			return err
		})
		outcome := "ignored"
		if page == "checkout" {
			outcome = "clicked"
		}
		if _, err := c.Respond(ctx(t), d.DecisionID, "tip", outcome); err != nil {
			t.Fatal(err)
		}
	}
	var m apiv1.Model
	eventually(t, 10*time.Second, func() (err error) {
		if m, err = c.Model(ctx(t), tip); err == nil && m.Evidence != n {
			err = fmt.Errorf("evidence %d of %d", m.Evidence, n)
		}
		return err
	})
	var page *apiv1.ModelPredictor
	for i := range m.Predictors {
		if m.Predictors[i].Name == "context.page" {
			page = &m.Predictors[i]
		}
	}
	if page == nil || page.AUC < 0.95 || !page.Active {
		t.Fatalf("predictor context.page %+v among %+v", page, m.Predictors)
	}
	if m.AUC == nil || *m.AUC < 0.8 {
		t.Fatalf("model AUC %v, want well above 0.5", m.AUC)
	}
	// The decision record keeps the context the response was learnt in.
	d, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-000", Channel: "web", Context: map[string]any{"page": "checkout", "n": 3, "b": true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decision(ctx(t), d.DecisionID); err != nil {
		t.Fatalf("a decision with a context: %v", err)
	}
}
