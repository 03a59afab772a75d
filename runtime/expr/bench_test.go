package expr

import "testing"

// The expressions of the quality target (quality.md), also measured side
// by side with expr-lang/expr and cel-go in the bench module.
const (
	benchTwoClause  = `customer.tier == "gold" && event.cart_value > 20`
	benchFourClause = `customer.tier == "gold" && event.cart_value > 20 && customer.email_opt_in && customer.country != "US"`
)

func BenchmarkEval(b *testing.B) {
	env := testEnv()
	a := testActivation(env)
	for _, bm := range []struct{ name, src string }{
		{"two_clause", benchTwoClause},
		{"four_clause", benchFourClause},
		{"segment_or_stage", `segment.vip || journey.onboarding.stage == "welcome"`},
		{"context", `context.page == "checkout"`},
		{"slow_path_for", `length([for t in customer.tags : t if t != "x"]) > 1`},
	} {
		p, err := Compile(bm.src, env)
		if err != nil {
			b.Fatal(err)
		}
		if r, null := p.EvalBool(a); !r || null {
			b.Fatalf("%s: EvalBool = %v, %v; the benchmark wants a true condition", bm.src, r, null)
		}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.EvalBool(a)
			}
		})
	}
	p, err := Compile(`propensity * value * lever`, env)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("priority", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.EvalNumber(a)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	env := testEnv()
	a := testActivation(env)
	t, err := CompileTemplate(`Hi ${customer.first_name}, you left ${event.cart_value} EUR in your cart`, env)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Render(a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchFourClause, env); err != nil {
			b.Fatal(err)
		}
	}
}
