package expr

import (
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Template is a compiled message template. It is safe for concurrent use.
type Template struct {
	src   string
	parts []tmplPart
	refs  Refs
	slow  int       // interpolations evaluated through HCL
	bufs  sync.Pool // *[]byte
	// budget is a fresh meter for each rendering.
	budget meter
}

// tmplPart is literal text, or an interpolation.
type tmplPart struct {
	lit string
	n   *node // nil for literal text
	s   strFn // n's value as a string, for kinds with no faster way
	rng hcl.Range
}

// CompileTemplate compiles a message template: the text of an HCL template
// (what stands between the quotes of a string, or a heredoc's body), with
// ${...} interpolations and %{...} directives over the runtime scopes.
func CompileTemplate(src string, env *Env) (*Template, error) {
	c, err := newCompiler(env)
	if err != nil {
		return nil, err
	}
	if err := checkSource(src, true); err != nil {
		return nil, err
	}
	e, diags := hclsyntax.ParseTemplate([]byte(src), "", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	c.useStatic(e)
	if err := checkDepth(e); err != nil {
		return nil, err
	}
	if err := checkLiterals(e); err != nil {
		return nil, err
	}
	if err := c.checkScopes(e); err != nil {
		return nil, err
	}
	if _, diags := c.typeCheck(e); diags.HasErrors() {
		return nil, diagError(diags)
	}
	t := &Template{src: src, refs: c.scope.refsOf(e.Variables()), budget: c.budget}
	t.budget.owner = t
	t.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	exprs := []hclsyntax.Expression{e}
	switch te := e.(type) {
	case *hclsyntax.TemplateExpr:
		exprs = te.Parts
	case *hclsyntax.TemplateWrapExpr:
		exprs[0] = te.Wrapped
	}
	for _, pe := range exprs {
		n := c.expr(pe)
		if n == nil {
			n = c.slowNode(pe, true)
		}
		if n == nil {
			return nil, errorAt(pe.Range(), "Unsupported expression", "The runtime cannot evaluate this interpolation.")
		}
		if n.isConst && n.k.kind == KindString {
			t.parts = append(t.parts, tmplPart{lit: n.k.str, rng: pe.Range()})
			continue
		}
		t.parts = append(t.parts, tmplPart{n: n, s: asStr(n), rng: pe.Range()})
	}
	t.slow = c.slow
	return t, nil
}

// Source returns the template's source text.
func (t *Template) Source() string { return t.src }

// Refs returns what the template reads.
func (t *Template) Refs() Refs { return t.refs }

// maxPooled is the largest buffer kept for the next rendering.
const maxPooled = 64 << 10

// Render renders the template. It fails, as HCL does, when an
// interpolation is null or fails, and with an error that wraps
// ErrOverBudget when the rendering went over its budget; the error says
// where, never what value.
func (t *Template) Render(a *Activation) (string, error) {
	bp := t.bufs.Get().(*[]byte)
	b, err := t.AppendRender((*bp)[:0], a)
	var out string
	if err == nil {
		out = nfc(string(b))
	}
	if cap(b) <= maxPooled {
		*bp = b[:0]
		t.bufs.Put(bp)
	}
	return out, err
}

// AppendRender appends the rendered template to dst. The text is not
// normalized (Render normalizes it to NFC, as cty would).
func (t *Template) AppendRender(dst []byte, a *Activation) ([]byte, error) {
	a.meter = t.budget
	for i := range t.parts {
		p := &t.parts[i]
		if p.n == nil {
			dst = append(dst, p.lit...)
			continue
		}
		var s st
		switch p.n.kind {
		case KindString:
			var x string
			x, s = p.n.s(a)
			if s == stOK && a.chargeText(len(x)) {
				dst = append(dst, x...)
			}
		case KindNumber:
			var x float64
			x, s = p.n.n(a)
			dst = appendNumber(dst, x)
		default:
			var x string
			x, s = p.s(a)
			if s == stOK && a.chargeText(len(x)) {
				dst = append(dst, x...)
			}
		}
		if a.meter.over {
			return dst, fmt.Errorf("%d:%d: %w", p.rng.Start.Line, p.rng.Start.Column, ErrOverBudget)
		}
		switch s {
		case stNull:
			return dst, fmt.Errorf("%d:%d: invalid template interpolation value: the value is null", p.rng.Start.Line, p.rng.Start.Column)
		case stFail:
			return dst, fmt.Errorf("%d:%d: the interpolation could not be evaluated: it meets a null or a value of the wrong type", p.rng.Start.Line, p.rng.Start.Column)
		}
	}
	return dst, nil
}
