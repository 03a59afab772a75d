package lang

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/rtexpr"
)

// MaxInstances is the most instances one for_each or count makes.
const MaxInstances = 10000

// instance is one instance of a block: key is its instance key (cty.NilVal
// for a block with neither for_each nor count) and vars what its
// config-time parts see beside var and local (each, or count).
type instance struct {
	key  cty.Value
	vars map[string]cty.Value
}

// single is the one instance of a block without for_each or count.
var single = []instance{{key: cty.NilVal}}

var repetitionSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "for_each"}, {Name: "count"}}}

// instances evaluates a block's for_each or count in the current scope.
// what names the block in messages ("journey \"cart\"").
func (l *loader) instances(body hcl.Body, what string) []instance {
	c, _, _ := body.PartialContent(repetitionSchema)
	fe, cnt := c.Attributes["for_each"], c.Attributes["count"]
	switch {
	case fe != nil && cnt != nil:
		l.add(errorf(rngPtr(cnt.NameRange), "Invalid combination of \"count\" and \"for_each\"",
			"%s sets both count and for_each; at most one of them may be set.", capitalize(what)))
		return nil
	case fe != nil:
		return l.forEach(fe, what)
	case cnt != nil:
		return l.count(cnt, what)
	}
	return single
}

func (l *loader) forEach(a *hcl.Attribute, what string) []instance {
	v := l.configValue(a.Expr, "The for_each of "+what)
	if v == cty.NilVal {
		return nil
	}
	rng := rngPtr(a.Expr.Range())
	switch {
	case v.HasMark(rtexpr.SensitiveMark) || v.ContainsMarked():
		l.add(errorf(rng, "Invalid for_each argument",
			"The for_each of %s holds a sensitive value; its keys would appear in addresses and plan output.", what))
		return nil
	case !v.IsKnown():
		return nil // a variable without a value: reported where it is declared
	case v.IsNull():
		l.add(errorf(rng, "Invalid for_each argument", "The for_each of %s is null; it must be a map or a set of strings.", what))
		return nil
	}
	ty := v.Type()
	isMap := ty.IsMapType() || ty.IsObjectType()
	if !isMap && !(ty.IsSetType() && ty.ElementType() == cty.String) {
		hint := ""
		if ty.IsListType() || ty.IsTupleType() {
			hint = " Convert a list with toset(...), so that each element is its own key."
		}
		l.add(errorf(rng, "Invalid for_each argument",
			"The for_each of %s is of type %s; it must be a map, an object or a set of strings.%s", what, typeName(ty), hint))
		return nil
	}
	if v.LengthInt() > MaxInstances {
		l.add(errorf(rng, "Too many instances", "The for_each of %s has %d elements; at most %d are allowed.", what, v.LengthInt(), MaxInstances))
		return nil
	}
	var out []instance
	if isMap {
		m := v.AsValueMap()
		for _, k := range keys(m) {
			out = append(out, eachInstance(cty.StringVal(k), m[k]))
		}
		return out
	}
	var ks []string
	for _, e := range v.AsValueSlice() {
		if e.IsNull() || !e.IsKnown() {
			l.add(errorf(rng, "Invalid for_each argument", "The for_each set of %s holds a null or unknown element.", what))
			return nil
		}
		ks = append(ks, e.AsString())
	}
	sort.Strings(ks)
	for _, k := range ks {
		out = append(out, eachInstance(cty.StringVal(k), cty.StringVal(k)))
	}
	return out
}

func eachInstance(key, val cty.Value) instance {
	return instance{key: key, vars: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": key, "value": val})}}
}

func (l *loader) count(a *hcl.Attribute, what string) []instance {
	n, ok := l.wholeNumber(a, "count", 0)
	if !ok {
		return nil
	}
	if n > MaxInstances {
		l.add(errorf(rngPtr(a.Expr.Range()), "Too many instances", "The count of %s is %d; at most %d are allowed.", what, n, MaxInstances))
		return nil
	}
	out := make([]instance, n)
	for i := range out {
		k := cty.NumberIntVal(int64(i))
		out[i] = instance{key: k, vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": k})}}
	}
	return out
}

// within runs fn with the instance's each or count in scope of every
// config-time part.
func (l *loader) within(in instance, fn func()) {
	if len(in.vars) == 0 {
		fn()
		return
	}
	eval, rcfg := l.s.eval, l.s.rcfg
	child := eval.NewChild()
	child.Variables = in.vars
	r := *rcfg
	r.Eval = child
	l.s.eval, l.s.rcfg = child, &r
	defer func() { l.s.eval, l.s.rcfg = eval, rcfg }()
	fn()
}
