package rtexpr

import (
	"fmt"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// bigConfig is a configuration of realistic size: 100 variables, 100
// locals and 100 functions.
func bigConfig() *Config {
	cfg := testConfig()
	vars := cfg.Eval.Variables["var"].AsValueMap()
	locals := cfg.Eval.Variables["local"].AsValueMap()
	for i := 0; i < 100; i++ {
		vars[fmt.Sprintf("v%d", i)] = cty.NumberIntVal(int64(i))
		locals[fmt.Sprintf("l%d", i)] = cty.StringVal("x")
		cfg.Eval.Functions[fmt.Sprintf("f%d", i)] = function.New(&function.Spec{Type: function.StaticReturnType(cty.String)})
	}
	cfg.Eval.Variables["var"] = cty.ObjectVal(vars)
	cfg.Eval.Variables["local"] = cty.ObjectVal(locals)
	return cfg
}

// BenchmarkExpression measures the analysis of one runtime expression as
// the loader runs it for each attribute: a plan of 10,000 actions runs it
// some 40,000 times.
func BenchmarkExpression(b *testing.B) {
	for _, src := range []string{
		`customer.tier == "gold" && event.cart_value > var.threshold`,
		`segment.vip && customer.email_opt_in && customer.age >= 18 && contains(var.tiers, customer.tier)`,
	} {
		b.Run(src[:20], func(b *testing.B) {
			e, diags := parse(src)
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			scope, cfg := testScope(), bigConfig()
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := Expression(e, scope, cfg, cty.Bool); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkCheckSource measures the runtime's re-validation of deployed text.
func BenchmarkCheckSource(b *testing.B) {
	scope := testScope()
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := CheckSource(`segment.vip && customer.email_opt_in && customer.age >= 18 && contains(["gold", "platinum"], customer.tier)`, "d", scope, cty.Bool); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
