package rtexpr

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// checker is the static type checker over a node tree. It is stricter than
// HCL's evaluation: no implicit conversion between strings, numbers and
// bools in operators, and comparisons of values of different types are
// errors rather than always false.
type checker struct {
	scope    *Scope
	what     string
	template bool // a message template: sensitive attributes are refused
	// presence is set while checking the reference in x == null or
	// x != null: testing whether a sensitive attribute is set reveals
	// nothing of its value, so it is allowed outside recipient fields.
	presence  bool
	cfgFunc   func(name string) bool // reports config functions
	diags     hcl.Diagnostics
	sensitive bool // a sensitive attribute is referenced
}

// tinfo is what the checker knows of a node.
type tinfo struct {
	ty   cty.Type
	null bool      // the null literal
	val  cty.Value // the value when the node is a constant, else cty.NilVal
	bad  bool      // already reported: checks involving it are skipped
}

var dynamic = tinfo{ty: cty.DynamicPseudoType}
var badInfo = tinfo{ty: cty.DynamicPseudoType, bad: true}

func newChecker(scope *Scope, cfgFunc func(string) bool, template bool) *checker {
	if scope == nil {
		scope = &Scope{}
	}
	what := scope.What
	if what == "" {
		what = "this expression"
	}
	return &checker{scope: scope, what: what, template: template, cfgFunc: cfgFunc}
}

func (c *checker) errorf(subject hcl.Range, context *hcl.Range, summary, format string, args ...any) {
	c.diags = append(c.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject.Ptr(),
		Context:  context,
	})
}

func (c *checker) check(n node) tinfo {
	switch n := n.(type) {
	case *litNode:
		return tinfo{ty: n.val.Type(), null: n.val.IsNull(), val: n.val}
	case *heldNode:
		return tinfo{ty: n.ty}
	case *errNode:
		return badInfo
	case *refNode:
		return c.ref(n.trav)
	case *relNode:
		src := c.check(n.src)
		if src.bad {
			return badInfo
		}
		return c.traverse(src, n.src, n.trav)
	case *indexNode:
		return c.index(n)
	case *callNode:
		return c.call(n)
	case *binNode:
		return c.binary(n)
	case *unNode:
		return c.unary(n)
	case *condNode:
		return c.conditional(n)
	case *parenNode:
		return c.check(n.inner)
	case *tmplNode:
		for _, p := range n.parts {
			c.interpolation(p, c.check(p))
		}
		return tinfo{ty: cty.String}
	case *tupleNode:
		types := make([]cty.Type, len(n.elems))
		bad := false
		for i, e := range n.elems {
			ti := c.check(e)
			types[i], bad = ti.ty, bad || ti.bad
		}
		if bad {
			return badInfo
		}
		return tinfo{ty: cty.Tuple(types)}
	case *objNode:
		return c.object(n)
	}
	// forNode, splatNode, anonNode live only inside heldNodes.
	return badInfo
}

// want checks the expression's type against the one its attribute needs.
func (c *checker) want(ti tinfo, n node, want cty.Type) {
	if ti.bad || want == cty.DynamicPseudoType || want == cty.NilType {
		return
	}
	if ti.null {
		c.errorf(n.Range(), nil, "Incorrect value type", "%s must be %s, not null.", capital(c.what), typeName(want))
		return
	}
	if ti.ty == cty.DynamicPseudoType || ti.ty.Equals(want) {
		return
	}
	if !want.IsPrimitiveType() && convert.GetConversion(ti.ty, want) != nil {
		return
	}
	c.errorf(n.Range(), nil, "Incorrect value type", "%s must be %s, but this expression is %s.", capital(c.what), typeName(want), typeName(ti.ty))
}

// checkTemplate checks a message template's root: its parts, and that it
// renders to a string.
func (c *checker) checkTemplate(n node) tinfo {
	ti := c.check(n)
	if _, isTmpl := n.(*tmplNode); !isTmpl {
		c.interpolation(n, ti)
	}
	return ti
}

