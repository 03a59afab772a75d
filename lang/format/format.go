package format

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/waymarkhq/waymark/lang/limits"
)

// Source returns the canonical layout of src, a native-syntax file named
// filename. A file with syntax errors is never formatted: Source returns
// the parser's diagnostics and no bytes. Formatting its own result again
// returns that result unchanged.
func Source(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	// hclwrite accepts some input that hclsyntax rejects, and formatting a
	// broken file could rearrange it beyond the user's ability to repair,
	// so the real parser has the first word; and no parser sees a file
	// nested too deeply for its stack.
	if d := limits.CheckNesting(src, filename, hcl.InitialPos, limits.Config); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	formatBody(f.Body())
	out := f.Bytes()

	// A cleanup that produced invalid syntax would be a bug here; refuse to
	// hand back a file that no longer parses.
	if _, diags := hclsyntax.ParseConfig(out, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Formatting failed",
			Detail: fmt.Sprintf("Formatting %s produced invalid syntax (%s), so the file was left as it is. This is a bug in waymark fmt; please report it with the file's content.",
				filename, diags[0].Summary),
		}}
	}
	return out, nil
}

// formatBody applies the token-level cleanups to every attribute and block
// in body, at every depth.
func formatBody(body *hclwrite.Body) {
	for name, attr := range body.Attributes() {
		if toks, ok := unwrapInterpolation(attr.Expr().BuildTokens(nil)); ok {
			body.SetAttributeRaw(name, toks)
		}
	}
	for _, block := range body.Blocks() {
		// Rewriting the labels writes each in its quoted form (event
		// cart {} becomes event "cart" {}) and drops any comments between
		// them.
		block.SetLabels(block.Labels())
		formatBody(block.Body())
	}
}
