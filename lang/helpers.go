package lang

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/limits"
)

func errorf(rng *hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng}
}

func warnf(rng *hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng}
}

func rngPtr(r hcl.Range) *hcl.Range { return &r }

// suggest returns ` Did you mean "x"?` for the closest of names, or "".
func suggest(given string, names []string) string {
	best, bestDist := "", 1000
	for _, n := range names {
		d := levenshtein.Distance(given, n, nil)
		if d < 3 && d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// quoteListMax is quoteList of at most max names, then how many more.
func quoteListMax(names []string, max int) string {
	if len(names) <= max {
		return quoteList(names)
	}
	return quoteList(append(names[:max:max], fmt.Sprintf("%d more", len(names)-max)))
}

// maxSuggestions bounds the diagnostics that look for a similar name: each
// look-up costs as much as there are names, so that thousands of unknown
// names cost thousands, not millions.
const maxSuggestions = 50

// suggestName is suggest for the first maxSuggestions calls of a load, ""
// after; names is called only then.
func (l *loader) suggestName(given string, names func() []string) string {
	if l.suggested >= maxSuggestions {
		return ""
	}
	l.suggested++
	return suggest(given, names())
}

func (l *loader) variableNames() []string { return keys(l.cfg.Variables) }

// quoteList renders names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return "none"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// runtimeRoots are the names that only runtime expressions may use.
var runtimeRoots = map[string]bool{
	"customer": true, "event": true, "context": true, "segment": true, "journey": true,
	"propensity": true, "value": true, "lever": true, "stage": true, "action": true, "channel": true,
}

// configValue evaluates a config-time expression: var, local, literals and
// functions only. It returns cty.NilVal when it failed (diagnostics added).
func (l *loader) configValue(expr hcl.Expression, what string) cty.Value {
	return l.configValueIn(l.s.eval, expr, what)
}

// configValueIn is configValue in ctx, a child of the scope's context.
func (l *loader) configValueIn(ctx *hcl.EvalContext, expr hcl.Expression, what string) cty.Value {
	for _, t := range expr.Variables() {
		root := t.RootName()
		if root == "var" || root == "local" {
			if !l.declaredValue(t) {
				return cty.NilVal
			}
			continue
		}
		if _, ok := lookupVar(ctx, root); ok {
			continue // each, count or module, where they are in scope
		}
		detail := fmt.Sprintf("%s is evaluated when the configuration is planned, so it may use only var.*, local.*, literals and functions.", what)
		if runtimeRoots[root] {
			detail += fmt.Sprintf(" %s is known only at run time.", traversalString(t))
		}
		l.add(errorf(rngPtr(t.SourceRange()), "Runtime reference in a config-time value", "%s", detail))
		return cty.NilVal
	}
	v, diags := limits.Eval(expr, ctx, l.budget)
	l.addAll(diags)
	if diags.HasErrors() {
		return cty.NilVal
	}
	return v
}

// lookupVar finds a variable in ctx or its parents.
func lookupVar(ctx *hcl.EvalContext, name string) (cty.Value, bool) {
	for ; ctx != nil; ctx = ctx.Parent() {
		if v, ok := ctx.Variables[name]; ok {
			return v, true
		}
	}
	return cty.NilVal, false
}

// typedValue evaluates a config-time attribute and converts it to ty. Null
// is refused.
func (l *loader) typedValue(attr *hcl.Attribute, ty cty.Type, what string) cty.Value {
	v := l.configValue(attr.Expr, what)
	if v == cty.NilVal {
		return v
	}
	if v.IsNull() {
		l.add(errorf(rngPtr(attr.Expr.Range()), "Invalid value", "%s must not be null.", what))
		return cty.NilVal
	}
	c, err := convert.Convert(v, ty)
	if err != nil {
		l.add(errorf(rngPtr(attr.Expr.Range()), "Incorrect attribute value type",
			"%s must be %s: %s.", what, typeName(ty), err))
		return cty.NilVal
	}
	if !c.IsWhollyKnown() {
		l.add(errorf(rngPtr(attr.Expr.Range()), "Invalid value", "%s must be known when the configuration is planned.", what))
		return cty.NilVal
	}
	return c
}

func typeName(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty.IsListType():
		return "a list of " + strings.TrimPrefix(typeName(ty.ElementType()), "a ") + "s"
	}
	return ty.FriendlyName()
}

func (l *loader) str(attr *hcl.Attribute, what string) (string, bool) {
	v := l.typedValue(attr, cty.String, what)
	if v == cty.NilVal {
		return "", false
	}
	return v.AsString(), true
}

func (l *loader) boolean(attr *hcl.Attribute, what string) (bool, bool) {
	v := l.typedValue(attr, cty.Bool, what)
	if v == cty.NilVal {
		return false, false
	}
	return v.True(), true
}

func (l *loader) number(attr *hcl.Attribute, what string) (float64, bool) {
	v := l.typedValue(attr, cty.Number, what)
	if v == cty.NilVal {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}

// wholeNumber reads a whole number ≥ min.
func (l *loader) wholeNumber(attr *hcl.Attribute, what string, min int) (int, bool) {
	v := l.typedValue(attr, cty.Number, what)
	if v == cty.NilVal {
		return 0, false
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() || bf.Cmp(big.NewFloat(float64(min))) < 0 || bf.Cmp(big.NewFloat(1e9)) > 0 {
		l.add(errorf(rngPtr(attr.Expr.Range()), "Invalid value", "%s must be a whole number from %d to 1000000000; got %s.", what, min, bf.Text('g', -1)))
		return 0, false
	}
	i, _ := bf.Int64()
	return int(i), true
}

func (l *loader) enum(attr *hcl.Attribute, what string, allowed []string) (string, bool) {
	s, ok := l.str(attr, what)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	l.add(errorf(rngPtr(attr.Expr.Range()), "Invalid value", "%s must be %s; got %q.%s", what, orList(allowed), s, suggest(s, allowed)))
	return "", false
}

func orList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// duration reads a duration and returns its canonical form.
func (l *loader) duration(attr *hcl.Attribute, what string) (string, time.Duration, bool) {
	s, ok := l.str(attr, what)
	if !ok {
		return "", 0, false
	}
	d, err := funcs.ParseDuration(s)
	if err != nil {
		l.add(errorf(rngPtr(attr.Expr.Range()), "Invalid duration", "%s: %s.", what, strings.TrimSuffix(err.Error(), ".")))
		return "", 0, false
	}
	return funcs.FormatDuration(d), d, true
}

func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			b.WriteString("[...]")
		default:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

func convertPlain(v cty.Value, ty cty.Type) (cty.Value, error) { return convert.Convert(v, ty) }

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// at renders where a range starts, as file:line:column.
func at(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// declaredValue reports a var.x or local.x reference to something the
// configuration does not declare, as Terraform does.
func (l *loader) declaredValue(t hcl.Traversal) bool {
	if len(t) < 2 {
		l.add(errorf(rngPtr(t.SourceRange()), "Invalid reference", "%s must be followed by a name, as in %s.example.", t.RootName(), t.RootName()))
		return false
	}
	a, ok := t[1].(hcl.TraverseAttr)
	if !ok {
		l.add(errorf(rngPtr(t.SourceRange()), "Invalid reference", "%s must be followed by a name, as in %s.example.", t.RootName(), t.RootName()))
		return false
	}
	if t.RootName() == "var" {
		if _, ok := l.cfg.Variables[a.Name]; ok {
			return true
		}
		l.add(errorf(rngPtr(t.SourceRange()), "Reference to undeclared input variable",
			"An input variable named %q has not been declared; declare it with a variable block.%s", a.Name, l.suggestName(a.Name, l.variableNames)))
		return false
	}
	if _, ok := l.s.locals[a.Name]; ok {
		return true
	}
	if l.s.localDecl[a.Name] {
		return false // declared, but its own value failed: reported there
	}
	l.add(errorf(rngPtr(t.SourceRange()), "Reference to undeclared local value",
		"A local value named %q has not been declared; declare it in a locals block.%s", a.Name, l.suggestName(a.Name, func() []string { return keys(l.s.localDecl) })))
	return false
}
