package customercmd

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRender(t *testing.T) {
	at := func(h int) *time.Time { x := time.Date(2026, 11, 23, h, 0, 0, 0, time.UTC); return &x }
	cu := &apiv1.Customer{
		ID:        "c-42",
		Profile:   map[string]any{"email": map[string]any{"sensitive": true, "digest": "ab12"}, "tier": "gold", "email_opt_in": false, "timezone": nil},
		LastEvent: at(12),
		OptOuts:   []apiv1.OptOut{{Channel: "email", Since: *at(11), Source: "unsubscribed"}, {Channel: "sms", Since: *at(12), Source: "trait"}},
		Journeys: []apiv1.JourneyState{
			{Stack: "growth", Journey: "cart_recovery", State: "active", Stage: "checkout", Run: 2, Entered: *at(10), StageEntered: at(11),
				Timers: []apiv1.Timer{{Kind: "within", Due: at(10).Add(14 * 24 * time.Hour)}, {Kind: "timeout", Due: *at(13)}}},
			{Stack: "growth", Journey: "upsell", State: "timed_out", Run: 1, Entered: *at(9), Left: at(12)},
		},
		Timeline: []apiv1.Transition{
			{Time: *at(9), Stack: "growth", Journey: "upsell", Run: 1, To: "one", Reason: "entered"},
			{Time: *at(10), Stack: "growth", Journey: "cart_recovery", Run: 2, To: "browsing", Reason: "entered"},
			{Time: *at(11), Stack: "growth", Journey: "cart_recovery", Run: 2, From: "browsing", To: "checkout", Reason: "moved", Late: true},
			{Time: *at(12), Stack: "growth", Journey: "upsell", Run: 1, From: "one", Reason: "timed_out"},
		},
		Decisions: []apiv1.DecisionSummary{
			{DecisionID: "0189e2a4c1d3f000a1b2c3d4e5f60718", Time: *at(12), Channel: "web",
				Actions: []string{"growth/journey.cart_recovery.action.vip_discount_banner"}, Dropped: map[string]int{"not_in_stage": 2, "limit": 1}},
			{DecisionID: "0189e2a4c1d3e000a1b2c3d4e5f60719", Time: *at(11), Channel: "email", Trigger: true, Actions: []string{}, Dropped: map[string]int{"quiet_hours": 1}},
		},
	}
	s, out, _ := cmdutil.Test()
	Render(s, cu)
	golden := filepath.Join("testdata", "show.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}