// interpolation checks a value that a template converts to a string.
func (c *checker) interpolation(n node, ti tinfo) {
	switch {
	case ti.bad, ti.ty == cty.DynamicPseudoType && !ti.null:
	case ti.null:
		c.errorf(n.Range(), nil, "Invalid template interpolation value", "The expression result is null. Cannot include a null value in a string template.")
	case !ti.ty.IsPrimitiveType():
		c.errorf(n.Range(), nil, "Invalid template interpolation value", "Cannot include %s in a string template: it is %s, but a string, number or bool is required.", c.describe(n, "this value"), typeName(ti.ty))
	}
}

var opSymbols = map[*hclsyntax.Operation]string{
	hclsyntax.OpLogicalOr: "||", hclsyntax.OpLogicalAnd: "&&", hclsyntax.OpLogicalNot: "!",
	hclsyntax.OpEqual: "==", hclsyntax.OpNotEqual: "!=",
	hclsyntax.OpGreaterThan: ">", hclsyntax.OpGreaterThanOrEqual: ">=",
	hclsyntax.OpLessThan: "<", hclsyntax.OpLessThanOrEqual: "<=",
	hclsyntax.OpAdd: "+", hclsyntax.OpSubtract: "-", hclsyntax.OpMultiply: "*",
	hclsyntax.OpDivide: "/", hclsyntax.OpModulo: "%", hclsyntax.OpNegate: "-",
}

func (c *checker) binary(n *binNode) tinfo {
	var l, r tinfo
	if n.op == hclsyntax.OpEqual || n.op == hclsyntax.OpNotEqual {
		l, r = c.checkPresence(n.lhs, n.rhs), c.checkPresence(n.rhs, n.lhs)
	} else {
		l, r = c.check(n.lhs), c.check(n.rhs)
	}
	sym := opSymbols[n.op]
	ctx := n.rng.Ptr()
	switch n.op {
	case hclsyntax.OpLogicalAnd, hclsyntax.OpLogicalOr:
		okL := c.operand(l, n.lhs, cty.Bool, sym, "The left operand", ctx)
		okR := c.operand(r, n.rhs, cty.Bool, sym, "The right operand", ctx)
		if !okL || !okR {
			return badInfo
		}
		return tinfo{ty: cty.Bool}
	case hclsyntax.OpEqual, hclsyntax.OpNotEqual:
		if l.bad || r.bad {
			return badInfo
		}
		if l.null || r.null || l.ty == cty.DynamicPseudoType || r.ty == cty.DynamicPseudoType {
			return tinfo{ty: cty.Bool}
		}
		if kindOf(l.ty) != kindOf(r.ty) {
			always := "false"
			if n.op == hclsyntax.OpNotEqual {
				always = "true"
			}
			c.errorf(n.rng, nil, "Comparison of different types",
				"%s is %s and %s is %s, so %s would always be %s. Convert one side first, with tostring or tonumber.",
				c.describe(n.lhs, "The left operand"), typeName(l.ty), c.describe(n.rhs, "the right operand"), typeName(r.ty), sym, always)
			return badInfo
		}
		return tinfo{ty: cty.Bool}
	}
	// Arithmetic and ordering.
	okL := c.operand(l, n.lhs, cty.Number, sym, "The left operand", ctx)
	okR := c.operand(r, n.rhs, cty.Number, sym, "The right operand", ctx)
	if !okL || !okR {
		return badInfo
	}
	switch n.op {
	case hclsyntax.OpAdd, hclsyntax.OpSubtract, hclsyntax.OpMultiply, hclsyntax.OpDivide, hclsyntax.OpModulo:
		return tinfo{ty: cty.Number}
	}
	return tinfo{ty: cty.Bool}
}

