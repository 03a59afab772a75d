package expr

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from what the tests produce (go test -update rewrites it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// testActivation is one customer, in cart_updated, for the hand-written
// tables.
func testActivation(env *Env) *Activation {
	c := env.Customer.NewRecord()
	set := func(rec Record, l *Layout, name string, v Value) {
		slot, ok := l.Slot(name)
		if !ok {
			panic(name)
		}
		rec[slot] = v
	}
	set(c, env.Customer, "id", String("c-42"))
	set(c, env.Customer, "tier", String("gold"))
	set(c, env.Customer, "country", String("DE"))
	set(c, env.Customer, "email_opt_in", Bool(true))
	set(c, env.Customer, "first_name", String("Ada"))
	set(c, env.Customer, "age", Number(37))
	set(c, env.Customer, "tags", List([]string{"vip", "new"}))
	el := env.Events["cart_updated"]
	ev := el.NewRecord()
	set(ev, el, "cart_value", Number(80))
	return &Activation{
		Customer:   c,
		Event:      ev,
		Context:    map[string]Value{"page": String("checkout"), "n": String("7")},
		Segments:   []Value{Bool(true), NullValue()},
		Stages:     []Value{String("welcome"), NullValue()},
		Propensity: 0.5, ValueScore: 4, Lever: 1.5,
	}
}

func TestEval(t *testing.T) {
	env := testEnv()
	a := testActivation(env)
	tests := []struct {
		src  string
		want Value
	}{
		{`customer.tier == "gold" && event.cart_value > 20`, Bool(true)},
		{`customer.tier == "gold" && event.cart_value > 20 && customer.email_opt_in && customer.country != "US"`, Bool(true)},
		{`customer.tier == "silver" || event.cart_value > 100`, Bool(false)},
		{`segment.vip`, Bool(true)},
		{`segment.churn_risk`, NullValue()},
		{`segment.churn_risk && segment.vip`, Bool(false)}, // HCL: a null operand of && is false
		{`segment.churn_risk || segment.vip`, Bool(true)},
		{`segment.churn_risk || false`, NullValue()}, // HCL fails: || with a null operand
		{`journey.onboarding.stage == "welcome"`, Bool(true)},
		{`journey.cart_recovery.stage == null`, Bool(true)},
		{`propensity * value * lever`, Number(3)},
		{`lower(customer.country) == "de"`, Bool(true)},
		{`context.page == "checkout"`, Bool(true)},
		{`context.device == null`, Bool(true)},
		{`context.n > 5`, Bool(true)}, // "7" converts to 7
		{`customer.email != null`, Bool(false)},
		{`customer.email == "x"`, Bool(false)},
		{`customer.email > 3`, NullValue()},
		{`event.currency == "EUR"`, Bool(false)},
		{`event.coupon`, NullValue()},
		{`customer.tags[0]`, String("vip")},
		{`customer.tags[2]`, NullValue()},
		{`contains(customer.tags, "new")`, Bool(true)},
		{`length(customer.tags)`, Number(2)},
		{`event.cart_value > 20 ? "big" : "small"`, String("big")},
		{`"Hi ${customer.first_name}, ${event.cart_value}"`, String("Hi Ada, 80")},
		{`-customer.age + 1`, Number(-36)},
		{`customer.age % 5`, Number(2)},
		{`customer.age / 2`, Number(18.5)},
		{`!customer.email_opt_in`, Bool(false)},
		{`coalesce(customer.email, "none")`, String("none")},
		{`max(customer.age, event.cart_value, 3)`, Number(80)},
		{`customer.tier == 1`, Bool(false)},
		{`"1" == 1`, Bool(false)},
		{`context.n == "Inf"`, Bool(false)},
		{`null == null`, Bool(true)},
		{`customer.tags`, List([]string{"vip", "new"})},
		{`[for t in customer.tags : upper(t)]`, List([]string{"VIP", "NEW"})},
		{`join("+", customer.tags)`, String("vip+new")},
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, env)
		if err != nil {
			t.Errorf("Compile(%s): %v", tt.src, err)
			continue
		}
		if got := p.Eval(a); !got.Equal(tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.src, got, tt.want)
		}
	}
}

