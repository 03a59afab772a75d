package catalog_test

import (
	"encoding/json"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// FuzzDeployment decodes a deployment as the runtime's API does and checks
// it as a deploy does (the catalog with the built-in providers' schemas,
// then the engine's compilation): any input is refused with problems or
// accepted, never a panic.
func FuzzDeployment(f *testing.F) {
	growth, _ := json.Marshal(fixture.Growth())
	f.Add(growth)
	hook := fixture.New("growth").Shared().CartRecovery(nil).
		Channel(deploy.Channel{Name: "hook", Provider: "webhook", Delivers: true, Config: map[string]json.RawMessage{"url": json.RawMessage(`"http://x/"`)}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "remind", Channel: "hook", Stages: []string{"browsing"}, Trigger: &deploy.Trigger{After: "1h"},
			Message: map[string]string{"text": "hi ${customer.tier}"}})
	q := 0.9
	hook.KPI(deploy.KPI{Journey: "cart_recovery", Name: "t", Window: "7d", Metric: deploy.Metric{Function: "time_to_goal", Quantile: &q, Source: "time_to_goal(0.9)"}})
	b, _ := json.Marshal(hook.Done())
	f.Add(b)
	for _, s := range []string{`{"format_version":1,"stack":"growth","objects":[]}`, `{"format_version":1}`, `{}`, `[`, `{"format_version":1,"stack":"s","objects":[{"address":"segment.x","kind":"segment","segment":{"name":"x","condition":"((("}}]}`} {
		f.Add([]byte(s))
	}
	schemas := builtin.Schemas("")
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := deploy.Decode(b)
		if err != nil {
			return
		}
		cat, ps := catalog.BuildWith(map[string]catalog.Deployed{doc.Stack: {Serial: 1, Doc: doc}}, doc.Stack, schemas)
		for _, p := range ps {
			if p.Message == "" {
				t.Fatalf("a problem without a message at %q", p.Address)
			}
		}
		if len(ps) == 0 {
			engine.Compile(cat)
		}
	})
}