// checkPresence checks one side of == or !=, allowing a sensitive
// attribute when the other side is the null literal.
func (c *checker) checkPresence(side, other node) tinfo {
	if lit, ok := other.(*litNode); ok && lit.val.IsNull() {
		if _, ref := side.(*refNode); ref {
			c.presence = true
			defer func() { c.presence = false }()
		}
	}
	return c.check(side)
}

// operand checks that an operator's operand has the type it needs; a
// dynamic operand passes. It reports false when the operand is wrong or
// already reported.
func (c *checker) operand(ti tinfo, n node, need cty.Type, sym, fallback string, ctx *hcl.Range) bool {
	needs := "numbers"
	if need == cty.Bool {
		needs = "bool values"
	}
	switch {
	case ti.bad:
		return false
	case ti.null:
		c.errorf(n.Range(), ctx, "Invalid operand", "%s is null; the %s operator needs %s.", c.describe(n, fallback), sym, needs)
		return false
	case ti.ty == cty.DynamicPseudoType || ti.ty == need:
		return true
	}
	c.errorf(n.Range(), ctx, "Invalid operand", "%s is %s; the %s operator needs %s.", c.describe(n, fallback), typeName(ti.ty), sym, needs)
	return false
}

func (c *checker) unary(n *unNode) tinfo {
	ti := c.check(n.val)
	need := cty.Number
	if n.op == hclsyntax.OpLogicalNot {
		need = cty.Bool
	}
	if !c.operand(ti, n.val, need, opSymbols[n.op], "The operand", n.rng.Ptr()) {
		return badInfo
	}
	return tinfo{ty: need}
}

func (c *checker) conditional(n *condNode) tinfo {
	cond := c.check(n.cond)
	t, f := c.check(n.t), c.check(n.f)
	switch {
	case cond.bad:
	case cond.null:
		c.errorf(n.cond.Range(), n.rng.Ptr(), "Invalid condition", "%s is null; the condition of a conditional expression must be a bool.", c.describe(n.cond, "The condition"))
	case cond.ty != cty.Bool && cond.ty != cty.DynamicPseudoType:
		c.errorf(n.cond.Range(), n.rng.Ptr(), "Invalid condition", "%s is %s; the condition of a conditional expression must be a bool.", c.describe(n.cond, "The condition"), typeName(cond.ty))
	}
	switch {
	case t.bad || f.bad:
		return badInfo
	case t.null && f.null:
		return tinfo{ty: cty.DynamicPseudoType, null: true}
	case t.null:
		return tinfo{ty: f.ty}
	case f.null:
		return tinfo{ty: t.ty}
	case t.ty == cty.DynamicPseudoType || f.ty == cty.DynamicPseudoType:
		return dynamic
	}
	if (t.ty.IsPrimitiveType() || f.ty.IsPrimitiveType()) && !t.ty.Equals(f.ty) {
		c.inconsistent(n, t.ty, f.ty)
		return badInfo
	}
	ty, _ := convert.Unify([]cty.Type{t.ty, f.ty})
	if ty == cty.NilType {
		c.inconsistent(n, t.ty, f.ty)
		return badInfo
	}
	return tinfo{ty: ty}
}

func (c *checker) inconsistent(n *condNode, t, f cty.Type) {
	c.errorf(hcl.RangeBetween(n.t.Range(), n.f.Range()), n.rng.Ptr(), "Inconsistent conditional result types",
		"The true and false results of a conditional expression must have the same type, but the true result is %s and the false result is %s.",
		typeName(t), typeName(f))
}

func (c *checker) object(n *objNode) tinfo {
	attrs := map[string]cty.Type{}
	known, bad := true, false
	for _, it := range n.items {
		kt := c.check(it.key)
		vt := c.check(it.val)
		bad = bad || kt.bad || vt.bad
		if kl, isLit := it.key.(*litNode); isLit && !kl.val.IsNull() && kl.val.Type() == cty.String {
			attrs[kl.val.AsString()] = vt.ty
			continue
		}
		known = false
		switch {
		case kt.bad:
		case kt.null:
			c.errorf(it.key.Range(), n.rng.Ptr(), "Invalid object key", "An object key must not be null.")
			bad = true
		case kt.ty != cty.DynamicPseudoType && !kt.ty.IsPrimitiveType():
			c.errorf(it.key.Range(), n.rng.Ptr(), "Invalid object key", "An object key must be a string, but %s is %s.", c.describe(it.key, "this key"), typeName(kt.ty))
			bad = true
		}
	}
	if bad {
		return badInfo
	}
	if !known {
		return dynamic
	}
	return tinfo{ty: cty.Object(attrs)}
}

