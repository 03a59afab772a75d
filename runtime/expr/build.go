package expr

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// expr compiles e into a node, or returns nil when e's value cannot be a
// fast node's and its parent must be evaluated by HCL as a whole.
func (c *compiler) expr(e hclsyntax.Expression) *node {
	var n *node
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		n = newConstNode(e.Val, e.SrcRange)
	case *hclsyntax.ScopeTraversalExpr:
		n = c.traversal(e)
	case *hclsyntax.ParenthesesExpr:
		n = c.expr(e.Expression)
	case *hclsyntax.TemplateWrapExpr:
		n = c.expr(e.Wrapped)
	case *hclsyntax.TemplateExpr:
		n = c.template(e)
	case *hclsyntax.BinaryOpExpr:
		n = c.binary(e)
	case *hclsyntax.UnaryOpExpr:
		n = c.unary(e)
	case *hclsyntax.ConditionalExpr:
		n = c.conditional(e)
	case *hclsyntax.IndexExpr:
		n = c.index(e)
	case *hclsyntax.TupleConsExpr:
		n = c.tuple(e)
	case *hclsyntax.FunctionCallExpr:
		n = c.call(e)
	default:
		return c.slowNode(e, false)
	}
	if n != nil && n.rng == (hcl.Range{}) {
		n.rng = e.Range()
	}
	return n
}

// exprs compiles each of es; ok is false when one of them cannot be a node.
func (c *compiler) exprs(es []hclsyntax.Expression) (ns []*node, allConst, ok bool) {
	ns = make([]*node, len(es))
	allConst = true
	for i, e := range es {
		ns[i] = c.expr(e)
		if ns[i] == nil {
			return nil, false, false
		}
		allConst = allConst && ns[i].isConst
	}
	return ns, allConst, true
}

// lit returns n's constant as a literal expression.
func lit(n *node) hclsyntax.Expression {
	return &hclsyntax.LiteralValueExpr{Val: n.kc, SrcRange: n.rng}
}

// fold evaluates e, an expression whose operands are literals, once, at
// compile time. It returns nil when that fails (HCL would fail at every
// evaluation) or gives a value this package cannot represent.
func (c *compiler) fold(e hclsyntax.Expression) *node {
	// Charged as an evaluation is: the constants are in the source, but
	// a call can make much more of them.
	a := &Activation{meter: c.budget}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{meterVar: cty.CapsuleVal(activationType, a)},
		Functions: c.chargedFuncs(),
	}
	cv, diags := c.rewrite(e).Value(ctx)
	if diags.HasErrors() || !cv.IsWhollyKnown() {
		return nil
	}
	return newConstNode(cv, e.Range())
}

// slowNode returns a node that evaluates e through HCL, with an
// EvalContext built from the activation. Below the root, only expressions
// whose static type is string, number or bool make nodes: a list or a value
// of dynamic type could hold what Value cannot (a null element, an
// object), so their parent must be evaluated by HCL too.
func (c *compiler) slowNode(e hclsyntax.Expression, root bool) *node {
	tv, diags := e.Value(c.static)
	if diags.HasErrors() {
		if !root {
			return nil
		}
		tv = cty.DynamicVal
	}
	kind, tuple, ok := kindOf(tv.Type())
	if !ok || (!root && kind != KindString && kind != KindNumber && kind != KindBool) {
		return nil
	}
	travs := e.Variables()
	if len(travs) == 0 {
		if n := c.fold(e); n != nil {
			return n
		}
	}
	refs := c.scope.refsOf(travs)
	s := c.scope
	re, funcs := c.rewrite(e), c.chargedFuncs()
	c.metered = true
	n := newValNode(kind, tuple, func(a *Activation) (Value, st) {
		return s.evalSlow(re, funcs, &refs, a)
	})
	n.rng = e.Range()
	c.slow++
	return n
}

// chargedFuncs returns the functions that rewritten expressions call.
func (c *compiler) chargedFuncs() map[string]function.Function {
	c.ensureCharged()
	return c.charged
}

