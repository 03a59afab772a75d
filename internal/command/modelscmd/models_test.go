package modelscmd

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func f(x float64) *float64 { return &x }

func dec(n int, p, o float64) apiv1.ModelDecile {
	return apiv1.ModelDecile{N: n, Predicted: p, Observed: o}
}

func bin(label string, n, r float64) apiv1.ModelBin {
	return apiv1.ModelBin{Label: label, Count: n, PositiveRate: r}
}

func model() apiv1.Model {
	return apiv1.Model{Key: "growth/journey.cart_recovery.action.vip_discount_banner@web", Kind: "bayes", Evidence: 4200, Positives: 1302,
		Mean: 0.31, Control: 800, ControlPositives: 200, Lift: f(0.27), LiftLow: f(0.12), LiftHigh: f(0.44),
		Window: 2000, AUC: f(0.712), ECE: f(0.014), HalfLife: "30d",
		Calibration: []apiv1.ModelDecile{dec(200, 0.08, 0.07), dec(200, 0.14, 0.15), dec(200, 0.2, 0.19), dec(200, 0.25, 0.27), dec(200, 0.3, 0.29),
			dec(200, 0.35, 0.36), dec(200, 0.41, 0.4), dec(200, 0.47, 0.49), dec(200, 0.55, 0.53), dec(200, 0.66, 0.68)},
		Predictors: []apiv1.ModelPredictor{
			{Name: "customer.plan", AUC: 0.64, Active: true, Bins: []apiv1.ModelBin{bin("missing", 410, 0.3), bin("free", 1300, 0.2), bin("pro", 1250, 0.33), bin("team", 1240, 0.41), bin("other", 0, 0)}},
			{Name: "stage.growth/cart_recovery", AUC: 0.58, Active: true, Bins: []apiv1.ModelBin{bin("missing", 0, 0), bin("browsing", 2100, 0.26), bin("checkout", 2100, 0.36), bin("other", 0, 0)}},
			{Name: "customer.colour", AUC: 0.505, Bins: []apiv1.ModelBin{bin("missing", 0, 0), bin("red", 2100, 0.31), bin("blue", 2100, 0.31), bin("other", 0, 0)}},
		}}
}

func TestRender(t *testing.T) {
	for _, tt := range []struct {
		name   string
		render func(*cmdutil.Streams)
	}{
		{"list.golden", func(s *cmdutil.Streams) {
			RenderList(s, []apiv1.Model{model(), {Key: "growth/journey.cart_recovery.action.tip@web", Kind: "beta", Evidence: 3, Exploring: true}})
		}},
		{"none.golden", func(s *cmdutil.Streams) { RenderList(s, nil) }},
		{"one.golden", func(s *cmdutil.Streams) { RenderModel(s, model()) }},
	} {
		s, out, _ := cmdutil.Test()
		tt.render(s)
		path := filepath.Join("testdata", tt.name)
		if *update {
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, out, want)
		}
	}
}
