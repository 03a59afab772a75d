package rtexpr

import (
	"fmt"
	"runtime"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/limits"
)

// SensitiveMark is the cty mark that flags a sensitive config-time value.
// The loader marks the values of sensitive variables (and anything derived
// from them) with val.Mark(rtexpr.SensitiveMark); the mark is the plain
// string "sensitive".
const SensitiveMark = "sensitive"

// Limits on what is analysed. Deployed text must stay within them too.
const (
	// MaxDepth is how deeply an expression may nest (each operator,
	// call, index, parenthesis or constructor is one level).
	MaxDepth = 64
	// MaxSourceLen is the longest runtime expression, in bytes, both as
	// written and as deployed.
	MaxSourceLen = 64 << 10
	// MaxTemplateLen is the longest message template (and template file
	// read by templatefile), in bytes.
	MaxTemplateLen = 1 << 20
)

// Scope says what a runtime expression may refer to. The loader builds one
// per attribute.
type Scope struct {
	// What names the attribute in messages, such as
	// `the entry condition of journey "cart"`.
	What string
	// Customer holds the declared customer attributes. "id" (a string)
	// always exists and need not be listed.
	Customer map[string]Attr
	// Event is the event type in hand; nil when no single event type is in
	// hand, and then `event` is not in scope.
	Event *Event
	// Context allows context.<key>, of a type known only at run time.
	Context bool
	// Segments allows segment.<name> (a bool) for the names it holds;
	// nil means segment is not in scope.
	Segments map[string]bool
	// Journeys allows journey.<name>.stage (a string, or null) for the
	// names it holds; nil means journey is not in scope.
	Journeys map[string]bool
	// Priority allows propensity, value and lever (numbers): only in
	// arbitration's priority.
	Priority bool
	// AllowSensitive allows sensitive customer and event attributes: only
	// in recipient fields such as smtp's "to". Message templates never
	// allow them.
	AllowSensitive bool
	// Functions are the functions callable at run time.
	Functions map[string]function.Function
	// Bounds are what the check of an expression's worst-case cost
	// assumes; nil means the runtime's defaults. An expression whose worst
	// case is over the budget gets a warning.
	Bounds *Bounds
}

// Attr is a declared customer or event attribute.
type Attr struct {
	Type      cty.Type
	Sensitive bool
}

// Event is an event type: its name and declared attributes.
type Event struct {
	Type       string
	Attributes map[string]Attr
}

// Config is what config-time parts are evaluated with.
type Config struct {
	// Eval holds the variables "var" and "local" (objects whose values
	// may carry SensitiveMark, and may be unknown when validating without
	// variable values) and the config functions.
	Eval *hcl.EvalContext
	// BaseDir is the directory that templatefile paths are relative to.
	BaseDir string
	// Budget bounds the evaluation of config-time parts; its Functions
	// must be among Eval's. nil gives each evaluation a budget of its own.
	Budget *limits.Budget
}

// Result is an analysed runtime expression or message template.
type Result struct {
	// Source is the canonical native-syntax text of the partially
	// evaluated expression; for a template, the canonical template text.
	// It must not be used when the diagnostics have errors.
	Source string
	// Type is the static type, cty.DynamicPseudoType when known only at
	// run time (it involves context.*, for example).
	Type cty.Type
	// Constant is true when the expression referred to no runtime scope;
	// Value is then its value.
	Constant bool
	// Value is the value when Constant, carrying SensitiveMark when
	// Sensitive.
	Value cty.Value
	// Sensitive is true when a sensitive config-time value was inlined into
	// Source: the deployed text itself holds a secret.
	Sensitive bool
	// ReadsSensitive is true when the expression reads a sensitive customer
	// or event attribute: the text holds no secret, but what it evaluates
	// to does.
	ReadsSensitive bool
	// Incomplete is true when a config-time part was unknown (validating
	// without variable values): Source then still names var or local and
	// must not be deployed.
	Incomplete bool
	// Refs are the runtime references made, each once, in source order:
	// customer.x, event.y, segment.z, journey.j.stage, context.k,
	// propensity, value, lever.
	Refs []hcl.Traversal
}

