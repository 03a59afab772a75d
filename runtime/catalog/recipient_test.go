package catalog_test

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// TestSensitiveOnlyInRecipients: with the provider's schema, a sensitive
// customer attribute may be sent only in a recipient attribute; a message
// template never carries one, schema or not.
func TestSensitiveOnlyInRecipients(t *testing.T) {
	sch := &provschema.Schema{Provider: "example/sms", Delivers: true,
		Channel: []provschema.Attribute{
			{Name: "to", Type: cty.String, PerDelivery: true, Recipient: true},
			{Name: "tag", Type: cty.String, PerDelivery: true},
		},
		Message: []provschema.Attribute{{Name: "text", Type: cty.String}},
	}
	schemas := map[string]*provschema.Schema{"example/sms": sch}
	for _, tc := range []struct {
		name    string
		tag     string
		text    string
		schemas map[string]*provschema.Schema
		want    string
	}{
		{"recipient only", `"x"`, "hello", schemas, ""},
		{"sensitive in a per-delivery attribute", "customer.email", "hello", schemas, "tag:"},
		{"sensitive in a message", `"x"`, "hi ${customer.email}", schemas, "message.text:"},
		{"sensitive in a message without the schema", `"x"`, "hi ${customer.email}", nil, "message.text:"},
		{"non-sensitive in a message", `"x"`, "hi ${customer.tier}", schemas, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := fixture.New("growth").Shared().CartRecovery(nil).
				Channel(deploy.Channel{Name: "sms", Provider: "sms", Source: "example/sms", Delivers: true,
					PerDelivery: map[string]string{"to": "customer.email", "tag": tc.tag}}).
				Action(deploy.Action{Journey: "cart_recovery", Name: "nudge", Channel: "sms", Stages: []string{"browsing"},
					Trigger: &deploy.Trigger{}, Message: map[string]string{"text": tc.text}}).Done()
			_, ps := catalog.BuildWith(map[string]catalog.Deployed{"growth": {Serial: 1, Doc: doc}}, "growth", tc.schemas)
			if tc.want == "" {
				if len(ps) > 0 {
					t.Fatal(ps)
				}
				return
			}
			if len(ps) != 1 || !strings.HasPrefix(ps[0].Message, tc.want) || !strings.Contains(ps[0].Message, "ensitive") {
				t.Fatalf("problems %v, want one starting %q about a sensitive value", ps, tc.want)
			}
		})
	}
}
