package catalog_test

import (
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

func TestBuildGrowth(t *testing.T) {
	c, ps := catalog.Build(map[string]catalog.Deployed{"growth": {Serial: 3, Doc: fixture.Growth()}}, "growth")
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	st := c.Stacks[0]
	j := st.Journey("cart_recovery")
	if st.Serial != 3 || j == nil || j.Within.Hours() != 14*24 || j.ReentryAfter.Hours() != 30*24 || len(j.Stages) != 2 {
		t.Fatalf("journey %+v", j)
	}
	if s := j.Stages[1]; s.Name != "checkout" || s.Timeout.Hours() != 2 || s.TimeoutTo != -1 || s.Entry.Event != "checkout_started" {
		t.Fatalf("stage %+v", s)
	}
	if typ, ok := c.Schema.Lookup("Order Completed"); !ok || typ.Name != "order_placed" {
		t.Fatalf("alias lookup: %v %v", typ, ok)
	}
	if c.Schema.Customer["tier"].Default.Str != "standard" {
		t.Fatalf("tier default: %+v", c.Schema.Customer["tier"])
	}
}

func TestBuildProblems(t *testing.T) {
	tests := []struct {
		name   string
		stacks map[string]*deploy.Document
		want   []string // substrings of the problems, in order
	}{
		{
			name: "attribute declared differently by two stacks",
			stacks: map[string]*deploy.Document{
				"growth":  fixture.Growth(),
				"billing": fixture.New("billing").Customer("tier", "number", nil, false).Done(),
			},
			want: []string{`customer.attribute.tier: stack "billing" declares customer.attribute.tier differently from stack "growth"`},
		},
		{
			name: "holdout outside 0 to 1",
			stacks: map[string]*deploy.Document{
				"growth": fixture.New("growth").Shared().Arbitration(deploy.Arbitration{Holdout: 5, MaxActions: 3, MaxOutbound: 1}).Done(),
			},
			want: []string{`arbitration: holdout must be a share between 0 and 1`},
		},
		{
			name: "identical shared declarations are fine",
			stacks: map[string]*deploy.Document{
				"growth":  fixture.Growth(),
				"billing": fixture.New("billing").Shared().Done(),
			},
		},
		{
			name: "references and durations",
			stacks: map[string]*deploy.Document{"growth": fixture.New("growth").Shared().CartRecovery(func(j *deploy.Journey) {
				j.Entry.Event = "cart_changed"
				j.Goal.Within = "2 weeks"
				j.Stages = append(j.Stages, "ghost")
				j.State = "sleeping"
			}).Done()},
			want: []string{
				`journey.cart_recovery: state "sleeping" is not one of active, paused, draining`,
				`journey.cart_recovery: entry.event names event type "cart_changed", which this deployment does not declare`,
				`journey.cart_recovery: goal.within: invalid duration "2 weeks"`,
				`journey.cart_recovery: stage "ghost" is listed but not deployed`,
			},
		},
		{
			name: "alias clash and timeout_to backwards",
			stacks: map[string]*deploy.Document{"growth": fixture.New("growth").Shared().Event("purchase", []string{"Order Completed"}).
				CartRecovery(nil).Stage(deploy.Stage{Journey: "cart_recovery", Name: "browsing", Index: 0, Timeout: "1h", TimeoutTo: "browsing"}).Done()},
			want: []string{
				`journey.cart_recovery.stage.browsing: the deployment has two objects at this address`,
				`event.purchase: the alias "Order Completed" is also an alias of event type "order_placed"`,
			},
		},
		{
			name: "unparseable expression",
			stacks: map[string]*deploy.Document{"growth": fixture.New("growth").Shared().CartRecovery(func(j *deploy.Journey) {
				j.Entry.Condition = "event.cart_value >"
			}).Done()},
			want: []string{`journey.cart_recovery: entry.condition:`},
		},
		{
			name: "conversion of an action the journey lacks, of one that never sends, and an action on another metric",
			stacks: map[string]*deploy.Document{"growth": fixture.New("growth").Shared().CartRecovery(nil).Web().
				Channel(deploy.Channel{Name: "mail", Provider: "smtp", Delivers: true}).
				Action(deploy.Action{Journey: "cart_recovery", Name: "banner", Channel: "web", Stages: []string{"browsing"}}).
				Action(deploy.Action{Journey: "cart_recovery", Name: "reminder", Channel: "mail", Stages: []string{"browsing"}}).
				KPI(deploy.KPI{Journey: "cart_recovery", Name: "a", Window: "7d", Metric: deploy.Metric{Function: "conversion", Action: "nope"}}).
				KPI(deploy.KPI{Journey: "cart_recovery", Name: "b", Window: "7d", Metric: deploy.Metric{Function: "conversion", Action: "banner"}}).
				KPI(deploy.KPI{Journey: "cart_recovery", Name: "c", Window: "7d", Metric: deploy.Metric{Function: "conversion", Action: "reminder"}}).
				KPI(deploy.KPI{Journey: "cart_recovery", Name: "d", Window: "7d", Metric: deploy.Metric{Function: "dropoff", Stage: "browsing", Action: "reminder"}}).
				Done()},
			want: []string{
				`journey.cart_recovery.kpi.a: metric conversion names action "nope", which journey "cart_recovery" does not have`,
				`journey.cart_recovery.kpi.b: metric conversion names action "banner", whose channels never send`,
				`journey.cart_recovery.kpi.d: metric dropoff takes no action`,
			},
		},
		{
			name:   "stack name mismatch",
			stacks: map[string]*deploy.Document{"growth": fixture.New("other").Done()},
			want:   []string{`the document is for stack "other", not "growth"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]catalog.Deployed{}
			for n, d := range tt.stacks {
				in[n] = catalog.Deployed{Serial: 1, Doc: d}
			}
			focus := "growth"
			if _, ok := tt.stacks["billing"]; ok {
				focus = "billing"
			}
			_, ps := catalog.Build(in, focus)
			if len(ps) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(ps), len(tt.want), strings.ReplaceAll(ps.Error(), "; ", "\n"))
			}
			for i, w := range tt.want {
				got := ps[i].Address + ": " + ps[i].Message
				if ps[i].Address == "" {
					got = ps[i].Message
				}
				if !strings.Contains(got, w) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got, w)
				}
			}
		})
	}
}