// Expression checks a runtime expression: every maximal subexpression that
// refers only to var, local, literals and config functions is evaluated
// and replaced by its value, the rest is type-checked against scope, and the
// result is printed as canonical source. want is the required type
// (cty.Bool for conditions, cty.Number for value and priority, cty.String
// for a recipient, cty.DynamicPseudoType for anything). cfg may be nil when
// no config-time values exist.
//
// An expression from HCL's JSON syntax is a JSON string holding a native
// template, as in Terraform: "${customer.tier == \"gold\"}".
func Expression(expr hcl.Expression, scope *Scope, cfg *Config, want cty.Type) (res *Result, diags hcl.Diagnostics) {
	res = &Result{Type: cty.DynamicPseudoType}
	defer recoverInto(&diags, expr.Range())
	e, diags := nativeExpr(expr, MaxSourceLen)
	if diags.HasErrors() {
		return res, diags
	}
	c := newConverter(cfg)
	n := c.root(e)
	diags = append(diags, c.st.diags...)
	ch := newChecker(scope, c.cfgFunc, false)
	ti := ch.check(n)
	ch.want(ti, n, want)
	diags = append(diags, ch.diags...)
	if !diags.HasErrors() {
		n = simplify(n)
		if d := overBudget(n, scope, ch.what); d != nil {
			diags = append(diags, d)
		}
	}
	fill(res, n, ti, c.st, ch)
	res.Source = printExpr(n)
	if len(res.Source) > MaxSourceLen && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Expression too long",
			Detail:   fmt.Sprintf("With its config-time values written out, this expression is %d bytes long; deployed expressions may be at most %d bytes.", len(res.Source), MaxSourceLen),
			Subject:  e.Range().Ptr(),
		})
	}
	return res, diags
}

// Template checks a message template, an attribute of a message block: a
// string whose interpolations may use config-time values (resolved now) and
// the runtime references that scope allows (kept, and checked). file(path)
// and templatefile(path, vars) are resolved now, relative to cfg.BaseDir; a
// template file may use the passed vars and the same runtime references.
// A sensitive attribute is an error wherever it appears in a template.
//
// Result.Source is the canonical template text (as the body of a template
// file, with a literal "${" written "$${" and "%{" written "%%{"), not a
// quoted expression.
func Template(expr hcl.Expression, scope *Scope, cfg *Config) (res *Result, diags hcl.Diagnostics) {
	res = &Result{Type: cty.String}
	defer recoverInto(&diags, expr.Range())
	e, diags := nativeExpr(expr, MaxTemplateLen)
	if diags.HasErrors() {
		return res, diags
	}
	c := newConverter(cfg)
	n := c.root(e)
	diags = append(diags, c.st.diags...)
	ch := newChecker(scope, c.cfgFunc, true)
	ti := ch.checkTemplate(n)
	diags = append(diags, ch.diags...)
	if !diags.HasErrors() {
		n = simplify(n)
		if d := overBudget(n, scope, ch.what); d != nil {
			diags = append(diags, d)
		}
	}
	fill(res, n, ti, c.st, ch)
	res.Type = cty.String
	if l, ok := n.(*litNode); ok {
		if s, err := toString(l.val); err == nil { // else reported
			res.Value = s
			if res.Sensitive {
				res.Value = s.Mark(SensitiveMark)
			}
		}
	}
	res.Source = printTemplateText(n)
	return res, diags
}

