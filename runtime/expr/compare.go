package expr

import "github.com/hashicorp/hcl/v2/hclsyntax"

// Equality: no conversion; nulls are equal to each other and to nothing
// else; values of different types are not equal.

func (c *compiler) equality(e *hclsyntax.BinaryOpExpr) *node {
	l, r, folded, ok := c.operands(e)
	switch {
	case !ok:
		return c.slowNode(e, false)
	case folded != nil:
		return folded
	case l.kind == KindStringList || r.kind == KindStringList:
		// Lists and tuples of the same strings are not equal in cty.
		return c.slowNode(e, false)
	}
	if l.isConst {
		l, r = r, l
	}
	f := eqFn(l, r)
	if e.Op == hclsyntax.OpNotEqual {
		return newBoolNode(func(a *Activation) tri {
			t := f(a)
			if t <= triTrue {
				return t ^ 1
			}
			return t
		})
	}
	return newBoolNode(f)
}

// eqFn compares l with r; r may be a constant, l is not.
func eqFn(l, r *node) boolFn {
	if r.isNull() {
		return isNullFn(l)
	}
	if r.isConst {
		k := r.k
		switch {
		case l.kind == KindString && k.kind == KindString:
			ks := k.str
			if l.rec != recNone {
				ev, slot := l.rec == recEvent, l.slot
				return func(a *Activation) tri {
					rec := a.Customer
					if ev {
						rec = a.Event
					}
					if uint(slot) < uint(len(rec)) {
						if v := &rec[slot]; v.kind == KindString {
							return triOf(v.str == ks)
						}
					}
					return triFalse
				}
			}
			ls := l.s
			return func(a *Activation) tri {
				x, s := ls(a)
				if s == stFail {
					return triFail
				}
				return triOf(s == stOK && x == ks)
			}
		case l.kind == KindNumber && k.kind == KindNumber:
			kf, eqable := r.nc.f, r.nc.eqable
			ln := l.n
			return func(a *Activation) tri {
				x, s := ln(a)
				if s == stFail {
					return triFail
				}
				return triOf(s == stOK && eqable && x == kf)
			}
		case l.kind == KindBool && k.kind == KindBool:
			lb, kb := l.b, triOf(k.b)
			return func(a *Activation) tri {
				x := lb(a)
				if x == triFail {
					return triFail
				}
				return triOf(x == kb)
			}
		case l.kind == KindDynamic:
			lv, eqable := l.v, k.kind != KindNumber || r.nc.eqable
			return func(a *Activation) tri {
				x, s := lv(a)
				if s == stFail {
					return triFail
				}
				return triOf(s == stOK && eqable && x.Equal(k))
			}
		}
		// Different static types: only null == null, and r is not null.
		lv := l.v
		return func(a *Activation) tri {
			if _, s := lv(a); s == stFail {
				return triFail
			}
			return triFalse
		}
	}
	if l.kind == r.kind && l.kind == KindString {
		ls, rs := l.s, r.s
		return func(a *Activation) tri {
			x, s1 := ls(a)
			y, s2 := rs(a)
			if s1 == stFail || s2 == stFail {
				return triFail
			}
			return triOf(s1 == s2 && x == y)
		}
	}
	if l.kind == r.kind && l.kind == KindNumber {
		ln, rn := l.n, r.n
		return func(a *Activation) tri {
			x, s1 := ln(a)
			y, s2 := rn(a)
			if s1 == stFail || s2 == stFail {
				return triFail
			}
			return triOf(s1 == s2 && x == y)
		}
	}
	lv, rv := l.v, r.v
	return func(a *Activation) tri {
		x, s1 := lv(a)
		y, s2 := rv(a)
		if s1 == stFail || s2 == stFail {
			return triFail
		}
		return triOf(x.Equal(y))
	}
}

// isNullFn tests n == null: presence.
func isNullFn(n *node) boolFn {
	if n.rec != recNone {
		ev, slot, kind := n.rec == recEvent, n.slot, n.kind
		return func(a *Activation) tri {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind != KindDynamic && (kind == KindDynamic || v.kind == kind) {
					return triFalse
				}
			}
			return triTrue
		}
	}
	v := n.v
	return func(a *Activation) tri {
		_, s := v(a)
		switch s {
		case stNull:
			return triTrue
		case stFail:
			return triFail
		}
		return triFalse
	}
}

