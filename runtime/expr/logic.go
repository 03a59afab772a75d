package expr

import "github.com/hashicorp/hcl/v2/hclsyntax"

// Logical operators.
//
// HCL evaluates both operands, converts them to bool (a failed conversion
// fails the operation), then: for &&, a false or null operand makes it
// false, whatever the other; else a failed operand fails it; else true. For
// ||, a true operand makes it true; else a failed or null operand fails it;
// else false. For operands that are bools already, these rules are
// associative and commutative, so a chain compiles to one node that stops
// at the first operand that decides it.

func (c *compiler) logic(e *hclsyntax.BinaryOpExpr) *node {
	exprs := flatten(e)
	ns, allConst, ok := c.exprs(exprs)
	if !ok {
		return c.slowNode(e, false)
	}
	and := e.Op == hclsyntax.OpLogicalAnd
	if allConst {
		acc := ns[0]
		for _, n := range ns[1:] {
			acc = c.fold(&hclsyntax.BinaryOpExpr{LHS: lit(acc), Op: e.Op, RHS: lit(n), SrcRange: e.SrcRange})
			if acc == nil {
				return c.slowNode(e, false)
			}
		}
		return acc
	}
	// The longest prefix of bool operands makes one node; the rest combine
	// with it pairwise, left to right, as HCL associates them.
	i := 0
	for i < len(ns) && ns[i].kind == KindBool {
		i++
	}
	var acc *node
	switch {
	case i >= 2:
		fs := make([]boolFn, i)
		for j := range fs {
			fs[j] = ns[j].b
		}
		if and {
			acc = newBoolNode(andN(fs))
		} else {
			acc = newBoolNode(orN(fs))
		}
	default:
		acc, i = ns[0], 1
	}
	for _, n := range ns[i:] {
		acc = newBoolNode(logicConv(and, operandOf(acc), operandOf(n)))
	}
	return acc
}

// flatten returns the operands of a left-associated chain of e's operator.
func flatten(e *hclsyntax.BinaryOpExpr) []hclsyntax.Expression {
	var rev []hclsyntax.Expression
	var cur hclsyntax.Expression = e
	for {
		b, ok := cur.(*hclsyntax.BinaryOpExpr)
		if !ok || b.Op != e.Op {
			rev = append(rev, cur)
			break
		}
		rev = append(rev, b.RHS)
		cur = b.LHS
	}
	out := make([]hclsyntax.Expression, len(rev))
	for i, x := range rev {
		out[len(rev)-1-i] = x
	}
	return out
}

func andN(fs []boolFn) boolFn {
	if len(fs) == 2 {
		l, r := fs[0], fs[1]
		return func(a *Activation) tri {
			x := l(a)
			if x&1 == 0 {
				return triFalse
			}
			y := r(a)
			if y&1 == 0 {
				return triFalse
			}
			if x == triFail || y == triFail {
				return triFail
			}
			return triTrue
		}
	}
	return func(a *Activation) tri {
		out := triTrue
		for _, f := range fs {
			x := f(a)
			if x&1 == 0 {
				return triFalse
			}
			if x == triFail {
				out = triFail
			}
		}
		return out
	}
}

func orN(fs []boolFn) boolFn {
	if len(fs) == 2 {
		l, r := fs[0], fs[1]
		return func(a *Activation) tri {
			x := l(a)
			if x == triTrue {
				return triTrue
			}
			y := r(a)
			if y == triTrue {
				return triTrue
			}
			if x == triFalse && y == triFalse {
				return triFalse
			}
			return triFail
		}
	}
	return func(a *Activation) tri {
		out := triFalse
		for _, f := range fs {
			x := f(a)
			if x == triTrue {
				return triTrue
			}
			if x != triFalse {
				out = triFail
			}
		}
		return out
	}
}

// operand evaluates a logical operand; conv reports a failed conversion
// to bool, which fails the operation whatever the other operand.
type operand func(*Activation) (t tri, conv bool)

func operandOf(n *node) operand {
	switch n.kind {
	case KindBool:
		b := n.b
		return func(a *Activation) (tri, bool) { return b(a), false }
	case KindString, KindDynamic:
		v := n.v
		return func(a *Activation) (tri, bool) {
			x, s := v(a)
			if s != stOK {
				return tri(s) + 1, false
			}
			return valueToBool(x)
		}
	}
	return func(*Activation) (tri, bool) { return triFail, true }
}

func logicConv(and bool, l, r operand) boolFn {
	return func(a *Activation) tri {
		x, xc := l(a)
		y, yc := r(a)
		switch {
		case xc || yc:
			return triFail
		case and:
			return and2(x, y)
		}
		return or2(x, y)
	}
}

// and2 and or2 combine two evaluated operands.
func and2(x, y tri) tri {
	switch {
	case x&1 == 0 || y&1 == 0:
		return triFalse
	case x == triFail || y == triFail:
		return triFail
	}
	return triTrue
}

func or2(x, y tri) tri {
	switch {
	case x == triTrue || y == triTrue:
		return triTrue
	case x == triFalse && y == triFalse:
		return triFalse
	}
	return triFail
}
