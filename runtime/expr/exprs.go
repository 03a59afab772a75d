package expr

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func (c *compiler) conditional(e *hclsyntax.ConditionalExpr) *node {
	ns, allConst, ok := c.exprs([]hclsyntax.Expression{e.Condition, e.TrueResult, e.FalseResult})
	if !ok {
		return c.slowNode(e, false)
	}
	cond, t, f := ns[0], ns[1], ns[2]
	if allConst {
		cp := *e
		cp.Condition, cp.TrueResult, cp.FalseResult = lit(cond), lit(t), lit(f)
		if n := c.fold(&cp); n != nil {
			return n
		}
		return c.slowNode(e, false)
	}
	kind := t.kind
	switch {
	case t.isNull():
		kind = f.kind
	case f.isNull():
	case t.kind != f.kind || t.tuple || f.tuple:
		return c.slowNode(e, false)
	}
	if kind == KindDynamic {
		return c.slowNode(e, false)
	}
	cb := asBool(cond)
	tv, fv := t.v, f.v
	n := newValNode(kind, false, func(a *Activation) (Value, st) {
		switch cb(a) {
		case triTrue:
			return tv(a)
		case triFalse:
			return fv(a)
		}
		return Value{}, stFail
	})
	switch kind {
	case KindBool:
		tb, fb := t.b, f.b
		n.b = func(a *Activation) tri {
			switch cb(a) {
			case triTrue:
				return tb(a)
			case triFalse:
				return fb(a)
			}
			return triFail
		}
	case KindNumber:
		tn, fn := t.n, f.n
		n.n = func(a *Activation) (float64, st) {
			switch cb(a) {
			case triTrue:
				return tn(a)
			case triFalse:
				return fn(a)
			}
			return 0, stFail
		}
	case KindString:
		ts, fs := t.s, f.s
		n.s = func(a *Activation) (string, st) {
			switch cb(a) {
			case triTrue:
				return ts(a)
			case triFalse:
				return fs(a)
			}
			return "", stFail
		}
	}
	return n
}

// index compiles coll[key] on a list of strings.
func (c *compiler) index(e *hclsyntax.IndexExpr) *node {
	ns, allConst, ok := c.exprs([]hclsyntax.Expression{e.Collection, e.Key})
	if !ok {
		return c.slowNode(e, false)
	}
	coll, key := ns[0], ns[1]
	if allConst {
		cp := *e
		cp.Collection, cp.Key = lit(coll), lit(key)
		if n := c.fold(&cp); n != nil {
			return n
		}
		return c.slowNode(e, false)
	}
	if coll.kind != KindStringList || (key.kind != KindNumber && key.kind != KindString && key.kind != KindDynamic) {
		return c.slowNode(e, false)
	}
	return indexNode(coll, key)
}

// tuple compiles a list literal: constant ones only; others go through HCL
// with their parent, since an element may be null.
func (c *compiler) tuple(e *hclsyntax.TupleConsExpr) *node {
	ns, allConst, ok := c.exprs(e.Exprs)
	if ok && allConst {
		lits := make([]hclsyntax.Expression, len(ns))
		for i, n := range ns {
			lits[i] = lit(n)
		}
		cp := *e
		cp.Exprs = lits
		if n := c.fold(&cp); n != nil {
			return n
		}
	}
	return c.slowNode(e, false)
}

// template compiles a string template: every part converted to a string,
// a null part fails.
func (c *compiler) template(e *hclsyntax.TemplateExpr) *node {
	ns, allConst, ok := c.exprs(e.Parts)
	if !ok {
		return c.slowNode(e, false)
	}
	if allConst {
		lits := make([]hclsyntax.Expression, len(ns))
		for i, n := range ns {
			lits[i] = lit(n)
		}
		cp := *e
		cp.Parts = lits
		if n := c.fold(&cp); n != nil {
			return n
		}
		return c.slowNode(e, false)
	}
	parts := make([]strFn, len(ns))
	for i, n := range ns {
		if n.kind == KindStringList {
			return c.slowNode(e, false)
		}
		parts[i] = asStr(n)
	}
	c.metered = true
	return newStrNode(func(a *Activation) (string, st) {
		// The parts first, so that the text is charged, and allocated,
		// once.
		var small [8]string
		xs := small[:0]
		size := 0
		for _, p := range parts {
			x, s := p(a)
			if s != stOK {
				return "", stFail
			}
			xs = append(xs, x)
			size += len(x)
		}
		if !a.chargeText(size) {
			return "", stFail
		}
		return concat(xs), stOK
	})
}
