package catalog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// TestTreatmentProblems: a deployment is validated again at the runtime,
// each treatment's message against its own channel provider's schema.
func TestTreatmentProblems(t *testing.T) {
	hook := deploy.Channel{Name: "ops", Provider: "webhook", Delivers: true, Config: map[string]json.RawMessage{"url": json.RawMessage(`"http://127.0.0.1:1/"`)}}
	good := func() deploy.Action {
		return deploy.Action{Journey: "cart_recovery", Name: "nudge", Stages: []string{"checkout"}, Treatments: []deploy.Treatment{
			{Name: "ops", Channel: "ops", Message: map[string]string{"text": "Hello ${customer.first_name}"}},
			{Name: "web", Channel: "web", Value: "2"},
		}}
	}
	tests := []struct {
		name string
		mod  func(*deploy.Action)
		want []string
	}{
		{name: "valid", mod: func(*deploy.Action) {}},
		{name: "channel beside treatments", mod: func(a *deploy.Action) { a.Channel = "web" },
			want: []string{`channel "web" beside treatments`}},
		{name: "duplicate and undeclared", mod: func(a *deploy.Action) { a.Treatments[1].Name = "ops"; a.Treatments[1].Channel = "fax" },
			want: []string{`treatment "ops" is declared twice`, `treatment "ops": channel "fax" is not declared`}},
		{name: "message fields of the treatment's provider", mod: func(a *deploy.Action) {
			a.Treatments[0].Message = map[string]string{"subject": "Hi"}
			a.Treatments[1].Message = map[string]string{"text": "Hi"}
		}, want: []string{`treatment "ops": message.subject: messages of provider waymark/webhook take no attribute "subject"`,
			`treatment "web": message on channel "web", which is answered through the decide API`}},
		{name: "a value that is not a number", mod: func(a *deploy.Action) { a.Treatments[1].Value = `"high"` },
			want: []string{`treatments.1.value`}},
		{name: "a trigger with no treatment that sends", mod: func(a *deploy.Action) {
			a.Treatments = a.Treatments[1:]
			a.Trigger = &deploy.Trigger{After: "1h"}
		}, want: []string{`trigger, but no treatment is on a channel that sends`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good()
			tt.mod(&a)
			doc := fixture.New("growth").Shared().Customer("first_name", "string", "", false).CartRecovery(nil).Web().Channel(hook).Action(a).Done()
			_, ps := catalog.BuildWith(map[string]catalog.Deployed{"growth": {Serial: 1, Doc: doc}}, "growth", builtin.Schemas(""))
			if len(ps) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(ps), len(tt.want), strings.ReplaceAll(ps.Error(), "; ", "\n"))
			}
			for i, w := range tt.want {
				if got := ps[i].Address + ": " + ps[i].Message; !strings.Contains(got, w) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got, w)
				}
			}
		})
	}
}
