package lang_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang"
)

// withArbitrationLine copies the spec example with one more line in its
// arbitration block.
func withArbitrationLine(t *testing.T, line string) string {
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
	const anchor = "  control_group = 0.05"
	if !strings.Contains(string(b), anchor) {
		t.Fatalf("spec example lost its %q line", anchor)
	}
	s := strings.Replace(string(b), anchor, line+"\n"+anchor, 1)
	if err := os.WriteFile(main, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
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