func (c *checker) index(n *indexNode) tinfo {
	coll := c.check(n.coll)
	key := c.check(n.key)
	if coll.bad || key.bad {
		return badInfo
	}
	if key.null {
		c.errorf(n.key.Range(), n.rng.Ptr(), "Invalid index", "Can't use a null value as an indexing key.")
		return badInfo
	}
	var keyVal cty.Value
	if kl, isLit := n.key.(*litNode); isLit {
		keyVal = kl.val
	}
	return c.indexType(coll, n.coll, key.ty, keyVal, n.key.Range(), n.rng.Ptr())
}

// indexType types collection[key]; keyVal is the key when constant.
func (c *checker) indexType(coll tinfo, collNode node, keyTy cty.Type, keyVal cty.Value, keyRng hcl.Range, ctx *hcl.Range) tinfo {
	ty := coll.ty
	if coll.null {
		c.errorf(keyRng, ctx, "Invalid index", "%s is null; a null value cannot be indexed.", c.describe(collNode, "This value"))
		return badInfo
	}
	if ty == cty.DynamicPseudoType {
		return dynamic
	}
	wrongKey := func(need string) tinfo {
		c.errorf(keyRng, ctx, "Invalid index", "%s is %s, so its index must be %s, but this key is %s.", c.describe(collNode, "This value"), typeName(ty), need, typeName(keyTy))
		return badInfo
	}
	switch {
	case ty.IsListType():
		if keyTy != cty.Number && keyTy != cty.DynamicPseudoType {
			return wrongKey("a number")
		}
		return tinfo{ty: ty.ElementType()}
	case ty.IsMapType():
		if keyTy != cty.String && keyTy != cty.DynamicPseudoType {
			return wrongKey("a string")
		}
		return tinfo{ty: ty.ElementType()}
	case ty.IsTupleType():
		if keyTy != cty.Number && keyTy != cty.DynamicPseudoType {
			return wrongKey("a number")
		}
		elems := ty.TupleElementTypes()
		if keyVal == cty.NilVal {
			return dynamic
		}
		bf := keyVal.AsBigFloat()
		i, acc := bf.Int64()
		if !bf.IsInt() || acc != 0 || i < 0 || i >= int64(len(elems)) {
			c.errorf(keyRng, ctx, "Invalid index", "The given key does not identify an element in this collection value: %s has %d elements.", c.describe(collNode, "this value"), len(elems))
			return badInfo
		}
		return tinfo{ty: elems[i]}
	case ty.IsObjectType():
		if keyTy != cty.String && keyTy != cty.DynamicPseudoType {
			return wrongKey("a string")
		}
		if keyVal == cty.NilVal {
			return dynamic
		}
		name := keyVal.AsString()
		if !ty.HasAttribute(name) {
			c.errorf(keyRng, ctx, "Invalid index", "%s has no attribute %q.%s", c.describe(collNode, "This object"), name, didYouMean(name, sortedKeys(ty.AttributeTypes())))
			return badInfo
		}
		return tinfo{ty: ty.AttributeType(name)}
	}
	c.errorf(keyRng, ctx, "Invalid index", "%s is %s, which has no elements to index.", c.describe(collNode, "This value"), typeName(ty))
	return badInfo
}

