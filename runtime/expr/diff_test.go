package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// diffExprs are compiled and evaluated over many random activations; the
// fast path (or the package's own slow path) must give what cty gives.
var diffExprs = []string{
	// conditions journeys use
	`customer.tier == "gold"`,
	`customer.tier != "gold"`,
	`customer.tier == "gold" && event.cart_value > 20`,
	`customer.tier == "gold" && event.cart_value > 20 && customer.email_opt_in && customer.country != "US"`,
	`customer.tier == "gold" || event.cart_value > 20`,
	`customer.tier == "gold" || event.cart_value > 20 || segment.vip || customer.email_opt_in`,
	`customer.email != null`,
	`customer.email == null`,
	`null == customer.email`,
	`segment.vip`,
	`!segment.vip`,
	`segment.vip && segment.churn_risk`,
	`segment.vip || segment.churn_risk`,
	`journey.onboarding.stage == "welcome"`,
	`journey.cart_recovery.stage != null`,
	`journey.onboarding.stage`,
	`propensity * value * lever`,
	`propensity * value * lever > 0.5`,
	`lower(customer.country) == "de"`,
	`upper(customer.country)`,
	`context.page == "checkout"`,
	`context.page`,
	`context.page == null`,
	`context.page != null`,
	`context.n > 3`,
	`context.n + 1`,
	`context.n == 5`,
	`context.n == "5"`,
	`context.flag && true`,
	`context.flag || false`,
	`!context.flag`,
	`context.tags`,
	`contains(context.tags, "a")`,
	`length(context.tags)`,
	`customer.id == "c-1"`,
	`customer["tier"] == "gold"`,
	`context["page"] == "checkout"`,
	// numbers
	`customer.age > 18`,
	`customer.age >= 18.5`,
	`customer.age < 20.1`,
	`customer.age <= 20.1`,
	`customer.age > 20.1`,
	`customer.age >= 0.1`,
	`20 < customer.age`,
	`-1 >= customer.age`,
	`customer.age == 20`,
	`customer.age == 20.5`,
	`customer.age == 0.1`,
	`customer.age != 18.5`,
	`customer.age + event.cart_value`,
	`customer.age + 1 > 20`,
	`customer.age - 1`,
	`customer.age * 2`,
	`customer.age / 2`,
	`customer.age / 0`,
	`customer.age / event.cart_value`,
	`customer.age % 3`,
	`customer.age % event.cart_value`,
	`customer.age % 0`,
	`-customer.age`,
	`customer.age > 18 && customer.age < 65`,
	`!(customer.age > 18)`,
	`customer.age != null && customer.age > 3`,
	`customer.age == event.cart_value`,
	`customer.age > event.cart_value`,
	`customer.age > "5"`,
	`customer.first_name > 3`,
	`customer.first_name + 1`,
	// bools and nulls meeting operators
	`!customer.email_opt_in`,
	`customer.email_opt_in == true`,
	`(customer.age > 3) == null`,
	`(event.cart_value > 20) == true`,
	`false && event.cart_value > 20`,
	`event.cart_value > 20 && false`,
	`event.cart_value > 20 || true`,
	`true || event.cart_value > 20`,
	`customer.email_opt_in || segment.vip || event.coupon`,
	`customer.email_opt_in && segment.vip && event.coupon`,
	`customer.tier == "gold" && context.flag`,
	`context.flag && customer.tier == "gold"`,
	`segment.vip && context.flag && customer.email_opt_in`,
	`segment.vip || context.flag || customer.email_opt_in`,
	`context.flag && context.page == "x" && segment.vip`,
	`customer.first_name && true`,
	`customer.first_name || segment.vip`,
	// cross-kind equality
	`customer.tier == 5`,
	`customer.tier == customer.age`,
	`customer.first_name == customer.tier`,
	`customer.tier == context.page`,
	`context.page == context.device`,
	`context.n == customer.age`,
	`segment.vip == customer.email_opt_in`,
	`segment.vip == context.flag`,
	// conditionals
	`event.cart_value > 20 ? "big" : "small"`,
	`event.cart_value > 20 ? event.cart_value : 0`,
	`customer.email_opt_in ? customer.tier : null`,
	`customer.email_opt_in ? null : customer.age`,
	`segment.vip ? 1 : "one"`,
	`segment.vip ? customer.tags : []`,
	`context.flag ? "yes" : "no"`,
	`customer.tier == null ? "none" : customer.tier`,
	`segment.vip ? customer.age > 3 : customer.email_opt_in`,
	`segment.vip ? context.page : "x"`,
	// lists
	`customer.tags`,
	`customer.tags[0]`,
	`customer.tags[1] == "new"`,
	`customer.tags[customer.age]`,
	`customer.tags["0"]`,
	`contains(customer.tags, "vip")`,
	`contains(["gold", "platinum"], customer.tier)`,
	`contains(customer.tags, customer.tier)`,
	`contains(customer.tags, context.page)`,
	`contains(customer.tags, customer.age)`,
	`length(customer.tags) > 1`,
	`customer.tags == ["vip", "new"]`,
	`customer.tags == customer.tags`,
	`["a", customer.tier]`,
	`contains(["a", customer.tier], "gold")`,
	`event.items[0]`,
	`[for t in customer.tags : upper(t)]`,
	`length([for t in customer.tags : t if t != "vip"])`,
	`join(",", customer.tags)`,
	`split(",", customer.first_name)`,
	`contains(split("a", customer.first_name), "")`,
	// templates
	`"Hi ${customer.first_name}"`,
	`"${customer.age} items"`,
	`"${customer.email_opt_in}"`,
	`"${customer.tags}"`,
	`"${customer.tier}" == "gold"`,
	`"a${context.page}b"`,
	`"%{if segment.vip}VIP%{else}guest%{endif} ${customer.tier}"`,
	`"%{for t in customer.tags}${t},%{endfor}"`,
	// functions
	`coalesce(customer.email, "none")`,
	`coalesce(customer.age, 0) > 3`,
	`coalesce(customer.email, customer.first_name, "x")`,
	`coalesce(customer.age, customer.tier)`,
	`coalesce(null, customer.tier)`,
	`min(customer.age, event.cart_value)`,
	`max(customer.age, 10, event.cart_value)`,
	`max(context.n, 1)`,
	`abs(customer.age)`,
	`floor(event.cart_value)`,
	`ceil(event.cart_value)`,
	`strlen(customer.first_name)`,
	`strlen(customer.first_name) == 1`,
	`format("%s-%d", customer.tier, 5)`,
	`replace(customer.first_name, "a", "b")`,
	`jsonencode(customer.tags)`,
	`title(customer.first_name)`,
	`trimspace(customer.first_name) == ""`,
	`substr(customer.first_name, 0, 2)`,
	`signum(customer.age)`,
	`parseint(customer.first_name, 10)`,
	`pow(customer.age, 2)`,
	`lower(context.page)`,
	`upper(customer.age)`,
	// others HCL evaluates
	`{a = customer.tier}.a`,
	`{a = customer.tier}["a"] == "gold"`,
	`customer.tags[*]`,
	`length(customer.tags[*]) > 0`,
	`[customer.tier, customer.country][customer.age]`,
	`"a" == "a"`,
	`1 + 2 == 3`,
	`(customer.tier)`,
}

