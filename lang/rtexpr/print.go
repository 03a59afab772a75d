package rtexpr

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The printer writes a node tree as canonical native syntax, spaced as
// hclwrite spaces it, from the tree alone: formatting, comments and the
// JSON-or-native choice of the input never show.

// printExpr returns the canonical source of an expression.
func printExpr(n node) string {
	var p printer
	p.expr(n, 0)
	return p.String()
}

// printTemplateText returns the canonical text of a template: the body of a
// template file, not a quoted string.
func printTemplateText(n node) string {
	var p printer
	switch n := n.(type) {
	case *tmplNode:
		p.templateParts(n.parts, false)
	case *litNode:
		if s, err := toString(n.val); err == nil {
			p.WriteString(escapeTemplate(s.AsString(), false))
		}
	default:
		p.templateParts([]node{n}, false)
	}
	return p.String()
}

type printer struct {
	strings.Builder
}

var binPrec = map[*hclsyntax.Operation]int{
	hclsyntax.OpLogicalOr:  1,
	hclsyntax.OpLogicalAnd: 2,
	hclsyntax.OpEqual:      3, hclsyntax.OpNotEqual: 3,
	hclsyntax.OpGreaterThan: 4, hclsyntax.OpGreaterThanOrEqual: 4,
	hclsyntax.OpLessThan: 4, hclsyntax.OpLessThanOrEqual: 4,
	hclsyntax.OpAdd: 5, hclsyntax.OpSubtract: 5,
	hclsyntax.OpMultiply: 6, hclsyntax.OpDivide: 6, hclsyntax.OpModulo: 6,
}

const (
	precUnary = 7
	precTerm  = 8
)

// prec is how tightly a node binds: 0 for a conditional, 1-6 for binary
// operators, 7 for unary ones, 8 for terms.
func prec(n node) int {
	switch n := n.(type) {
	case *condNode:
		return 0
	case *binNode:
		return binPrec[n.op]
	case *unNode:
		return precUnary
	case *litNode:
		if n.val.Type() == cty.Number && !n.val.IsNull() && n.val.AsBigFloat().Sign() < 0 {
			return precUnary
		}
	case *heldNode:
		return prec(n.inner)
	}
	return precTerm
}

// expr writes n, in parentheses when it binds less tightly than min.
func (p *printer) expr(n node, min int) {
	if prec(n) < min {
		p.WriteByte('(')
		p.node(n)
		p.WriteByte(')')
		return
	}
	p.node(n)
}

func (p *printer) node(n node) {
	switch n := n.(type) {
	case *litNode:
		p.value(n.val)
	case *heldNode:
		p.node(n.inner)
	case *errNode:
		p.WriteString("null")
	case *refNode:
		p.WriteString(n.trav.RootName())
		p.steps(n.trav[1:])
	case *relNode:
		p.expr(n.src, precTerm)
		p.steps(n.trav)
	case *indexNode:
		p.expr(n.coll, precTerm)
		p.WriteByte('[')
		p.expr(n.key, 0)
		p.WriteByte(']')
	case *callNode:
		p.WriteString(n.name)
		p.WriteByte('(')
		for i, a := range n.args {
			if i > 0 {
				p.WriteString(", ")
			}
			p.expr(a, 0)
		}
		if n.expand {
			p.WriteString("...")
		}
		p.WriteByte(')')
	case *binNode:
		pr := binPrec[n.op]
		p.expr(n.lhs, pr)
		p.WriteByte(' ')
		p.WriteString(opSymbols[n.op])
		p.WriteByte(' ')
		p.expr(n.rhs, pr+1)
	case *unNode:
		p.WriteString(opSymbols[n.op])
		p.expr(n.val, precUnary)
	case *condNode:
		p.expr(n.cond, 1)
		p.WriteString(" ? ")
		p.expr(n.t, 0)
		p.WriteString(" : ")
		p.expr(n.f, 0)
	case *parenNode:
		p.WriteByte('(')
		p.expr(n.inner, 0)
		p.WriteByte(')')
	case *tmplNode:
		p.WriteByte('"')
		p.templateParts(n.parts, true)
		p.WriteByte('"')
	case *tupleNode:
		p.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				p.WriteString(", ")
			}
			p.expr(e, 0)
		}
		p.WriteByte(']')
	case *objNode:
		if len(n.items) == 0 {
			p.WriteString("{}")
			return
		}
		p.WriteString("{ ")
		for i, it := range n.items {
			if i > 0 {
				p.WriteString(", ")
			}
			if k, ok := it.key.(*litNode); ok && k.val.Type() == cty.String && !k.val.IsNull() {
				p.WriteString(objectKey(k.val.AsString()))
			} else if _, isParen := it.key.(*parenNode); isParen {
				p.node(it.key)
			} else {
				p.WriteByte('(')
				p.expr(it.key, 0)
				p.WriteByte(')')
			}
			p.WriteString(" = ")
			p.expr(it.val, 0)
		}
		p.WriteString(" }")
	case *forNode:
		open, close := "[", "]"
		if n.key != nil {
			open, close = "{", "}"
		}
		p.WriteString(open + "for ")
		if n.keyVar != "" {
			p.WriteString(n.keyVar + ", ")
		}
		p.WriteString(n.valVar + " in ")
		p.expr(n.coll, 0)
		p.WriteString(" : ")
		if n.key != nil {
			p.expr(n.key, 0)
			p.WriteString(" => ")
		}
		p.expr(n.val, 0)
		if n.group {
			p.WriteString("...")
		}
		if n.cond != nil {
			p.WriteString(" if ")
			p.expr(n.cond, 0)
		}
		p.WriteString(close)
	case *splatNode:
		p.expr(n.src, precTerm)
		p.WriteString("[*]")
		p.node(n.each)
	case *anonNode:
	}
}

