package deploy

import (
	"strconv"
	"strings"
	"testing"
)

// The registry is consistent: unique names, parameters of known kinds, a
// usage and a signature that name the function with as many arguments.
func TestKPIFuncs(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range KPIFuncs() {
		key := f.Name + "/" + strconv.Itoa(len(f.Params))
		if seen[key] {
			t.Errorf("%s registered twice with %d arguments", f.Name, len(f.Params))
		}
		seen[key] = true
		if g, ok := LookupKPICall(f.Name, len(f.Params)); !ok || g.Signature != f.Signature {
			t.Errorf("lookup %s with %d arguments: %+v %v", f.Name, len(f.Params), g, ok)
		}
		if strings.Trim(f.Params, "seaqc") != "" {
			t.Errorf("%s has parameters %q", f.Name, f.Params)
		}
		for _, s := range []string{f.Usage, f.Signature} {
			args := strings.TrimSuffix(strings.TrimPrefix(s, f.Name+"("), ")")
			n := 0
			if args != "" {
				n = strings.Count(args, ",") + 1
			}
			if !strings.HasPrefix(s, f.Name+"(") || n != len(f.Params) {
				t.Errorf("%s: %q does not call it with %d arguments", f.Name, s, len(f.Params))
			}
		}
		if g, ok := LookupKPIFunc(f.Name); !ok || g.Name != f.Name {
			t.Errorf("lookup %s: %+v %v", f.Name, g, ok)
		}
	}
	if _, ok := LookupKPIFunc("count"); ok {
		t.Error("count is not a KPI function")
	}
	if len(KPIOverloads(KPIConversion)) != 2 {
		t.Errorf("conversion overloads %+v", KPIOverloads(KPIConversion))
	}
	if _, ok := LookupKPICall(KPIDropoff, 0); ok {
		t.Error("dropoff takes one argument")
	}
	if got := KPISignatures("`"); !strings.HasPrefix(got, "`conversion()`, `conversion(action.<name>)`, `dropoff(stage.<name>)`") {
		t.Errorf("signatures %s", got)
	}
}