func TestDifferential(t *testing.T) {
	env := testEnv()
	g := &gen{r: rand.New(rand.NewPCG(1, 2)), env: env}
	acts := make([]*Activation, 3000)
	ctxs := make([]*hcl.EvalContext, len(acts))
	for i := range acts {
		acts[i] = g.activation()
		ctxs[i] = oracleContext(env, acts[i])
	}
	for _, src := range diffExprs {
		p, err := Compile(src, env)
		if err != nil {
			t.Errorf("Compile(%s): %v", src, err)
			continue
		}
		e, diags := hclsyntax.ParseExpression([]byte(src), "", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("parsing %s: %s", src, diags)
		}
		for i, a := range acts {
			ov, diags := e.Value(ctxs[i])
			ok := !diags.HasErrors()
			want := expectValue(ov, ok)
			if got := p.Eval(a); !got.Equal(want) {
				t.Errorf("%s, activation %d: Eval = %#v, cty gives %#v", src, i, got, want)
				break
			}
			wb, wn := expectBool(ov, ok)
			if gb, gn := p.EvalBool(a); gb != wb || gn != wn {
				t.Errorf("%s, activation %d: EvalBool = %v, %v; cty gives %v, %v", src, i, gb, gn, wb, wn)
				break
			}
			wf, wfn := expectNumber(ov, ok)
			if gf, gfn := p.EvalNumber(a); !sameFloat(gf, wf) || gfn != wfn {
				t.Errorf("%s, activation %d: EvalNumber = %v, %v; cty gives %v, %v", src, i, gf, gfn, wf, wfn)
				break
			}
		}
	}
}