// CheckSource re-validates deployed canonical expression text, as the
// runtime does before it runs it: no config-time values exist then. The
// diagnostics' ranges point into src, named filename.
func CheckSource(src, filename string, scope *Scope, want cty.Type) (ty cty.Type, diags hcl.Diagnostics) {
	start := hcl.Pos{Line: 1, Column: 1, Byte: 0}
	ty = cty.DynamicPseudoType
	defer recoverInto(&diags, hcl.Range{Filename: filename, Start: start, End: start})
	if len(src) > MaxSourceLen {
		return ty, tooLong(filename, "expression", len(src), MaxSourceLen)
	}
	if d := prescan([]byte(src), filename, start, limits.Expression); d != nil {
		return ty, hcl.Diagnostics{d}
	}
	e, diags := hclsyntax.ParseExpression([]byte(src), filename, start)
	if diags.HasErrors() {
		return ty, diags
	}
	c := newConverter(nil)
	n := c.root(e)
	diags = append(diags, c.st.diags...)
	ch := newChecker(scope, nil, false)
	ti := ch.check(n)
	ch.want(ti, n, want)
	diags = append(diags, ch.diags...)
	return ti.ty, diags
}

// CheckTemplateSource re-validates deployed canonical template text.
func CheckTemplateSource(src, filename string, scope *Scope) (diags hcl.Diagnostics) {
	start := hcl.Pos{Line: 1, Column: 1, Byte: 0}
	defer recoverInto(&diags, hcl.Range{Filename: filename, Start: start, End: start})
	if len(src) > MaxTemplateLen {
		return tooLong(filename, "template", len(src), MaxTemplateLen)
	}
	if d := prescan([]byte(src), filename, start, limits.Template); d != nil {
		return hcl.Diagnostics{d}
	}
	e, diags := hclsyntax.ParseTemplate([]byte(src), filename, start)
	if diags.HasErrors() {
		return diags
	}
	c := newConverter(nil)
	n := c.root(e)
	diags = append(diags, c.st.diags...)
	ch := newChecker(scope, nil, true)
	ch.checkTemplate(n)
	return append(diags, ch.diags...)
}

// fill sets the parts of a Result that the checker and converter know.
func fill(res *Result, n node, ti tinfo, st *state, ch *checker) {
	res.Type = ti.ty
	res.Sensitive = st.sensitive
	res.ReadsSensitive = ch.sensitive
	res.Incomplete = st.incomplete
	res.Refs = collectRefs(n)
	switch n := n.(type) {
	case *litNode:
		res.Constant = true
		res.Value = n.val
	case *heldNode:
		res.Constant = n.constant
		res.Value = cty.UnknownVal(n.ty)
	}
	if res.Constant && res.Sensitive {
		res.Value = res.Value.Mark(SensitiveMark)
	}
}

// prescan keeps the parser within the stack (see limits.CheckNesting),
// reporting too deep a nesting as the converter does.
func prescan(src []byte, filename string, start hcl.Pos, syntax limits.Syntax) *hcl.Diagnostic {
	d := limits.CheckNesting(src, filename, start, syntax)
	if d != nil && d.Summary == "Configuration nested too deeply" {
		d.Summary = "Expression too deeply nested"
	}
	return d
}

func tooLong(filename, what string, n, limit int) hcl.Diagnostics {
	start := hcl.Pos{Line: 1, Column: 1, Byte: 0}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Source too long",
		Detail:   fmt.Sprintf("This %s is %d bytes long; at most %d bytes are allowed.", what, n, limit),
		Subject:  &hcl.Range{Filename: filename, Start: start, End: start},
	}}
}

// recoverInto turns a panic (a bug, or one in a function implementation)
// into an error diagnostic, so that no input can crash the caller.
func recoverInto(diags *hcl.Diagnostics, rng hcl.Range) {
	r := recover()
	if r == nil {
		return
	}
	detail := "Analysing this expression failed unexpectedly. This is a bug in Waymark; please report it."
	if err, ok := r.(runtime.Error); ok { // never a value of the configuration
		detail = fmt.Sprintf("Analysing this expression failed unexpectedly (%s). This is a bug in Waymark; please report it.", err)
	}
	*diags = append(*diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Internal error in expression analysis",
		Detail:   detail,
		Subject:  rng.Ptr(),
	})
}
