package api_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// shop is the growth stack with the web channel and two of its actions.
func shop() *deploy.Document {
	return fixture.New("growth").Shared().CartRecovery(nil).Segment("vip", `customer.tier == "gold"`).Web().
		Action(deploy.Action{Journey: "cart_recovery", Name: "banner", Channel: "web", Stages: []string{"checkout"}, Eligible: "segment.vip", Value: "5", Lever: 1.5}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "tip", Channel: "web", Stages: []string{"browsing"}}).Done()
}

func TestDecideAndRespond(t *testing.T) {
	p := serve(t, t.TempDir())
	c := p.client(p.token)
	if _, err := c.Deploy(ctx(t), "growth", 0, shop()); err != nil {
		t.Fatal(err)
	}
	res, err := c.SendEvents(ctx(t), []byte(`{"id":"e1","type":"cart_updated","customer_id":"c-42","attributes":{"cart_value":80},"traits":{"tier":"gold"}}
{"id":"e2","type":"checkout_started","customer_id":"c-42"}`))
	if err != nil || res.Accepted != 2 {
		t.Fatalf("events: %+v %v", res, err)
	}
	var d *apiv1.Decision
	eventually(t, 5*time.Second, func() error {
		d, err = c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-42", Channel: "web", Explain: true})
		if err != nil {
			return err
		}
		// Until checkout_started is processed the customer is browsing.
		if len(d.Actions) != 1 || d.Actions[0].Action != "banner" {
			return fmt.Errorf("actions %+v", d.Actions)
		}
		return nil
	})
	a := d.Actions[0]
	if a.Address != "growth/journey.cart_recovery.action.banner" || a.Stack != "growth" || a.Journey != "cart_recovery" || a.Action != "banner" ||
		a.Propensity != 0.5 || a.Priority <= 0 || len(d.DecisionID) != 32 {
		t.Fatalf("decision %+v", d)
	}
	if len(d.Candidates) != 2 || !d.Candidates[0].Kept || d.Candidates[1].Reason != "not_in_stage" {
		t.Fatalf("candidates %+v", d.Candidates)
	}
	// An ingest token may not decide.
	tracker, _ := c.CreateToken(ctx(t), "tracker", []apiv1.Scope{"ingest"})
	if _, err := p.client(tracker).Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-42", Channel: "web"}); !client.IsCode(err, "forbidden") {
		t.Fatalf("decide with an ingest token: %v", err)
	}
	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"customer_id":"c-42","channel":"fax"}`, 422, "unknown_channel"},
		{`{"customer_id":"c-42"}`, 400, "bad_request"},
		{`{"customer_id":"c-42","channel":"web","limit":-1}`, 400, "bad_request"},
		{`{"customer_id":"c-42","channel":"web","page":"x"}`, 400, "bad_request"},
		{`{"decision_id":"nope","action":"banner","outcome":"clicked"}`, 404, "not_found"},
		{fmt.Sprintf(`{"decision_id":%q,"action":"tip","outcome":"clicked"}`, d.DecisionID), 422, "unknown_action"},
		{fmt.Sprintf(`{"decision_id":%q,"action":"banner","outcome":"liked"}`, d.DecisionID), 422, "unknown_outcome"},
	} {
		path := "/v1/decide"
		if strings.Contains(tt.body, "decision_id") {
			path = "/v1/responses"
		}
		status, _, m := raw(t, "POST", p.addr+path, p.token, tt.body)
		if status != tt.status || errCode(m) != tt.code {
			t.Errorf("%s %s: %d %v, want %d %s", path, tt.body, status, m, tt.status, tt.code)
		}
	}
	// The bare name resolves; a repeat is a duplicate.
	r, err := c.Respond(ctx(t), d.DecisionID, "banner", "clicked")
	if err != nil || r.Action != a.Address || r.Duplicate {
		t.Fatalf("respond: %+v %v", r, err)
	}
	if r, err := c.Respond(ctx(t), d.DecisionID, a.Address, "clicked"); err != nil || !r.Duplicate {
		t.Fatalf("respond again: %+v %v", r, err)
	}
	eventually(t, 5*time.Second, func() error {
		ms, err := c.Models(ctx(t))
		if err != nil {
			return err
		}
		if len(ms) != 2 || ms[0].Key != "growth/journey.cart_recovery.action.banner@web" || ms[0].Evidence != 1 || ms[0].Positives != 1 {
			return fmt.Errorf("models %+v", ms)
		}
		return nil
	})
	// One model by key, with what it learnt of the customer: their tier and
	// their stage.
	m, err := c.Model(ctx(t), "growth/journey.cart_recovery.action.banner@web")
	if err != nil || m.Kind != "bayes" || m.Evidence != 1 || len(m.Predictors) == 0 {
		t.Fatalf("model: %+v %v", m, err)
	}
	names := map[string]bool{}
	for _, p := range m.Predictors {
		names[p.Name] = true
	}
	if !names["customer.tier"] || !names["stage.growth/cart_recovery"] {
		t.Fatalf("predictors %+v", m.Predictors)
	}
	if _, err := c.Model(ctx(t), "growth/journey.nope.action.x@web"); !client.IsCode(err, "not_found") {
		t.Fatalf("an unknown model: %v", err)
	}
	rec, err := c.Decision(ctx(t), d.DecisionID)
	if err != nil || rec.CustomerID != "c-42" || len(rec.Actions) != 1 || len(rec.Candidates) != 2 || rec.Candidates[1].Journey != "cart_recovery" {
		t.Fatalf("recorded decision %+v %v", rec, err)
	}
	cu, err := c.Customer(ctx(t), "c-42")
	if err != nil || len(cu.Decisions) == 0 || cu.Decisions[0].Actions[0] != a.Address {
		t.Fatalf("customer decisions %+v %v", cu, err)
	}

	// waymark decide explains.
	cmd := exec.Command(bin, "decide", "-customer", "c-42", "-channel", "web", "-context", "page=checkout", "-explain")
	cmd.Env = []string{"WAYMARK_ADDR=" + p.addr, "WAYMARK_TOKEN=" + p.token}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1. growth/journey.cart_recovery.action.banner") ||
		!strings.Contains(string(out), "dropped  growth/journey.cart_recovery.action.tip") || !strings.Contains(string(out), "not_in_stage") {
		t.Fatalf("decide -explain: %v\n%s", err, out)
	}
	cmd = exec.Command(bin, "customer", "show", "c-42")
	cmd.Env = []string{"WAYMARK_ADDR=" + p.addr, "WAYMARK_TOKEN=" + p.token}
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Recent decisions") || !strings.Contains(string(out), "dropped: 1 not_in_stage") {
		t.Fatalf("customer show: %v\n%s", err, out)
	}

	// waymark models lists them, and shows one with its predictors.
	for _, args := range [][]string{{"models"}, {"models", "growth/journey.cart_recovery.action.banner@web"}} {
		cmd = exec.Command(bin, args...)
		cmd.Env = []string{"WAYMARK_ADDR=" + p.addr, "WAYMARK_TOKEN=" + p.token}
		out, err = cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "growth/journey.cart_recovery.action.banner@web") || !strings.Contains(string(out), "bayes") {
			t.Fatalf("waymark %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if len(args) == 2 && !strings.Contains(string(out), "customer.tier") {
			t.Fatalf("waymark models ID shows no predictors:\n%s", out)
		}
	}

	// Erasure takes the decisions and what the customer taught the model.
	if err := c.DeleteCustomer(ctx(t), "c-42"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decision(ctx(t), d.DecisionID); !client.IsCode(err, "not_found") {
		t.Fatalf("an erased customer's decision: %v", err)
	}
	ms, err := c.Models(ctx(t))
	if err != nil || ms[0].Evidence != 0 {
		t.Fatalf("models after erasure %+v %v", ms, err)
	}
	// Decision records survive a restart.
	d2, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-7", Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	// A customer no event named, but decided for, can be erased too.
	if err := c.DeleteCustomer(ctx(t), "c-8"); !client.IsCode(err, "not_found") {
		t.Fatalf("erasing a customer never seen: %v", err)
	}
	d8, _ := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-8", Channel: "web"})
	if err := c.DeleteCustomer(ctx(t), "c-8"); err != nil {
		t.Fatalf("erasing a customer only decided for: %v", err)
	}
	if _, err := c.Decision(ctx(t), d8.DecisionID); !client.IsCode(err, "not_found") {
		t.Fatalf("their decision: %v", err)
	}
	p.stop()
	p2 := serve(t, p.cmd.Args[4])
	if rec, err := p2.client(p.token).Decision(ctx(t), d2.DecisionID); err != nil || rec.CustomerID != "c-7" {
		t.Fatalf("after a restart: %+v %v", rec, err)
	}
	status, _, _ := raw(t, "GET", p2.addr+"/v1/deliveries?state=lost", p.token, "")
	if status != http.StatusBadRequest {
		t.Fatalf("deliveries in an unknown state: %d", status)
	}
}