// Comparisons: both operands converted to numbers; a null fails.

type cmpOp uint8

const (
	opGT cmpOp = iota
	opGE
	opLT
	opLE
)

func cmpOpOf(op *hclsyntax.Operation) cmpOp {
	switch op {
	case hclsyntax.OpGreaterThanOrEqual:
		return opGE
	case hclsyntax.OpLessThan:
		return opLT
	case hclsyntax.OpLessThanOrEqual:
		return opLE
	}
	return opGT
}

// mirror returns the operator that compares the operands swapped.
func (o cmpOp) mirror() cmpOp {
	switch o {
	case opGT:
		return opLT
	case opGE:
		return opLE
	case opLT:
		return opGT
	}
	return opGE
}

func (c *compiler) compare(e *hclsyntax.BinaryOpExpr) *node {
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
	op := cmpOpOf(e.Op)
	if l.isConst && l.k.kind == KindNumber {
		l, r, op = r, l, op.mirror()
	}
	if r.isConst && r.k.kind == KindNumber {
		// Compare exactly with the constant, as cty does, through the
		// float64 values either side of it when it has none. cty's >= and
		// <= are > or < exactly, or == as cty decides equality: by the
		// numbers' shortest decimal text.
		nc := r.nc
		k := nc.f
		if !nc.exact {
			switch op {
			case opGT:
				op, k = opGE, nc.hi
			case opLT:
				op, k = opLE, nc.lo
			case opGE:
				if nc.eqable && nc.f == nc.lo {
					ln := asNum(l)
					return newBoolNode(func(a *Activation) tri {
						x, s := ln(a)
						if s != stOK {
							return triFail
						}
						return triOf(x >= nc.hi || x == nc.lo)
					})
				}
				k = nc.hi
			case opLE:
				if nc.eqable && nc.f == nc.hi {
					ln := asNum(l)
					return newBoolNode(func(a *Activation) tri {
						x, s := ln(a)
						if s != stOK {
							return triFail
						}
						return triOf(x <= nc.lo || x == nc.hi)
					})
				}
				k = nc.lo
			}
		}
		if l.rec != recNone && l.kind == KindNumber {
			return newBoolNode(cmpSlotConst(l.rec == recEvent, l.slot, op, k))
		}
		return newBoolNode(cmpConst(asNum(l), op, k))
	}
	ln, rn := asNum(l), asNum(r)
	return newBoolNode(func(a *Activation) tri {
		x, s1 := ln(a)
		y, s2 := rn(a)
		if s1 != stOK || s2 != stOK {
			return triFail
		}
		return cmp(op, x, y)
	})
}

func cmp(op cmpOp, x, y float64) tri {
	switch op {
	case opGT:
		return triOf(x > y)
	case opGE:
		return triOf(x >= y)
	case opLT:
		return triOf(x < y)
	}
	return triOf(x <= y)
}

func cmpSlotConst(ev bool, slot int, op cmpOp, k float64) boolFn {
	switch op {
	case opGT:
		return func(a *Activation) tri {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindNumber {
					return triOf(v.num > k)
				}
			}
			return triFail
		}
	case opGE:
		return func(a *Activation) tri {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindNumber {
					return triOf(v.num >= k)
				}
			}
			return triFail
		}
	case opLT:
		return func(a *Activation) tri {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindNumber {
					return triOf(v.num < k)
				}
			}
			return triFail
		}
	}
	return func(a *Activation) tri {
		rec := a.Customer
		if ev {
			rec = a.Event
		}
		if uint(slot) < uint(len(rec)) {
			if v := &rec[slot]; v.kind == KindNumber {
				return triOf(v.num <= k)
			}
		}
		return triFail
	}
}

func cmpConst(ln numFn, op cmpOp, k float64) boolFn {
	return func(a *Activation) tri {
		x, s := ln(a)
		if s != stOK {
			return triFail
		}
		return cmp(op, x, k)
	}
}
