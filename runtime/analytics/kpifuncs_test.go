package analytics_test

import (
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
)

// Every KPI function the registry declares is computed, in its unit: a
// function added to lang/deploy's registry alone fails here.
func TestComputesEveryRegisteredKPIFunction(t *testing.T) {
	fs := deploy.KPIFuncs()
	if len(fs) == 0 {
		t.Fatal("no KPI function is registered")
	}
	for _, f := range fs {
		if !analytics.Computes(f.Name) {
			t.Errorf("analytics does not compute %s, which lang/deploy registers", f.Name)
		}
		switch f.Unit {
		case "share", "seconds", "nps", "number":
		default:
			t.Errorf("%s has unit %q", f.Name, f.Unit)
		}
	}
	if analytics.Computes("median_mood") {
		t.Error("an unregistered function is computed")
	}
}
