package expr

import (
	"math"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Arithmetic: operands converted to numbers; a null fails, and so does a
// result that is not a number (infinity minus infinity), where cty fails.

func (c *compiler) arith(e *hclsyntax.BinaryOpExpr) *node {
	l, r, folded, ok := c.operands(e)
	switch {
	case !ok:
		return c.slowNode(e, false)
	case folded != nil:
		return folded
	}
	for _, n := range [...]*node{l, r} {
		if n.kind != KindNumber && n.kind != KindString && n.kind != KindDynamic {
			return c.slowNode(e, false)
		}
	}
	ln, rn := asNum(l), asNum(r)
	var f func(x, y float64) (float64, st)
	switch e.Op {
	case hclsyntax.OpAdd:
		f = func(x, y float64) (float64, st) { return x + y, stOK }
	case hclsyntax.OpSubtract:
		f = func(x, y float64) (float64, st) { return x - y, stOK }
	case hclsyntax.OpMultiply:
		return newNumNode(func(a *Activation) (float64, st) {
			x, s1 := ln(a)
			y, s2 := rn(a)
			if s1 != stOK || s2 != stOK {
				return 0, stFail
			}
			z := x * y
			if z != z {
				return 0, stFail
			}
			return z, stOK
		})
	case hclsyntax.OpDivide:
		f = func(x, y float64) (float64, st) { return x / y, stOK }
	default:
		f = modulo
	}
	return newNumNode(func(a *Activation) (float64, st) {
		x, s1 := ln(a)
		y, s2 := rn(a)
		if s1 != stOK || s2 != stOK {
			return 0, stFail
		}
		z, s := f(x, y)
		if s != stOK || z != z {
			return 0, stFail
		}
		return z, stOK
	})
}

// modulo computes x % y as cty does for float64 operands: x minus the
// truncated quotient times y, rounding each step; x when y is zero.
func modulo(x, y float64) (float64, st) {
	if y == 0 {
		return x, stOK
	}
	if math.IsInf(x, 0) || math.IsInf(y, 0) {
		return 0, stFail
	}
	t := math.Trunc(x / y)
	p := float64(t * y)
	return x - p, stOK
}

func (c *compiler) unary(e *hclsyntax.UnaryOpExpr) *node {
	n := c.expr(e.Val)
	if n == nil {
		return c.slowNode(e, false)
	}
	if n.isConst {
		cp := *e
		cp.Val = lit(n)
		if f := c.fold(&cp); f != nil {
			return f
		}
		return c.slowNode(e, false)
	}
	switch e.Op {
	case hclsyntax.OpLogicalNot:
		b := asBool(n)
		return newBoolNode(func(a *Activation) tri {
			switch x := b(a); x {
			case triFalse, triTrue:
				return x ^ 1
			}
			return triFail
		})
	case hclsyntax.OpNegate:
		f := asNum(n)
		return newNumNode(func(a *Activation) (float64, st) {
			x, s := f(a)
			if s != stOK {
				return 0, stFail
			}
			return -x, stOK
		})
	}
	return c.slowNode(e, false)
}

// conditional compiles c ? x : y where x and y have one type, or one of
// them is the literal null; others need HCL's type unification.
