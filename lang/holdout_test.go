package lang_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang"
)

// withArbitrationLine copies the spec example with one more line in its
// arbitration block.
func withArbitrationLine(t *testing.T, line string) string {
	const anchor = "  control_group = 0.05"
	return specExampleWith(t, func(s string) string {
		if !strings.Contains(s, anchor) {
			t.Fatalf("spec example lost its %q line", anchor)
		}
		return strings.Replace(s, anchor, line+"\n"+anchor, 1)
	})
}

func TestArbitrationHoldout(t *testing.T) {
	for _, tt := range []struct {
		name, line string
		want       float64
		summary    string
	}{
		{"default", "", 0, ""},
		{"five percent", "  holdout = 0.05", 0.05, ""},
		{"everyone", "  holdout = 1", 1, ""},
		{"negative", "  holdout = -0.1", 0, "Invalid holdout"},
		{"a percentage, not a share", "  holdout = 5", 0, "Invalid holdout"},
		{"not a number", `  holdout = "five"`, 0, "holdout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := lang.Load(context.Background(), withArbitrationLine(t, tt.line), options())
			if tt.summary != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.summary) {
					t.Fatalf("diagnostics %q, want %q", diags.Error(), tt.summary)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if got := cfg.Document.Object("arbitration").Arbitration.Holdout; got != tt.want {
				t.Fatalf("holdout %g, want %g", got, tt.want)
			}
		})
	}
}
