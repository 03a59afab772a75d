package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// webhookStack is the growth stack with a webhook channel and an action on
// it; mod changes it before it is sent.
func webhookStack(mod func(d *fixture.Doc)) *deploy.Document {
	d := fixture.New("growth").Shared().CartRecovery(nil).
		Channel(deploy.Channel{Name: "hook", Provider: "webhook", Delivers: true,
			Config: map[string]json.RawMessage{"url": json.RawMessage(`"http://127.0.0.1:9/hook"`)}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "remind", Channel: "hook", Stages: []string{"browsing"},
			Trigger: &deploy.Trigger{After: "1h"}, Message: map[string]string{"text": "Your cart is waiting"}})
	if mod != nil {
		mod(d)
	}
	return d.Done()
}

func object(d *fixture.Doc, address string) *deploy.Object {
	for i := range d.Objects {
		if d.Objects[i].Address == address {
			return &d.Objects[i]
		}
	}
	panic("no object " + address)
}

// TestDeployRevalidates: a deployment posted by hand, not made by the CLI,
// is checked as validate checks the configuration: 422 with a problem that
// names the object and the field, and nothing deployed.
func TestDeployRevalidates(t *testing.T) {
	p := serve(t, t.TempDir())
	c := p.client(p.token)
	cases := []struct {
		name    string
		mod     func(d *fixture.Doc)
		address string
		want    string
	}{
		{"sensitive value in a message", func(d *fixture.Doc) {
			object(d, "journey.cart_recovery.action.remind").Action.Message["text"] = "Hello ${customer.email}"
		}, "journey.cart_recovery.action.remind", "message.text"},
		{"per-delivery attribute the provider does not take", func(d *fixture.Doc) {
			d.Channel(deploy.Channel{Name: "mail", Provider: "smtp", Delivers: true,
				Config:      map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "from": json.RawMessage(`"a@example.com"`)},
				PerDelivery: map[string]string{"to": "customer.email", "reply_to": "customer.email"}})
		}, "channel.mail", "no per-delivery attribute \"reply_to\""},
		{"message attribute the provider does not take", func(d *fixture.Doc) {
			object(d, "journey.cart_recovery.action.remind").Action.Message["subject"] = "hi"
		}, "journey.cart_recovery.action.remind", "message.subject"},
		{"channel attribute the provider does not take", func(d *fixture.Doc) {
			object(d, "channel.hook").Channel.Config["method"] = json.RawMessage(`"PUT"`)
		}, "channel.hook", "config.method"},
		{"channel attribute of the wrong type", func(d *fixture.Doc) {
			object(d, "channel.hook").Channel.Config["headers"] = json.RawMessage(`"x"`)
		}, "channel.hook", "config.headers"},
		{"required channel attribute missing", func(d *fixture.Doc) {
			delete(object(d, "channel.hook").Channel.Config, "url")
		}, "channel.hook", `"url"`},
		{"channel the provider refuses", func(d *fixture.Doc) {
			object(d, "channel.hook").Channel.Config["url"] = json.RawMessage(`"ftp://example.com"`)
		}, "channel.hook", "waymark/webhook"},
		{"KPI quantile out of range", func(d *fixture.Doc) {
			q := 5.0
			d.KPI(deploy.KPI{Journey: "cart_recovery", Name: "slow", Window: "7d",
				Metric: deploy.Metric{Function: "time_to_goal", Quantile: &q, Source: "time_to_goal(5)"}})
		}, "journey.cart_recovery.kpi.slow", "quantile"},
		{"KPI of an undeclared stage", func(d *fixture.Doc) {
			q := 0.9
			d.KPI(deploy.KPI{Journey: "cart_recovery", Name: "slow", Window: "7d",
				Metric: deploy.Metric{Function: "time_in_stage", Stage: "nowhere", Quantile: &q, Source: "time_in_stage(stage.nowhere, 0.9)"}})
		}, "journey.cart_recovery.kpi.slow", `"nowhere"`},
		{"KPI of an attribute that is not a number", func(d *fixture.Doc) {
			d.Event("rated", nil, "score", "string")
			d.KPI(deploy.KPI{Journey: "cart_recovery", Name: "score", Window: "7d",
				Metric: deploy.Metric{Function: "average", Event: "rated", Attribute: "score", Source: "average(event.rated.score)"}})
		}, "journey.cart_recovery.kpi.score", "number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Deploy(ctx(t), "growth", 0, webhookStack(tc.mod))
			var ce *client.Error
			if !errorsAs(err, &ce) || ce.Status != 422 {
				t.Fatalf("deploy: %v, want 422", err)
			}
			probs := client.Problems(err)
			found := false
			for _, pr := range probs {
				if pr.Address == tc.address && strings.Contains(pr.Message, tc.want) {
					found = true
				}
				if strings.Contains(pr.Message, "@example.com") {
					t.Errorf("a problem quotes a value: %q", pr.Message)
				}
			}
			if !found {
				t.Errorf("no problem at %s naming %s: %+v", tc.address, tc.want, probs)
			}
		})
	}
	// The same stack without the mistakes deploys.
	if _, err := c.Deploy(ctx(t), "growth", 0, webhookStack(nil)); err != nil {
		t.Fatalf("the valid stack: %v", err)
	}
}
