package analytics_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

func TestFromCatalog(t *testing.T) {
	d := fixture.New("growth").Shared().CartRecovery(nil)
	q := 0.9
	d.Objects = append(d.Objects, deploy.Object{Address: "journey.cart_recovery.kpi.checkout_time", Kind: deploy.KindKPI,
		KPI: &deploy.KPI{Journey: "cart_recovery", Name: "checkout_time", Window: "7d",
			Metric: deploy.Metric{Function: "time_in_stage", Stage: "checkout", Quantile: &q, Source: "time_in_stage(stage.checkout, 0.9)"},
			Target: &deploy.Target{Below: f(7200), MinSamples: 30}, Alert: &deploy.Alert{Channel: "ops"}}})
	cat, ps := catalog.Build(map[string]catalog.Deployed{"growth": {Serial: 1, Doc: d.Done()}}, "growth")
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	js, err := analytics.FromCatalog(cat)
	if err != nil {
		t.Fatal(err)
	}
	want := []analytics.Journey{{Stack: "growth", Name: "cart_recovery", Stages: []string{"browsing", "checkout"}, HasGoal: true,
		Within: 14 * 24 * time.Hour, KPIs: []analytics.KPI{{Name: "checkout_time", Function: "time_in_stage", Stage: "checkout",
			Quantile: 0.9, Source: "time_in_stage(stage.checkout, 0.9)", Window: 7 * 24 * time.Hour,
			Target: &analytics.Target{Below: f(7200), MinSamples: 30}, AlertChannel: "ops"}}}}
	if !reflect.DeepEqual(js, want) {
		t.Errorf("got %+v\nwant %+v", js, want)
	}
}