func TestEvalBoolCountsNull(t *testing.T) {
	env := testEnv()
	a := testActivation(env)
	tests := []struct {
		src          string
		result, null bool
	}{
		{`event.cart_value > 20`, true, false},
		{`event.currency == "EUR"`, false, false},
		{`event.coupon`, false, true},       // a null condition
		{`customer.email > 3`, false, true}, // a null operand
		{`event.cart_value > 20 && customer.email > 3`, false, true},
		{`customer.email != null && customer.email > 3`, false, false}, // false decides &&
		{`customer.age`, false, true},                                  // not a bool
		{`context.page`, false, true},                                  // "checkout" is no bool
		{`"true"`, true, false},                                        // converted as cty converts
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, env)
		if err != nil {
			t.Errorf("Compile(%s): %v", tt.src, err)
			continue
		}
		if r, n := p.EvalBool(a); r != tt.result || n != tt.null {
			t.Errorf("EvalBool(%s) = %v, %v; want %v, %v", tt.src, r, n, tt.result, tt.null)
		}
	}
	p, _ := Compile(`propensity * value * lever`, env)
	if f, null := p.EvalNumber(a); f != 3 || null {
		t.Errorf("EvalNumber = %v, %v; want 3, false", f, null)
	}
	a.Lever = math.NaN()
	if _, null := p.EvalNumber(a); !null {
		t.Errorf("EvalNumber with a NaN lever is not null")
	}
}

