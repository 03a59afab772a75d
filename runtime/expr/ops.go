package expr

import "github.com/hashicorp/hcl/v2/hclsyntax"

// binary compiles a binary operator.
func (c *compiler) binary(e *hclsyntax.BinaryOpExpr) *node {
	switch e.Op {
	case hclsyntax.OpLogicalAnd, hclsyntax.OpLogicalOr:
		return c.logic(e)
	case hclsyntax.OpEqual, hclsyntax.OpNotEqual:
		return c.equality(e)
	case hclsyntax.OpGreaterThan, hclsyntax.OpGreaterThanOrEqual, hclsyntax.OpLessThan, hclsyntax.OpLessThanOrEqual:
		return c.compare(e)
	case hclsyntax.OpAdd, hclsyntax.OpSubtract, hclsyntax.OpMultiply, hclsyntax.OpDivide, hclsyntax.OpModulo:
		return c.arith(e)
	}
	return c.slowNode(e, false)
}

// operands compiles both sides of e; folded is set (and n returned) when
// both are constants.
func (c *compiler) operands(e *hclsyntax.BinaryOpExpr) (l, r, folded *node, ok bool) {
	l, r = c.expr(e.LHS), c.expr(e.RHS)
	if l == nil || r == nil {
		return nil, nil, nil, false
	}
	if l.isConst && r.isConst {
		cp := *e
		cp.LHS, cp.RHS = lit(l), lit(r)
		if n := c.fold(&cp); n != nil {
			return nil, nil, n, true
		}
		return nil, nil, nil, false
	}
	return l, r, nil, true
}
