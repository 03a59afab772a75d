package lang_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
)

// withModel copies the spec example with a model block in the action
// vip_discount_banner.
func withModel(t *testing.T, block string) string {
	return specExampleWith(t, func(s string) string {
		return strings.Replace(s, "    lever    = 1.5\n", "    lever    = 1.5\n    model {\n"+block+"\n    }\n", 1)
	})
}

// specExampleWith copies the spec example to a temporary directory with
// its main.wm.hcl changed by edit, and returns the directory.
func specExampleWith(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/spec-example")); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "main.wm.hcl")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestModelBlock(t *testing.T) {
	for _, tt := range []struct {
		name, block string
		want        *deploy.Model
		summary     string
	}{
		{"half-life in time", `half_life = "30d"`, &deploy.Model{HalfLife: "30d"}, ""},
		{"half-life in responses and predictors", "half_life_responses = 5000\npredictors = [\"customer.tier\", \"stage.growth/cart_recovery\"]",
			&deploy.Model{HalfLifeResponses: 5000, Predictors: []string{"customer.tier", "stage.growth/cart_recovery"}}, ""},
		{"no predictors", `predictors = []`, &deploy.Model{NoPredictors: true}, ""},
		{"both half-lives", "half_life = \"30d\"\nhalf_life_responses = 5000", nil, "Two half-lives"},
		{"half-life too short", `half_life = "5m"`, nil, "Half-life too short"},
		{"too few responses", `half_life_responses = 10`, nil, "half_life_responses"},
		{"not a duration", `half_life = "soon"`, nil, "Invalid duration"},
		{"unknown predictor kind", `predictors = ["tier"]`, nil, "Invalid predictor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := lang.Load(context.Background(), withModel(t, tt.block), options())
			if tt.summary != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.summary) {
					t.Fatalf("diagnostics %q, want %q", diags.Error(), tt.summary)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			got := cfg.Document.Object("journey.cart_recovery.action.vip_discount_banner").Action.Model
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("model %+v, want %+v", got, tt.want)
			}
		})
	}
}
