package format

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// unwrapInterpolation returns the expression inside a value written as a
// lone interpolation, "${x}" becoming x, and whether it did. A template with
// any literal text, directive or second interpolation ("Hi ${x}",
// "${a}${b}") is left alone, as are heredocs. "${x}" and x mean the same in
// HCL: a template that is one interpolation yields the wrapped value itself,
// of whatever type, without converting it to a string.
func unwrapInterpolation(toks hclwrite.Tokens) (hclwrite.Tokens, bool) {
	n := len(toks)
	if n < 5 ||
		toks[0].Type != hclsyntax.TokenOQuote ||
		toks[1].Type != hclsyntax.TokenTemplateInterp ||
		toks[n-2].Type != hclsyntax.TokenTemplateSeqEnd ||
		toks[n-1].Type != hclsyntax.TokenCQuote {
		return nil, false
	}
	// The parser decides whether the template is exactly one
	// interpolation: it wraps only such a template in a TemplateWrapExpr.
	expr, diags := hclsyntax.ParseExpression(toks.Bytes(), "", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, false
	}
	if _, ok := expr.(*hclsyntax.TemplateWrapExpr); !ok {
		return nil, false
	}

	inner := trimNewlines(toks[2 : n-2])
	if len(inner) == 0 {
		return nil, false
	}
	for _, t := range inner {
		if t.Type == hclsyntax.TokenComment {
			// A comment inside "${ }" has nowhere tidy to go; keep the
			// user's layout.
			return nil, false
		}
	}
	if !newlineOutsideBrackets(inner) {
		return inner, true
	}
	// Inside "${ }" newlines are free; in an attribute value they end the
	// attribute unless brackets are open. Parentheses, each on a line of
	// its own, keep a multi-line expression (a conditional, say) one value.
	out := make(hclwrite.Tokens, 0, len(inner)+4)
	out = append(out,
		&hclwrite.Token{Type: hclsyntax.TokenOParen, Bytes: []byte("(")},
		&hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")})
	out = append(out, inner...)
	out = append(out,
		&hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
		&hclwrite.Token{Type: hclsyntax.TokenCParen, Bytes: []byte(")")})
	return out, true
}

// newlineOutsideBrackets reports whether toks hold a newline that no
// bracket, brace, parenthesis, string or template encloses.
func newlineOutsideBrackets(toks hclwrite.Tokens) bool {
	depth := 0
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenOBrace,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack, hclsyntax.TokenCBrace,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc,
			hclsyntax.TokenTemplateSeqEnd:
			depth--
		case hclsyntax.TokenNewline:
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

// trimNewlines drops newline tokens from both ends of toks.
func trimNewlines(toks hclwrite.Tokens) hclwrite.Tokens {
	start, end := 0, len(toks)
	for start < end && toks[start].Type == hclsyntax.TokenNewline {
		start++
	}
	for end > start && toks[end-1].Type == hclsyntax.TokenNewline {
		end--
	}
	return toks[start:end]
}
