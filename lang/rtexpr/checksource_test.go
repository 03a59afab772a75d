package rtexpr

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestCheckSource(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    cty.Type
		ty      cty.Type
		summary string // "" when valid
		subject string
	}{
		{name: "valid", src: `customer.tier == "gold" && event.cart_value > 20`, want: cty.Bool, ty: cty.Bool},
		{name: "dynamic", src: `context.score`, want: cty.Number, ty: cty.DynamicPseudoType},
		{name: "literals fold", src: `contains(["a", "b"], customer.tier)`, want: cty.Bool, ty: cty.Bool},
		{name: "type error", src: "segment.vip &&\ncustomer.tier", want: cty.Bool, summary: "Invalid operand", subject: "2:1-2:14"},
		{name: "wrong result type", src: `customer.age`, want: cty.Bool, summary: "Incorrect value type", subject: "1:1-1:13"},
		{name: "variables are gone at run time", src: `var.threshold < customer.age`, want: cty.Bool, summary: "Config-time reference at run time", subject: "1:1-1:14"},
		{name: "config functions are gone at run time", src: `file("x") == customer.tier`, want: cty.Bool, summary: "Call to unknown function", subject: "1:1-1:5"},
		{name: "syntax error", src: `customer.tier ==`, want: cty.Bool, summary: "Missing expression", subject: "1:17-1:17"},
		{name: "empty", src: ``, want: cty.Bool, summary: "Missing expression", subject: "1:1-1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ty, diags := CheckSource(tt.src, "deployed.wm", testScope(), tt.want)
			if tt.summary == "" {
				if len(diags) > 0 {
					t.Fatalf("diagnostics: %v", diags)
				}
				if !ty.Equals(tt.ty) {
					t.Errorf("type = %s, want %s", ty.GoString(), tt.ty.GoString())
				}
				return
			}
			if !diags.HasErrors() {
				t.Fatalf("no error")
			}
			d := diags[0]
			if d.Summary != tt.summary {
				t.Errorf("summary = %q, want %q (%v)", d.Summary, tt.summary, diags)
			}
			if got := span(d.Subject); got != tt.subject || d.Subject.Filename != "deployed.wm" {
				t.Errorf("subject = %s:%s, want deployed.wm:%s", d.Subject.Filename, got, tt.subject)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	scope := testScope()
	deep := func(n int) string {
		return strings.Repeat("(", n) + "segment.vip" + strings.Repeat(")", n)
	}
	nots := func(n int) string { return strings.Repeat("!", n) + "segment.vip" }

	// 63 parentheses around a reference make 64 levels: allowed.
	for _, src := range []string{deep(MaxDepth - 1), nots(MaxDepth - 1)} {
		if _, diags := CheckSource(src, "d", scope, cty.Bool); diags.HasErrors() {
			t.Errorf("depth %d refused: %v", MaxDepth, diags)
		}
		e, _ := parse(src)
		if _, diags := Expression(e, scope, testConfig(), cty.Bool); diags.HasErrors() {
			t.Errorf("depth %d refused: %v", MaxDepth, diags)
		}
	}
	for _, src := range []string{deep(MaxDepth), nots(MaxDepth), deep(5000)} {
		_, diags := CheckSource(src, "d", scope, cty.Bool)
		if len(diags) != 1 || diags[0].Summary != "Expression too deeply nested" {
			t.Errorf("too deep: %v", diags)
		}
		e, _ := parse(src)
		_, diags = Expression(e, scope, testConfig(), cty.Bool)
		if len(diags) != 1 || diags[0].Summary != "Expression too deeply nested" {
			t.Errorf("too deep: %v", diags)
		}
	}
	// The limit holds inside a config-time for expression too.
	e, _ := parse(`contains([for t in var.tiers : ` + strings.Repeat("(", MaxDepth) + "t" + strings.Repeat(")", MaxDepth) + `], customer.tier)`)
	if _, diags := Expression(e, scope, testConfig(), cty.Bool); len(diags) != 1 || diags[0].Summary != "Expression too deeply nested" {
		t.Errorf("deep for: %v", diags)
	}

	long := `customer.tier == "` + strings.Repeat("x", MaxSourceLen) + `"`
	if _, diags := CheckSource(long, "d", scope, cty.Bool); len(diags) != 1 || diags[0].Summary != "Source too long" {
		t.Errorf("long: %v", diags)
	}
	e, _ = parse(long)
	if _, diags := Expression(e, scope, testConfig(), cty.Bool); len(diags) != 1 || diags[0].Summary != "Expression too long" {
		t.Errorf("long: %v", diags)
	}
	// Short as written, too long once a config-time value is written out.
	cfg := testConfig()
	cfg.Eval.Variables["local"] = cty.ObjectVal(map[string]cty.Value{"big": cty.StringVal(strings.Repeat("y", MaxSourceLen))})
	e, _ = parse(`customer.tier == local.big`)
	if _, diags := Expression(e, scope, cfg, cty.Bool); len(diags) != 1 || diags[0].Summary != "Expression too long" || span(diags[0].Subject) != "1:1-1:27" {
		t.Errorf("long after inlining: %v", diags)
	}
}

func TestIncomplete(t *testing.T) {
	cfg := testConfig()
	cfg.Eval.Variables["var"] = cty.ObjectVal(map[string]cty.Value{
		"threshold": cty.UnknownVal(cty.Number),
		"anything":  cty.DynamicVal,
		"tiers":     cty.UnknownVal(cty.List(cty.String)),
	})
	scope := testScope()
	tests := []struct {
		src, source, summary string
	}{
		{src: `event.cart_value > var.threshold + 1`, source: `event.cart_value > var.threshold + 1`},
		{src: `customer.tier == var.anything`, source: `customer.tier == var.anything`},
		{src: `contains([for t in var.tiers : upper(t)], customer.tier)`, source: `contains([for t in var.tiers : upper(t)], customer.tier)`},
		{src: `customer.tier == var.threshold`, summary: "Comparison of different types"},
	}
	for _, tt := range tests {
		e, _ := parse(tt.src)
		res, diags := Expression(e, scope, cfg, cty.Bool)
		if tt.summary != "" {
			if len(diags) != 1 || diags[0].Summary != tt.summary {
				t.Errorf("%s: %v", tt.src, diags)
			}
			continue
		}
		if len(diags) > 0 {
			t.Errorf("%s: %v", tt.src, diags)
			continue
		}
		if !res.Incomplete || res.Source != tt.source {
			t.Errorf("%s: incomplete=%v source=%s", tt.src, res.Incomplete, res.Source)
		}
	}
	e, _ := parse(`var.threshold`)
	res, diags := Expression(e, scope, cfg, cty.Number)
	if diags.HasErrors() || !res.Constant || res.Value.IsKnown() || res.Type != cty.Number {
		t.Errorf("unknown constant: %+v %v", res, diags)
	}
}

func TestJSONRanges(t *testing.T) {
	// The JSON string starts at column 7 of `{"v": "${customer.tierr}"}`:
	// the template inside it at column 8.
	e := jsonExpr(t, `"${customer.tierr == \"gold\"}"`)
	_, diags := Expression(e, testScope(), testConfig(), cty.Bool)
	if len(diags) != 1 || diags[0].Summary != "Unsupported attribute" {
		t.Fatalf("%v", diags)
	}
	if got := span(diags[0].Subject); got != "1:10-1:24" || diags[0].Subject.Filename != "test.wm.json" {
		t.Errorf("subject = %s:%s", diags[0].Subject.Filename, got)
	}
	e = jsonExpr(t, `["customer.tier"]`)
	if _, diags := Expression(e, testScope(), testConfig(), cty.Bool); len(diags) != 1 || diags[0].Summary != "Invalid expression" {
		t.Errorf("JSON array: %v", diags)
	}
}

func TestNilScopeAndConfig(t *testing.T) {
	e, _ := parse(`customer.id == "x" && 1 + 1 == 2`)
	res, diags := Expression(e, nil, nil, cty.Bool)
	if diags.HasErrors() || res.Source != `customer.id == "x"` {
		t.Errorf("%s %v", res.Source, diags)
	}
	e, _ = parse(`var.x == customer.id`)
	if _, diags := Expression(e, nil, nil, cty.Bool); len(diags) != 1 || diags[0].Summary != "Config-time reference at run time" {
		t.Errorf("%v", diags)
	}
}

// TestPrinterParentheses checks that the printer adds the parentheses a
// tree needs, for trees that simplification builds rather than the parser.
func TestPrinterParentheses(t *testing.T) {
	rng := hcl.Range{}
	ref := func(s string) node {
		tr, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return &refNode{trav: tr}
	}
	bin := func(op *hclsyntax.Operation, l, r node) node { return &binNode{op: op, lhs: l, rhs: r, rng: rng} }
	num := func(f float64) node { return &litNode{val: cty.NumberFloatVal(f)} }
	a, b, c := ref("customer.age"), ref("event.cart_value"), ref("segment.vip")
	tests := []struct {
		n    node
		want string
	}{
		{bin(hclsyntax.OpMultiply, bin(hclsyntax.OpAdd, a, b), num(2)), `(customer.age + event.cart_value) * 2`},
		{bin(hclsyntax.OpSubtract, a, bin(hclsyntax.OpSubtract, b, num(1))), `customer.age - (event.cart_value - 1)`},
		{bin(hclsyntax.OpSubtract, bin(hclsyntax.OpSubtract, a, b), num(1)), `customer.age - event.cart_value - 1`},
		{&unNode{op: hclsyntax.OpLogicalNot, val: bin(hclsyntax.OpLogicalAnd, c, c)}, `!(segment.vip && segment.vip)`},
		{&unNode{op: hclsyntax.OpNegate, val: a}, `-customer.age`},
		{bin(hclsyntax.OpLogicalAnd, &condNode{cond: c, t: c, f: c}, c), `(segment.vip ? segment.vip : segment.vip) && segment.vip`},
		{&condNode{cond: &condNode{cond: c, t: c, f: c}, t: a, f: &condNode{cond: c, t: a, f: b}}, `(segment.vip ? segment.vip : segment.vip) ? customer.age : segment.vip ? customer.age : event.cart_value`},
		{&indexNode{coll: num(-1), key: num(0)}, `(-1)[0]`},
		{&relNode{src: bin(hclsyntax.OpAdd, a, b), trav: hcl.Traversal{hcl.TraverseAttr{Name: "x"}}}, `(customer.age + event.cart_value).x`},
		{bin(hclsyntax.OpMultiply, num(-2), a), `-2 * customer.age`},
	}
	for _, tt := range tests {
		if got := printExpr(tt.n); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
		if _, diags := parse(printExpr(tt.n)); diags.HasErrors() {
			t.Errorf("%s does not parse: %v", tt.want, diags)
		}
	}
}
