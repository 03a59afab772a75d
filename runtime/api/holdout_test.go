package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/experiment"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// holdoutDoc is mailing's stack with a web banner, a conversion KPI on a
// goal without within (a run counts once it ends) and a global holdout of
// half the customers.
func holdoutDoc(port int) *deploy.Document {
	d := fixture.Doc{Document: mailing(port)}
	for i := range d.Objects {
		if j := d.Objects[i].Journey; j != nil && j.Goal != nil {
			j.Goal.Within = ""
		}
	}
	return d.Web().
		Action(deploy.Action{Journey: "cart_recovery", Name: "banner", Channel: "web", Stages: []string{"browsing", "checkout"}}).
		KPI(deploy.KPI{Journey: "cart_recovery", Name: "conversion", Window: "7d",
			Metric: deploy.Metric{Function: "conversion", Source: "conversion()"}}).
		Arbitration(deploy.Arbitration{Holdout: 0.5, MaxActions: 3, MaxOutbound: 1}).Done()
}

// TestGlobalHoldout runs a runtime with arbitration { holdout = 0.5 } over
// real HTTP and SMTP: the held-out customers enter the journey and convert,
// but get no triggered email and no decided action (their decisions say
// holdout); the treated get both; the conversion KPI reports each side
// exactly, with the lift of the treated.
func TestGlobalHoldout(t *testing.T) {
	mb := startMailbox(t)
	p := serve(t, t.TempDir(), "-insecure-dev")
	c := p.client("")
	if _, err := c.Deploy(ctx(t), "growth", 0, holdoutDoc(mb.port)); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var held, treated []string
	var entries, ends bytes.Buffer
	var heldGoals, treatedGoals int64
	for i := range n {
		id := fmt.Sprintf("h-%02d", i)
		line, _ := json.Marshal(map[string]any{"id": "in-" + id, "type": "cart_updated", "customer_id": id,
			"attributes": map[string]any{"cart_value": 80},
			"traits":     map[string]any{"email": id + "@example.test", "email_opt_in": true, "first_name": "C" + id}})
		entries.Write(append(line, '\n'))
		// The treated convert every other time, the held out every fourth.
		isHeld := experiment.Holdout(experiment.GlobalHoldoutSalt, id, 0.5)
		goal := i%2 == 0
		if isHeld {
			held = append(held, id)
			goal = i%4 == 0
			heldGoals += b2i(goal)
		} else {
			treated = append(treated, id)
			treatedGoals += b2i(goal)
		}
		typ := "ticket_opened"
		if goal {
			typ = "order_placed"
		}
		line, _ = json.Marshal(map[string]any{"id": "out-" + id, "type": typ, "customer_id": id})
		ends.Write(append(line, '\n'))
	}
	if len(held) < 10 || len(treated) < 10 {
		t.Fatalf("%d held out and %d treated of %d: too few on a side", len(held), len(treated), n)
	}
	if res, err := c.SendEvents(ctx(t), entries.Bytes()); err != nil || res.Accepted != n {
		t.Fatalf("events %+v %v", res, err)
	}

	// Every customer's entry fires the reminder's trigger: each is decided,
	// the held out with nothing chosen and the reason holdout.
	eventually(t, 20*time.Second, func() error {
		for _, id := range append(append([]string(nil), held...), treated...) {
			cu, err := c.Customer(ctx(t), id)
			if err != nil {
				return err
			}
			if len(cu.Decisions) != 1 || !cu.Decisions[0].Trigger {
				return fmt.Errorf("%s's decisions %+v", id, cu.Decisions)
			}
			d := cu.Decisions[0]
			if slices.Contains(held, id) && (len(d.Actions) != 0 || d.Dropped["holdout"] != 1) {
				return fmt.Errorf("held-out %s's trigger decision %+v", id, d)
			}
			if slices.Contains(treated, id) && len(d.Actions) != 1 {
				return fmt.Errorf("treated %s's trigger decision %+v", id, d)
			}
		}
		return nil
	})
	// The treated are emailed; once they all are, no one else was.
	eventually(t, 20*time.Second, func() error {
		if got := len(mb.messages()); got != len(treated) {
			return fmt.Errorf("%d messages, want %d", got, len(treated))
		}
		return nil
	})
	var to []string
	for _, m := range mb.messages() {
		a, err := mail.ParseAddress(m.Header.Get("To"))
		if err != nil {
			t.Fatal(err)
		}
		to = append(to, a.Address)
	}
	slices.Sort(to)
	for i, id := range treated {
		if i >= len(to) || to[i] != id+"@example.test" {
			t.Fatalf("emailed %v, want the treated %v", to, treated)
		}
	}

	// Decide: nothing for the held out, and the answer says why.
	for _, id := range held[:3] {
		d, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: id, Channel: "web", Explain: true})
		if err != nil || !d.Holdout || len(d.Actions) != 0 || len(d.Candidates) != 1 || d.Candidates[0].Reason != "holdout" {
			t.Fatalf("decide for held-out %s: %s %v", id, js(d), err)
		}
	}
	for _, id := range treated[:3] {
		d, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: id, Channel: "web"})
		if err != nil || d.Holdout || len(d.Actions) != 1 || d.Actions[0].Address != "growth/journey.cart_recovery.action.banner" {
			t.Fatalf("decide for treated %s: %s %v", id, js(d), err)
		}
	}

	// The runs end, and the conversion KPI splits exactly.
	if res, err := c.SendEvents(ctx(t), ends.Bytes()); err != nil || res.Accepted != n {
		t.Fatalf("events %+v %v", res, err)
	}
	var k *apiv1.KPI
	eventually(t, 20*time.Second, func() error {
		_, r := report(t, p, "growth", "cart_recovery")
		if k = kpiOf(r, "conversion"); k == nil || k.Samples != n || k.Holdout == nil {
			return fmt.Errorf("conversion %s, want %d samples and holdout figures", js(k), n)
		}
		return nil
	})
	h := k.Holdout
	if h.Share != 0.5 || h.Holdout.Samples != int64(len(held)) || h.Holdout.Count != heldGoals ||
		h.Treated.Samples != int64(len(treated)) || h.Treated.Count != treatedGoals || h.Lift == nil {
		t.Fatalf("conversion holdout %s; want held out %d of %d, treated %d of %d", js(h), heldGoals, len(held), treatedGoals, len(treated))
	}
	hv, tv := float64(heldGoals)/float64(len(held)), float64(treatedGoals)/float64(len(treated))
	if *h.Holdout.Value != hv || *h.Treated.Value != tv || h.Lift.Value != tv/hv-1 || h.Lift.Low > h.Lift.Value || h.Lift.High < h.Lift.Value {
		t.Fatalf("conversion holdout %s; want values %v and %v", js(h), hv, tv)
	}
	t.Logf("conversion: holdout %d/%d, treated %d/%d, lift %.0f%% [%.0f%%, %.0f%%], test %s",
		heldGoals, len(held), treatedGoals, len(treated), 100*h.Lift.Value, 100*h.Lift.Low, 100*h.Lift.High, h.Test.State)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
