package rtexpr

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// simplify finishes the partial evaluation of a checked tree: a conditional
// whose condition is now a known bool becomes the branch taken, && and ||
// with a known side are reduced, and ! of a known bool is applied. So
// `var.enabled && customer.x` deploys as `customer.x`, or as `false`.
// The tree must have passed the checker, so that operands have their types.
func simplify(n node) node {
	switch n := n.(type) {
	case *condNode:
		cond := simplify(n.cond)
		if b, ok := knownBool(cond); ok {
			if b {
				return simplify(n.t)
			}
			return simplify(n.f)
		}
		return &condNode{cond: cond, t: simplify(n.t), f: simplify(n.f), rng: n.rng}
	case *binNode:
		l, r := simplify(n.lhs), simplify(n.rhs)
		if n.op == hclsyntax.OpLogicalAnd || n.op == hclsyntax.OpLogicalOr {
			// absorb is the value that decides the result on its own: false
			// for &&, true for ||; the other value leaves the other side.
			absorb := n.op == hclsyntax.OpLogicalOr
			for _, pair := range [][2]node{{l, r}, {r, l}} {
				if b, ok := knownBool(pair[0]); ok {
					if b == absorb {
						return &litNode{val: cty.BoolVal(absorb), rng: n.rng, sensitive: sensitiveIn(pair[0])}
					}
					return pair[1]
				}
			}
		}
		return &binNode{op: n.op, lhs: l, rhs: r, rng: n.rng}
	case *unNode:
		v := simplify(n.val)
		if b, ok := knownBool(v); ok && n.op == hclsyntax.OpLogicalNot {
			return &litNode{val: cty.BoolVal(!b), rng: n.rng, sensitive: sensitiveIn(v)}
		}
		return &unNode{op: n.op, val: v, rng: n.rng}
	case *parenNode:
		inner := simplify(n.inner)
		if l, ok := inner.(*litNode); ok {
			return &litNode{val: l.val, rng: n.rng, sensitive: l.sensitive}
		}
		return &parenNode{inner: inner, rng: n.rng}
	case *relNode:
		return &relNode{src: simplify(n.src), trav: n.trav, rng: n.rng}
	case *indexNode:
		return &indexNode{coll: simplify(n.coll), key: simplify(n.key), rng: n.rng}
	case *callNode:
		out := *n
		out.args = simplifyAll(n.args)
		return &out
	case *tmplNode:
		return mergeSimplified(simplifyAll(n.parts), n.rng)
	case *tupleNode:
		return &tupleNode{elems: simplifyAll(n.elems), rng: n.rng}
	case *objNode:
		out := &objNode{items: make([]objItem, len(n.items)), rng: n.rng}
		for i, it := range n.items {
			out.items[i] = objItem{key: simplify(it.key), val: simplify(it.val)}
		}
		return out
	}
	return n
}

func simplifyAll(ns []node) []node {
	out := make([]node, len(ns))
	for i, n := range ns {
		out[i] = simplify(n)
	}
	return out
}

// mergeSimplified rebuilds a template whose parts may have become known.
func mergeSimplified(parts []node, rng hcl.Range) node {
	c := &converter{st: &state{}}
	n := c.merge(parts, rng)
	if c.st.diags.HasErrors() { // a part became a value a template cannot hold
		return &tmplNode{parts: parts, rng: rng}
	}
	return n
}

// knownBool reports the value of a node that is a known, non-null bool.
func knownBool(n node) (bool, bool) {
	l, ok := n.(*litNode)
	if !ok || l.val.Type() != cty.Bool || l.val.IsNull() {
		return false, false
	}
	return l.val.True(), true
}
