package expr

import (
	"math"
	"math/big"
	"math/rand/v2"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// The environment every test compiles against.

var testCustomerAttrs = map[string]Kind{
	"tier":         KindString,
	"country":      KindString,
	"email":        KindString,
	"email_opt_in": KindBool,
	"first_name":   KindString,
	"age":          KindNumber,
	"tags":         KindStringList,
}

var testEventAttrs = map[string]map[string]Kind{
	"cart_updated": {"cart_value": KindNumber, "currency": KindString, "items": KindStringList, "coupon": KindBool},
	"order_placed": {"amount": KindNumber},
}

// testContextKeys are the context keys the tests use; the oracle's context
// object has all of them, null where the activation has none.
var testContextKeys = []string{"page", "device", "n", "flag", "tags"}

func testEnv() *Env {
	events := map[string]*Layout{}
	for name, attrs := range testEventAttrs {
		events[name] = NewLayout(attrs)
	}
	return &Env{
		Customer: NewLayout(testCustomerAttrs),
		Events:   events,
		Event:    "cart_updated",
		Segments: map[string]int{"vip": 0, "churn_risk": 1},
		Journeys: map[string]int{"onboarding": 0, "cart_recovery": 1},
		Context:  true,
		Priority: true,
	}
}

// gen makes random activations for env.
type gen struct {
	r   *rand.Rand
	env *Env
}

var (
	genStrings = []string{"gold", "silver", "", "Gold", "de", "DE", "US", "e\u0301", "é", "true", "1", "0", "false", "5", "20.5", "abc", "a\r\nb", "welcome", "checkout", "vip", "new", "c-1"}
	genNumbers = []float64{0, 0.1, 20.1, 1, -1, 3, 5, 18, 18.5, 20, 21, 19.5, 20.5, 2.25, 1e6, -0.5, 100, 9007199254740992, 65}
	genLists   = [][]string{nil, {}, {"a"}, {"vip", "new"}, {"gold", "x", "a"}, {"1", "0"}}
)

func (g *gen) null() bool { return g.r.IntN(5) == 0 }

func (g *gen) value(k Kind) Value {
	if g.null() {
		return NullValue()
	}
	switch k {
	case KindString:
		return String(genStrings[g.r.IntN(len(genStrings))])
	case KindNumber:
		return Number(genNumbers[g.r.IntN(len(genNumbers))])
	case KindBool:
		return Bool(g.r.IntN(2) == 0)
	case KindStringList:
		return List(genLists[g.r.IntN(len(genLists))])
	}
	return g.value(Kind(1 + g.r.IntN(4)))
}

func (g *gen) record(l *Layout) Record {
	rec := l.NewRecord()
	for i := range rec {
		rec[i] = g.value(l.Kind(i))
	}
	return rec
}

func (g *gen) activation() *Activation {
	a := &Activation{
		Customer: g.record(g.env.Customer),
		Event:    g.record(g.env.Events[g.env.Event]),
		Context:  map[string]Value{},
		Segments: []Value{g.value(KindBool), g.value(KindBool)},
		Stages:   []Value{g.value(KindString), g.value(KindString)},
	}
	for _, k := range testContextKeys {
		if g.r.IntN(4) > 0 {
			a.Context[k] = g.value(KindDynamic)
		}
	}
	nums := []float64{0, 0.5, 1, 1.5, 2, 0.25, math.NaN()}
	a.Propensity = nums[g.r.IntN(len(nums))]
	a.ValueScore = nums[g.r.IntN(len(nums))]
	a.Lever = nums[g.r.IntN(len(nums))]
	return a
}

// oracleContext builds, independently of the package's own slow path, the
// EvalContext under which cty's evaluation is the reference.
func oracleContext(env *Env, a *Activation) *hcl.EvalContext {
	obj := func(l *Layout, rec Record) cty.Value {
		m := map[string]cty.Value{}
		for i, name := range l.Names() {
			m[name] = oracleValue(rec, i, l.Kind(i))
		}
		return cty.ObjectVal(m)
	}
	ctxObj := map[string]cty.Value{}
	for _, k := range testContextKeys {
		ctxObj[k] = cty.NullVal(cty.DynamicPseudoType)
		if v, ok := a.Context[k]; ok && !v.IsNull() {
			ctxObj[k] = oracleValue(Record{v}, 0, v.Kind())
		}
	}
	seg := map[string]cty.Value{}
	for name, i := range env.Segments {
		seg[name] = oracleValue(a.Segments, i, KindBool)
	}
	jrn := map[string]cty.Value{}
	for name, i := range env.Journeys {
		jrn[name] = cty.ObjectVal(map[string]cty.Value{"stage": oracleValue(a.Stages, i, KindString)})
	}
	num := func(f float64) cty.Value {
		if math.IsNaN(f) {
			return cty.NullVal(cty.Number)
		}
		return cty.NumberFloatVal(f)
	}
	funcs := env.Functions
	if funcs == nil {
		funcs = StdFunctions()
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"customer":   obj(env.Customer, a.Customer),
			"event":      obj(env.Events[env.Event], a.Event),
			"context":    cty.ObjectVal(ctxObj),
			"segment":    cty.ObjectVal(seg),
			"journey":    cty.ObjectVal(jrn),
			"propensity": num(a.Propensity),
			"value":      num(a.ValueScore),
			"lever":      num(a.Lever),
		},
		Functions: funcs,
	}
}

func oracleValue(rec []Value, i int, k Kind) cty.Value {
	ty := map[Kind]cty.Type{KindString: cty.String, KindNumber: cty.Number, KindBool: cty.Bool, KindStringList: cty.List(cty.String), KindDynamic: cty.DynamicPseudoType}[k]
	if i >= len(rec) || rec[i].IsNull() {
		return cty.NullVal(ty)
	}
	v := rec[i]
	switch v.Kind() {
	case KindString:
		return cty.StringVal(v.AsString())
	case KindNumber:
		return cty.NumberFloatVal(v.AsNumber())
	case KindBool:
		return cty.BoolVal(v.AsBool())
	}
	if len(v.AsList()) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	var vs []cty.Value
	for _, s := range v.AsList() {
		vs = append(vs, cty.StringVal(s))
	}
	return cty.ListVal(vs)
}

// expectValue is the Value the package must give for the oracle's result.
func expectValue(v cty.Value, ok bool) Value {
	if !ok || v.IsNull() || !v.IsWhollyKnown() {
		return NullValue()
	}
	switch t := v.Type(); {
	case t == cty.String:
		return String(v.AsString())
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return Number(f)
	case t == cty.Bool:
		return Bool(v.True())
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var ss []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.Type() != cty.String || e.IsNull() {
				return NullValue()
			}
			ss = append(ss, e.AsString())
		}
		return List(ss)
	}
	return NullValue()
}

// expectBool is what EvalBool must give for the oracle's result.
func expectBool(v cty.Value, ok bool) (bool, bool) {
	if !ok || v.IsNull() || !v.IsWhollyKnown() {
		return false, true
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() {
		return false, true
	}
	return b.True(), false
}

// expectNumber is what EvalNumber must give for the oracle's result.
func expectNumber(v cty.Value, ok bool) (float64, bool) {
	if !ok || v.IsNull() || !v.IsWhollyKnown() {
		return 0, true
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() {
		return 0, true
	}
	f, _ := n.AsBigFloat().Float64()
	return f, false
}

// sameFloat compares numbers, NaN aside (the package has none).
func sameFloat(x, y float64) bool { return x == y || big.NewFloat(x).Cmp(big.NewFloat(y)) == 0 }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