// traverse types the steps of a traversal applied to a value.
func (c *checker) traverse(ti tinfo, src node, steps hcl.Traversal) tinfo {
	for _, step := range steps {
		if ti.ty == cty.DynamicPseudoType && !ti.null {
			return dynamic
		}
		switch s := step.(type) {
		case hcl.TraverseAttr:
			ty := ti.ty
			switch {
			case ti.null:
				c.errorf(s.SrcRange, nil, "Unsupported attribute", "%s is null, so it has no attribute %q.", c.describe(src, "This value"), s.Name)
				return badInfo
			case ty.IsObjectType():
				if !ty.HasAttribute(s.Name) {
					c.errorf(s.SrcRange, nil, "Unsupported attribute", "This object does not have an attribute named %q.%s", s.Name, didYouMean(s.Name, sortedKeys(ty.AttributeTypes())))
					return badInfo
				}
				ti = tinfo{ty: ty.AttributeType(s.Name)}
			case ty.IsMapType():
				ti = tinfo{ty: ty.ElementType()}
			default:
				c.errorf(s.SrcRange, nil, "Unsupported attribute", "%s is %s, which has no attributes.", c.describe(src, "This value"), typeName(ty))
				return badInfo
			}
		case hcl.TraverseIndex:
			if s.Key.IsNull() || !s.Key.IsKnown() {
				c.errorf(s.SrcRange, nil, "Invalid index", "Can't use a null value as an indexing key.")
				return badInfo
			}
			ti = c.indexType(ti, src, s.Key.Type(), s.Key, s.SrcRange, nil)
			if ti.bad {
				return ti
			}
		default:
			c.errorf(step.SourceRange(), nil, "Not supported in runtime expressions", "A splat expression is not supported in runtime expressions.")
			return badInfo
		}
	}
	return ti
}

func (c *checker) call(n *callNode) tinfo {
	fn, ok := c.scope.Functions[n.name]
	if !ok {
		if c.cfgFunc != nil && c.cfgFunc(n.name) {
			c.errorf(n.nameRng, n.rng.Ptr(), "Function not available at run time",
				"Function %q is evaluated when planning, so its arguments must be config-time values (var, local, literals), but here they refer to runtime values.", n.name)
			return badInfo
		}
		names := sortedKeys(c.scope.Functions)
		c.errorf(n.nameRng, n.rng.Ptr(), "Call to unknown function", "There is no function named %q.%s", n.name, didYouMean(n.name, names))
		return badInfo
	}
	infos := make([]tinfo, 0, len(n.args))
	nodes := make([]node, 0, len(n.args))
	bad := false
	for i, a := range n.args {
		ti := c.check(a)
		bad = bad || ti.bad
		if n.expand && i == len(n.args)-1 && !ti.bad {
			l, isLit := a.(*litNode)
			if !isLit || l.val.IsNull() || !(l.val.Type().IsListType() || l.val.Type().IsTupleType() || l.val.Type().IsSetType()) {
				c.errorf(a.Range(), n.rng.Ptr(), "Invalid expanding argument value", "In a runtime expression the expanding argument (indicated by ...) must be a config-time list, set or tuple.")
				return badInfo
			}
			for it := l.val.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				infos = append(infos, tinfo{ty: ev.Type(), null: ev.IsNull(), val: ev})
				nodes = append(nodes, a)
			}
			continue
		}
		infos = append(infos, ti)
		nodes = append(nodes, a)
	}
	if bad {
		return badInfo
	}
	params, varParam := fn.Params(), fn.VarParam()
	if len(infos) < len(params) {
		qual := ""
		if varParam != nil {
			qual = " at least"
		}
		c.errorf(n.closeRng, n.rng.Ptr(), "Not enough function arguments", "Function %q expects%s %d argument(s). Missing value for %q.", n.name, qual, len(params), params[len(infos)].Name)
		return badInfo
	}
	if varParam == nil && len(infos) > len(params) {
		c.errorf(nodes[len(params)].Range(), n.rng.Ptr(), "Too many function arguments", "Function %q expects only %d argument(s).", n.name, len(params))
		return badInfo
	}
	vals := make([]cty.Value, len(infos))
	for i, ti := range infos {
		p := varParam
		if i < len(params) {
			p = &params[i]
		}
		v := ti.val
		if v == cty.NilVal {
			v = cty.UnknownVal(ti.ty)
		}
		if ti.null && !p.AllowNull {
			c.errorf(nodes[i].Range(), n.rng.Ptr(), "Invalid function argument", "Invalid value for %q parameter: argument must not be null.", p.Name)
			return badInfo
		}
		if ti.ty != cty.DynamicPseudoType && p.Type != cty.DynamicPseudoType && !p.Type.IsCapsuleType() && !ti.ty.Equals(p.Type) {
			conv := convert.GetConversion(ti.ty, p.Type)
			if conv == nil {
				c.errorf(nodes[i].Range(), n.rng.Ptr(), "Invalid function argument", "Invalid value for %q parameter: %s is required, but %s is %s.",
					p.Name, constraintName(p.Type), c.describe(nodes[i], "this argument"), typeName(ti.ty))
				return badInfo
			}
			cv, err := conv(v)
			if err != nil {
				c.errorf(nodes[i].Range(), n.rng.Ptr(), "Invalid function argument", "Invalid value for %q parameter: %s.", p.Name, err)
				return badInfo
			}
			v = cv
		}
		vals[i] = v
	}
	ty, err := fn.ReturnTypeForValues(vals)
	if err != nil {
		if ae, isArg := err.(function.ArgError); isArg && ae.Index >= 0 && ae.Index < len(nodes) {
			name := "argument"
			if ae.Index < len(params) {
				name = params[ae.Index].Name
			} else if varParam != nil {
				name = varParam.Name
			}
			c.errorf(nodes[ae.Index].Range(), n.rng.Ptr(), "Invalid function argument", "Invalid value for %q parameter: %s.", name, err)
		} else {
			c.errorf(n.rng, nil, "Error in function call", "Call to function %q failed: %s.", n.name, err)
		}
		return badInfo
	}
	return tinfo{ty: ty}
}

