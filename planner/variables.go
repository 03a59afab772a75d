package planner

import (
	"fmt"
	"sort"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/rtexpr"
	"github.com/waymarkhq/waymark/planner/plans"
)

// Variables returns the input values of a loaded configuration as a plan
// records them: a variable is sensitive when it is declared so or its
// value carries the sensitive mark.
func Variables(cfg *lang.Config) (map[string]plans.Variable, error) {
	names := make([]string, 0, len(cfg.VariableValues))
	for n := range cfg.VariableValues {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]plans.Variable, len(names))
	for _, n := range names {
		v := cfg.VariableValues[n]
		sensitive := v.HasMarkDeep(rtexpr.SensitiveMark)
		if decl := cfg.Variables[n]; decl != nil && decl.Sensitive {
			sensitive = true
		}
		plain, _ := v.UnmarkDeep()
		if !plain.IsWhollyKnown() {
			return nil, fmt.Errorf("variable %q has no known value", n)
		}
		b, err := ctyjson.Marshal(plain, plain.Type())
		if err != nil {
			// The message names the variable, never its value.
			return nil, fmt.Errorf("encoding variable %q: %w", n, err)
		}
		out[n] = plans.Variable{Value: b, Sensitive: sensitive}
	}
	return out, nil
}
