package rtexpr

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/zclconf/go-cty/cty"
)

// seeds are the inputs of testdata/canonical.txtar and some broken ones.
func seeds(f *testing.F) []string {
	ar, err := txtar.ParseFile("testdata/canonical.txtar")
	if err != nil {
		f.Fatal(err)
	}
	out := []string{
		`customer.tier > 3`, `customer.tierr`, `event.cart_valu`, `journey.x.foo`,
		`context`, `propensity * value * lever`, `timestamp()`, `[for x in customer.tags : x]`,
		`customer.tags[*]`, `{ (customer.tier) = 1 }`, `"${`, `"%{ if customer.vip }a%{ endif }"`,
		`max([1, 2]...)`, `lower(customer.tier)...`, `a ? b : c ? d : e`, `-(-customer.age)`,
		`customer.tags[0].x`, `{}["a"]`, `[][0]`, `[1][2]`, `null.x`, `"a" < 1`, `!!!!!null`,
		`coalesce(customer.tier, null, 1)`, `format("%d", customer.tier)`, `concat(customer.tags, [1])`,
		`context.a[customer.age]`, `{ for = 1 }`, `1e999999`, `-0`, `0.1e-400`,
	}
	for _, f := range ar.Files {
		if strings.HasSuffix(f.Name, ".in") || strings.HasSuffix(f.Name, ".out") {
			out = append(out, strings.Split(string(f.Data), "\n----\n")...)
		}
	}
	return out
}

// FuzzCheckSource checks that no input crashes the analysis, and that what
// Expression accepts is deployable: CheckSource accepts its Source, and
// analysing that Source again gives the same bytes.
func FuzzCheckSource(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	scope := testScope()
	scope.Priority = true
	scope.AllowSensitive = true
	f.Fuzz(func(t *testing.T, src string) {
		ty, diags := CheckSource(src, "fuzz", scope, cty.DynamicPseudoType)
		noInternal(t, diags)
		if ty == cty.NilType {
			t.Fatal("nil type")
		}
		e, diags := hclsyntax.ParseExpression([]byte(src), "fuzz", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			return
		}
		res, diags := Expression(e, scope, nil, cty.DynamicPseudoType)
		noInternal(t, diags)
		if diags.HasErrors() {
			return
		}
		if _, diags := CheckSource(res.Source, "deployed", scope, cty.DynamicPseudoType); diags.HasErrors() {
			t.Fatalf("%q analyses as %q, which CheckSource refuses: %v", src, res.Source, diags)
		}
		e2, diags := hclsyntax.ParseExpression([]byte(res.Source), "deployed", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatalf("%q prints as %q, which does not parse: %v", src, res.Source, diags)
		}
		again, diags := Expression(e2, scope, nil, cty.DynamicPseudoType)
		if diags.HasErrors() || again.Source != res.Source {
			t.Fatalf("%q prints as %q, then as %q (%v)", src, res.Source, again.Source, diags)
		}
	})
}

// FuzzCheckTemplateSource does the same for message templates.
func FuzzCheckTemplateSource(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
		f.Add("Hi ${" + s + "}!")
	}
	f.Add("$${x} %%{y} ${customer.first_name} $")
	f.Add("%{ for x in [1, 2] }${x}%{ endfor }")
	scope := testScope()
	f.Fuzz(func(t *testing.T, src string) {
		diags := CheckTemplateSource(src, "fuzz", scope)
		noInternal(t, diags)
		e, diags := hclsyntax.ParseTemplate([]byte(src), "fuzz", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			return
		}
		res, diags := Template(e, scope, nil)
		noInternal(t, diags)
		if diags.HasErrors() {
			return
		}
		if diags := CheckTemplateSource(res.Source, "deployed", scope); diags.HasErrors() {
			t.Fatalf("%q analyses as %q, which CheckTemplateSource refuses: %v", src, res.Source, diags)
		}
		e2, diags := hclsyntax.ParseTemplate([]byte(res.Source), "deployed", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatalf("%q prints as %q, which does not parse: %v", src, res.Source, diags)
		}
		again, diags := Template(e2, scope, nil)
		if diags.HasErrors() || again.Source != res.Source {
			t.Fatalf("%q prints as %q, then as %q (%v)", src, res.Source, again.Source, diags)
		}
	})
}

func noInternal(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == "Internal error in expression analysis" {
			t.Fatalf("internal error: %s", d.Detail)
		}
	}
}