// describe names a node in a message: the reference or short literal it
// is, or fallback. It never shows a sensitive value.
func (c *checker) describe(n node, fallback string) string {
	switch n := n.(type) {
	case *parenNode:
		return c.describe(n.inner, fallback)
	case *refNode, *relNode, *indexNode, *callNode, *litNode:
		if l, isLit := n.(*litNode); isLit && !l.val.Type().IsPrimitiveType() {
			break
		}
		if sensitiveIn(n) {
			break
		}
		if s := printExpr(n); len(s) <= 40 {
			return s
		}
	}
	return fallback
}

// sensitiveIn reports whether a node holds a sensitive config-time value.
func sensitiveIn(n node) bool {
	found := false
	walk(n, func(n node) {
		switch n := n.(type) {
		case *litNode:
			found = found || n.sensitive
		case *heldNode:
			found = found || n.sensitive
		}
	})
	return found
}

// kindOf groups types that == can sensibly compare.
func kindOf(ty cty.Type) string {
	switch {
	case ty.IsPrimitiveType():
		return ty.FriendlyName()
	case ty.IsListType(), ty.IsTupleType(), ty.IsSetType():
		return "sequence"
	case ty.IsMapType(), ty.IsObjectType():
		return "mapping"
	}
	return ty.FriendlyName()
}

// typeName is a type's name with its article: "a string", "a list of
// number", "an object".
func typeName(ty cty.Type) string {
	if ty == cty.DynamicPseudoType {
		return "a value of any type"
	}
	name := ty.FriendlyName()
	if strings.IndexByte("aeiou", name[0]) >= 0 {
		return "an " + name
	}
	return "a " + name
}

func constraintName(ty cty.Type) string {
	name := ty.FriendlyNameForConstraint()
	if strings.IndexByte("aeiou", name[0]) >= 0 {
		return "an " + name
	}
	return "a " + name
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
