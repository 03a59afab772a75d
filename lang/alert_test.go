package lang_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
)

// withAlert copies the spec example with the alert of its checkout
// dropoff KPI replaced by block, and extra added to the journey.
func withAlert(t *testing.T, block, extra string) string {
	return specExampleWith(t, func(s string) string {
		s = strings.Replace(s, "    alert { channel = channel.ops }\n", "    alert {\n"+block+"\n    }\n", 1)
		return strings.Replace(s, "  kpi \"conversion\" {\n", extra+"\n  kpi \"conversion\" {\n", 1)
	})
}

func TestAlertBlock(t *testing.T) {
	const rescue = `  action "rescue" {
    channel = channel.email
    stages  = [stage.checkout]
    message {
      subject = "Need a hand?"
      body    = "<p>Your cart is saved.</p>"
    }
  }`
	for _, tt := range []struct {
		name, block, extra string
		want               *deploy.Alert
		summary            string
	}{
		{"channel", `channel = channel.ops`, "", &deploy.Alert{Channel: "ops"}, ""},
		{"every setting", "channel = channel.ops\naction = action.rescue\ncooldown = \"6h\"\nhysteresis = 0.02", rescue,
			&deploy.Alert{Channel: "ops", Action: "rescue", Cooldown: "6h", Hysteresis: 0.02}, ""},
		{"action only", `action = action.vip_discount_banner`, "",
			&deploy.Alert{Action: "vip_discount_banner"}, ""},
		{"zero cooldown", "channel = channel.ops\ncooldown = \"0s\"", "", &deploy.Alert{Channel: "ops"}, ""},
		{"neither channel nor action", `cooldown = "1h"`, "", nil, "Alert without channel or action"},
		{"undeclared action", `action = action.nope`, "", nil, "has no action \"nope\""},
		{"action of more stages than the KPI's", `action = action.reminder_email`, "", &deploy.Alert{Action: "reminder_email"}, ""},
		{"action of no stage the KPI measures", "channel = channel.ops\naction = action.browse_only",
			`  action "browse_only" {
    channel = channel.web
    stages  = [stage.browsing]
  }`, nil, "Alert action outside the KPI's stage"},
		{"negative hysteresis", "channel = channel.ops\nhysteresis = -0.1", "", nil, "Invalid hysteresis"},
		{"bad cooldown", "channel = channel.ops\ncooldown = \"soon\"", "", nil, "Invalid duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := lang.Load(context.Background(), withAlert(t, tt.block, tt.extra), options())
			if tt.summary != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.summary) {
					t.Fatalf("diagnostics %q, want %q", diags.Error(), tt.summary)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if tt.want == nil {
				return
			}
			got := cfg.Document.Object("journey.cart_recovery.kpi.checkout_dropoff").KPI.Alert
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("alert %+v, want %+v", got, tt.want)
			}
		})
	}
}
