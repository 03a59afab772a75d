package rtexpr

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// node is the partially evaluated form of an expression: what the checker
// types and the printer writes. Config-time parts are already litNodes.
type node interface {
	Range() hcl.Range
}

// litNode is a known value: a literal, or a config-time part evaluated.
type litNode struct {
	val       cty.Value // unmarked and wholly known
	rng       hcl.Range
	sensitive bool
}

// heldNode is a config-time part whose value is not known yet (validating
// without variable values). It is typed by the partial value and printed as
// written.
type heldNode struct {
	inner     node // the part as written, unevaluated
	ty        cty.Type
	constant  bool // the whole expression is this part
	sensitive bool
}

// errNode stands for a part already reported as an error; it types as
// dynamic so that no further errors cascade from it.
type errNode struct {
	rng hcl.Range
}

// refNode is a reference to a runtime scope, such as customer.tier.
type refNode struct {
	trav hcl.Traversal
	rng  hcl.Range
}

// relNode is a traversal applied to the result of an expression.
type relNode struct {
	src  node
	trav hcl.Traversal
	rng  hcl.Range
}

type indexNode struct {
	coll, key node
	rng       hcl.Range
}

type callNode struct {
	name                   string
	args                   []node
	expand                 bool
	rng, nameRng, closeRng hcl.Range
}

type binNode struct {
	op       *hclsyntax.Operation
	lhs, rhs node
	rng      hcl.Range
}

type unNode struct {
	op  *hclsyntax.Operation
	val node
	rng hcl.Range
}

type condNode struct {
	cond, t, f node
	rng        hcl.Range
}

type parenNode struct {
	inner node
	rng   hcl.Range
}

// tmplNode is a string template with at least one runtime part. Its
// constant parts are string litNodes, merged, never adjacent.
type tmplNode struct {
	parts []node
	rng   hcl.Range
}

type tupleNode struct {
	elems []node
	rng   hcl.Range
}

type objNode struct {
	items []objItem
	rng   hcl.Range
}

// objItem is an attribute of an object constructor. A string litNode key is
// a literal name; any other key is an expression.
type objItem struct {
	key, val node
}

// forNode, splatNode and anonNode exist only inside a heldNode, to print
// config-time for and splat expressions whose values are not known yet.
type forNode struct {
	keyVar, valVar string
	coll, key, val node // key nil for a tuple for
	cond           node // nil without an if clause
	group          bool
	rng            hcl.Range
}

type splatNode struct {
	src, each node
	rng       hcl.Range
}

type anonNode struct {
	rng hcl.Range
}

func (n *litNode) Range() hcl.Range   { return n.rng }
func (n *heldNode) Range() hcl.Range  { return n.inner.Range() }
func (n *errNode) Range() hcl.Range   { return n.rng }
func (n *refNode) Range() hcl.Range   { return n.rng }
func (n *relNode) Range() hcl.Range   { return n.rng }
func (n *indexNode) Range() hcl.Range { return n.rng }
func (n *callNode) Range() hcl.Range  { return n.rng }
func (n *binNode) Range() hcl.Range   { return n.rng }
func (n *unNode) Range() hcl.Range    { return n.rng }
func (n *condNode) Range() hcl.Range  { return n.rng }
func (n *parenNode) Range() hcl.Range { return n.rng }
func (n *tmplNode) Range() hcl.Range  { return n.rng }
func (n *tupleNode) Range() hcl.Range { return n.rng }
func (n *objNode) Range() hcl.Range   { return n.rng }
func (n *forNode) Range() hcl.Range   { return n.rng }
func (n *splatNode) Range() hcl.Range { return n.rng }
func (n *anonNode) Range() hcl.Range  { return n.rng }