// steps writes traversal steps: .name, [0], ["key"].
func (p *printer) steps(t hcl.Traversal) {
	for _, s := range t {
		switch s := s.(type) {
		case hcl.TraverseAttr:
			p.WriteByte('.')
			p.WriteString(s.Name)
		case hcl.TraverseIndex:
			p.WriteByte('[')
			p.value(s.Key)
			p.WriteByte(']')
		case hcl.TraverseSplat:
			p.WriteString("[*]")
		}
	}
}

// templateParts writes the parts of a template; quoted says whether it is
// inside a quoted string (which also escapes quotes, backslashes and
// control characters).
func (p *printer) templateParts(parts []node, quoted bool) {
	for i, part := range parts {
		if l, ok := part.(*litNode); ok && l.val.Type() == cty.String && !l.val.IsNull() {
			s := l.val.AsString()
			// "$" right before an interpolation would read as the escape
			// "$${", so a trailing run of them is written as a string.
			dollars := ""
			if i+1 < len(parts) {
				t := strings.TrimRight(s, "$")
				s, dollars = t, s[len(t):]
			}
			p.WriteString(escapeTemplate(s, quoted))
			if dollars != "" {
				p.WriteString(`${"` + dollars + `"}`)
			}
			continue
		}
		p.WriteString("${")
		p.expr(part, 0)
		p.WriteByte('}')
	}
}

// value writes a known value as a literal or a constructor.
func (p *printer) value(v cty.Value) {
	ty := v.Type()
	switch {
	case v.IsNull():
		p.WriteString("null")
	case !v.IsKnown():
		p.WriteString("null") // never printed: unknown parts are heldNodes
	case ty == cty.String:
		p.WriteByte('"')
		p.WriteString(escapeTemplate(v.AsString(), true))
		p.WriteByte('"')
	case ty == cty.Number:
		p.WriteString(numberString(v.AsBigFloat()))
	case ty == cty.Bool:
		if v.True() {
			p.WriteString("true")
		} else {
			p.WriteString("false")
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		p.WriteByte('[')
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				p.WriteString(", ")
			}
			_, ev := it.Element()
			p.value(ev)
		}
		p.WriteByte(']')
	case ty.IsMapType() || ty.IsObjectType():
		if v.LengthInt() == 0 {
			p.WriteString("{}")
			return
		}
		p.WriteString("{ ")
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				p.WriteString(", ")
			}
			k, ev := it.Element()
			p.WriteString(objectKey(k.AsString()))
			p.WriteString(" = ")
			p.value(ev)
		}
		p.WriteString(" }")
	default:
		p.WriteString("null") // refused by unprintable before printing
	}
}

// numberString writes a number as JavaScript does: in plain decimal when
// its decimal exponent is between -7 and 21 (exclusive), else in exponent
// form, in both cases with the fewest digits that read back as the same
// number.
func numberString(f *big.Float) string {
	if f.Sign() == 0 {
		return "0"
	}
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return strconv.FormatInt(i, 10)
		}
	}
	// Fast path: the shortest float64 form, when it reads back exactly.
	if f64, _ := f.Float64(); !math.IsInf(f64, 0) && f64 != 0 {
		s := jsForm(strconv.FormatFloat(f64, 'e', -1, 64), func() string { return strconv.FormatFloat(f64, 'f', -1, 64) })
		if back, _, err := big.ParseFloat(s, 10, f.Prec(), big.ToNearestEven); err == nil && back.Cmp(f) == 0 {
			return s
		}
	}
	return jsForm(f.Text('e', -1), func() string { return f.Text('f', -1) })
}

// jsForm chooses between an exponent form (d.ddde±dd) and a plain one.
func jsForm(exp string, plain func() string) string {
	i := strings.IndexByte(exp, 'e')
	e, err := strconv.Atoi(exp[i+1:])
	if err != nil || (e > -7 && e < 21) {
		return plain()
	}
	return exp[:i+1] + strconv.Itoa(e)
}

// objectKey writes an object key: bare when it is a plain identifier, else
// quoted. Keys HCL reads specially (for, null, true, false) are quoted.
func objectKey(s string) string {
	switch s {
	case "for", "null", "true", "false", "in", "if":
		return quote(s)
	}
	if s == "" {
		return quote(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && '0' <= c && c <= '9':
		default:
			return quote(s)
		}
	}
	return s
}

func quote(s string) string {
	return `"` + escapeTemplate(s, true) + `"`
}

// escapeTemplate escapes template text: "${" and "%{" are doubled; in a
// quoted string also quotes, backslashes and control characters, as
// hclwrite does.
func escapeTemplate(s string, quoted bool) string {
	var b strings.Builder
	b.Grow(len(s))
	if !quoted { // bytes pass through untouched
		for i := 0; i < len(s); i++ {
			b.WriteByte(s[i])
			if (s[i] == '$' || s[i] == '%') && i+1 < len(s) && s[i+1] == '{' {
				b.WriteByte(s[i])
			}
		}
		return b.String()
	}
	for i, r := range s {
		switch {
		case r == '$' || r == '%':
			b.WriteRune(r)
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteRune(r)
			}
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case !unicode.IsPrint(r):
			if r < 0x10000 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// traversalString is the canonical text of a traversal, for messages.
func traversalString(t hcl.Traversal) string {
	var p printer
	if len(t) > 0 {
		if r, ok := t[0].(hcl.TraverseRoot); ok {
			p.WriteString(r.Name)
			t = t[1:]
		}
	}
	p.steps(t)
	return p.String()
}