// evalSlow evaluates e, rewritten to be charged, through HCL, once the
// conversion of what it reads is charged.
func (s *scope) evalSlow(e hclsyntax.Expression, funcs map[string]function.Function, r *Refs, a *Activation) (v Value, out st) {
	defer func() {
		if recover() != nil {
			v, out = Value{}, stFail
		}
	}()
	if !a.chargeCost(s.varsCost(r, a)) {
		return Value{}, stFail
	}
	vars := s.activationVars(r, a)
	vars[meterVar] = cty.CapsuleVal(activationType, a)
	ctx := &hcl.EvalContext{Variables: vars, Functions: funcs}
	cv, diags := e.Value(ctx)
	if diags.HasErrors() {
		return Value{}, stFail
	}
	return fromCty(cv)
}

// traversal compiles a reference: customer.x, event.x, context.x,
// segment.x, journey.x.stage, propensity, value, lever, each maybe followed
// by constant indexes (customer.tags[0]).
func (c *compiler) traversal(e *hclsyntax.ScopeTraversalExpr) *node {
	t := e.Traversal
	steps := t[1:]
	var n *node
	switch t.RootName() {
	case "customer", "event":
		l, src := c.scope.customer, recCustomer
		if t.RootName() == "event" {
			l, src = c.scope.event, recEvent
		}
		name, ok := firstKey(t)
		if !ok || l == nil {
			break
		}
		slot, ok := l.Slot(name)
		if !ok {
			break
		}
		n = slotNode(src, slot, l.Kind(slot))
		steps = steps[1:]
	case "context":
		name, ok := firstKey(t)
		if !ok || !c.scope.ctxRoot {
			break
		}
		n = contextNode(name)
		steps = steps[1:]
	case "segment":
		name, ok := firstKey(t)
		if !ok {
			break
		}
		i, ok := c.scope.segmentIndex(name)
		if !ok {
			break
		}
		n = segmentNode(i)
		steps = steps[1:]
	case "journey":
		name, ok := firstKey(t)
		if !ok || len(steps) < 2 {
			break
		}
		i, ok := c.scope.journeyIndex(name)
		if !ok {
			break
		}
		if a, ok := steps[1].(hcl.TraverseAttr); !ok || a.Name != "stage" {
			break
		}
		n = stageNode(i)
		steps = steps[2:]
	case "propensity":
		n = priorityNode(func(a *Activation) float64 { return a.Propensity })
	case "value":
		n = priorityNode(func(a *Activation) float64 { return a.ValueScore })
	case "lever":
		n = priorityNode(func(a *Activation) float64 { return a.Lever })
	}
	if n == nil {
		return c.slowNode(e, false)
	}
	for _, step := range steps {
		ix, ok := step.(hcl.TraverseIndex)
		if !ok || n.kind != KindStringList {
			return c.slowNode(e, false)
		}
		key := newConstNode(ix.Key, ix.SrcRange)
		if key == nil {
			return c.slowNode(e, false)
		}
		n = indexNode(n, key)
	}
	return n
}

// call compiles a function call: natively for the functions this package
// implements, else by calling the go-cty function with the arguments
// converted as HCL converts them.
func (c *compiler) call(e *hclsyntax.FunctionCallExpr) *node {
	f, ok := c.funcs[e.Name]
	if !ok || e.ExpandFinal {
		return c.slowNode(e, false)
	}
	args, allConst, ok := c.exprs(e.Args)
	if !ok {
		return c.slowNode(e, false)
	}
	if allConst {
		litArgs := make([]hclsyntax.Expression, len(args))
		for i, a := range args {
			litArgs[i] = lit(a)
		}
		cp := *e
		cp.Args = litArgs
		if n := c.fold(&cp); n != nil {
			return n
		}
		return c.slowNode(e, false)
	}
	if n := c.nativeCall(f, args); n != nil {
		return n
	}
	return c.ctyCall(e, f, args)
}