// TestFastPaths checks that the expressions journeys use compile to
// native nodes only, and that the slow path is really taken for others.
func TestFastPaths(t *testing.T) {
	env := testEnv()
	fast := []string{
		`customer.tier == "gold" && event.cart_value > 20`,
		`customer.tier == "gold" && event.cart_value > 20 && customer.email_opt_in && customer.country != "US"`,
		`segment.vip`,
		`journey.onboarding.stage == "welcome"`,
		`propensity * value * lever`,
		`lower(customer.country) == "de"`,
		`context.page == "checkout"`,
		`customer.email != null`,
		`contains(["gold", "platinum"], customer.tier)`,
		`contains(customer.tags, "vip") || customer.tags[0] == "x"`,
		`event.cart_value >= 20.1 ? "big" : "small"`,
		`"Hi ${customer.first_name}"`,
		`coalesce(customer.email, "none") != "none"`,
		`max(customer.age, 1) > min(event.cart_value, 3)`,
		`format("%s!", customer.tier) == "gold!"`, // go-cty's format, called natively
	}
	for _, src := range fast {
		p, err := Compile(src, env)
		if err != nil {
			t.Fatalf("Compile(%s): %v", src, err)
		}
		if p.slow != 0 {
			t.Errorf("%s: %d sub-expressions go through HCL, want none", src, p.slow)
		}
	}
	for _, src := range []string{`[for t in customer.tags : t]`, `customer.tags == ["a"]`, `{a = 1, b = customer.tier}.b`} {
		p, err := Compile(src, env)
		if err != nil {
			t.Fatalf("Compile(%s): %v", src, err)
		}
		if p.slow == 0 {
			t.Errorf("%s: compiled natively; the test expects it to go through HCL", src)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	env := testEnv()
	noEvent := testEnv()
	noEvent.Event, noEvent.Context, noEvent.Priority = "", false, false
	tests := []struct {
		name string
		src  string
		env  *Env
	}{
		{"syntax", `customer.tier ==`, env},
		{"unknown attribute", `customer.tierr == "gold"`, env},
		{"unknown event attribute", `event.cart_valu > 20`, env},
		{"event out of scope", `event.cart_value > 20`, noEvent},
		{"context out of scope", `context.page == "x"`, noEvent},
		{"priority out of scope", `propensity * 2`, noEvent},
		{"var left in", `customer.age > var.min_age`, env},
		{"unknown variable", `shop.name == "x"`, env},
		{"unknown segment", `segment.vipp`, env},
		{"unknown journey", `journey.onboard.stage == "x"`, env},
		{"number as condition", `customer.age && true`, env},
		{"list compared", `customer.tags > 1`, env},
		{"unknown function", `lowercase(customer.tier)`, env},
		{"wrong arity", `lower(customer.tier, "x")`, env},
		{"object result", `{a = customer.tier}`, env},
		{"inconsistent conditional", `segment.vip ? customer.tags : "x"`, env},
		{"second line", "customer.tier == \"gold\" &&\n  customer.agee > 3", env},
		{"nesting", strings.Repeat("(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1), env},
		{"deep tree", strings.Repeat("!", MaxDepth+1) + "true", env},
		{"too long", `"` + strings.Repeat("x", MaxSourceLen) + `"`, env},
		{"huge number", `customer.age > 1E5555551`, env},
		{"tiny number", `customer.age > 1e-400`, env},
		{"huge number in a string", `"${"1e999" + 1}"`, env},
	}
	var b strings.Builder
	for _, tt := range tests {
		_, err := Compile(tt.src, tt.env)
		if err == nil {
			t.Errorf("%s: Compile(%.40s) succeeded, want an error", tt.name, tt.src)
			continue
		}
		fmt.Fprintf(&b, "%s\n  %s\n", tt.name, err)
	}
	golden(t, "compile_errors.golden", b.String())
}

func TestLongChainsAreNotTooDeep(t *testing.T) {
	env := testEnv()
	clauses := make([]string, 200)
	for i := range clauses {
		clauses[i] = fmt.Sprintf("customer.country == %q", fmt.Sprint("c", i))
	}
	clauses = append(clauses, `customer.country == "DE"`)
	p, err := Compile(strings.Join(clauses, " || "), env)
	if err != nil {
		t.Fatal(err)
	}
	if r, null := p.EvalBool(testActivation(env)); !r || null {
		t.Errorf("EvalBool = %v, %v; want true, false", r, null)
	}
}

func TestRefs(t *testing.T) {
	env := testEnv()
	slot := func(name string) int {
		s, _ := env.Customer.Slot(name)
		return s
	}
	p, err := Compile(`customer.tier == "gold" && segment.churn_risk && journey.cart_recovery.stage != null && context.page == "x" && event.cart_value > 1 && customer["age"] > 3 && propensity > 0`, env)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Refs()
	cart, _ := env.Events["cart_updated"].Slot("cart_value")
	want := Refs{
		Customer: sortedInts([]int{slot("tier"), slot("age")}),
		Event:    []int{cart},
		Context:  []string{"page"},
		Segments: []int{1},
		Journeys: []int{1},
		Priority: true,
	}
	if fmt.Sprint(r) != fmt.Sprint(want) {
		t.Errorf("Refs = %+v, want %+v", r, want)
	}
	p, _ = Compile(`length(keys(customer)) > 0 && context[customer.tier] == "x"`, env)
	r = p.Refs()
	if len(r.Customer) != env.Customer.Len() || !r.AllContext {
		t.Errorf("Refs of whole-object reads = %+v, want every customer slot and AllContext", r)
	}
}

// TestIntegerComparisonsMatchCty compares numbers around the limits of
// float64's integers, where a float64 and cty's big floats could disagree.
func TestIntegerComparisonsMatchCty(t *testing.T) {
	env := testEnv()
	literals := []string{"0", "-1", "20", "9007199254740992", "9007199254740993", "9007199254740991", "1e15", "1000000000000001", "-9007199254740993", "0.5", "20.1"}
	values := []float64{0, -1, 20, 1 << 53, 1<<53 - 1, 1e15, 1e15 + 1, -(1 << 53), 0.5, 20.1, 20.099999999999998}
	ops := []string{"==", "!=", "<", "<=", ">", ">="}
	var n int
	for _, lit := range literals {
		for _, op := range ops {
			for _, src := range []string{"customer.age " + op + " " + lit, lit + " " + op + " customer.age", "customer.age " + op + " event.cart_value"} {
				p, err := Compile(src, env)
				if err != nil {
					t.Fatalf("Compile(%s): %v", src, err)
				}
				e, _ := hclsyntax.ParseExpression([]byte(src), "", hcl.InitialPos)
				for _, x := range values {
					for _, y := range values {
						a := testActivation(env)
						slot, _ := env.Customer.Slot("age")
						a.Customer[slot] = Number(x)
						a.Event[1] = Number(y)
						ov, diags := e.Value(oracleContext(env, a))
						want := ov.True()
						if diags.HasErrors() {
							t.Fatalf("%s: %s", src, diags)
						}
						if got, _ := p.EvalBool(a); got != want {
							t.Errorf("%s with age %v, cart_value %v: %v, cty says %v", src, x, y, got, want)
						}
						n++
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no comparisons made")
	}
}

func TestCompileErrorsBehindShortCircuits(t *testing.T) {
	env := testEnv()
	for _, src := range []string{
		`customer.tier == "gold" && customer.agee > 3`,
		`customer.tier == "gold" || customer.agee > 3`,
		`segment.vip ? customer.agee : 1`,
		`segment.vip ? 1 : customer.age && true`,
		`segment.vip && (customer.tier == "x" || customer.email_opt_in && customer.agee)`,
	} {
		if _, err := Compile(src, env); err == nil {
			t.Errorf("Compile(%s) succeeded, want an error", src)
		}
	}
	if _, err := Compile(`[for t in customer.tags : t if t != "x"] == [] && segment.vip`, env); err != nil {
		t.Errorf("a for expression's symbols: %v", err)
	}
}
