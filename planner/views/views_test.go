package views_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
)

var update = flag.Bool("update", false, "rewrite golden files")

const scenarios = "testdata/plans"

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

type scenario struct {
	*plannertest.Scenario
	plan *plans.Plan
}

// loadScenarios plans every scenario of testdata/plans.
func loadScenarios(t *testing.T) []scenario {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(scenarios, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	base := plannertest.ReadBase(t, scenarios)
	var out []scenario
	for _, p := range paths {
		s := plannertest.ReadScenario(t, p, base)
		out = append(out, scenario{Scenario: s, plan: s.Plan(t, scenarios)})
	}
	return out
}

// assertNoSecrets fails when output shows any of the scenario's secrets.
func assertNoSecrets(t *testing.T, s scenario, what string, out []byte) {
	t.Helper()
	for _, secret := range s.Secrets {
		if strings.Contains(string(out), secret) {
			t.Errorf("%s of %s shows the sensitive value %q", what, s.Name, secret)
		}
	}
}
