package rtexpr

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/limits"
)

// nativeExpr returns expr as native syntax. An expression of HCL's JSON
// syntax holds a native template in a JSON string (a lone interpolation is
// the expression itself); a JSON number, bool or null is a literal.
func nativeExpr(expr hcl.Expression, limit int) (hclsyntax.Expression, hcl.Diagnostics) {
	rng := expr.Range()
	if e, ok := expr.(hclsyntax.Expression); ok {
		if n := rng.End.Byte - rng.Start.Byte; n > limit {
			return nil, tooLongAt(rng, n, limit)
		}
		return e, nil
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return nil, diags
	}
	switch {
	case v.Type() == cty.String && v.IsKnown() && !v.IsNull():
		src := v.AsString()
		if len(src) > limit {
			return nil, tooLongAt(rng, len(src), limit)
		}
		// Skip the opening quote; escapes in the JSON string make later
		// columns approximate, as in HCL's own JSON support.
		start := hcl.Pos{Line: rng.Start.Line, Column: rng.Start.Column + 1, Byte: rng.Start.Byte + 1}
		if d := prescan([]byte(src), rng.Filename, start, limits.Template); d != nil {
			return nil, hcl.Diagnostics{d}
		}
		return hclsyntax.ParseTemplate([]byte(src), rng.Filename, start)
	case v.Type().IsPrimitiveType() || v.Type() == cty.DynamicPseudoType:
		return &hclsyntax.LiteralValueExpr{Val: v, SrcRange: rng}, nil
	}
	return nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid expression",
		Detail:   "In JSON syntax a runtime expression is a string holding native syntax, such as \"${customer.tier == \\\"gold\\\"}\".",
		Subject:  rng.Ptr(),
	}}
}

func tooLongAt(rng hcl.Range, n, limit int) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Expression too long",
		Detail:   fmt.Sprintf("This expression is %d bytes long; at most %d bytes are allowed.", n, limit),
		Subject:  rng.Ptr(),
	}}
}
