package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// ref is a static reference as written: kind.name, or kind.name.attr.
type ref struct {
	Kind  string
	Name  string
	Attr  string // event.<type>.<attr> only
	Range hcl.Range
}

// staticRef reads a static reference of the given kind (event, stage,
// channel, ...) from expr; parts is 2 for kind.name, 3 for kind.name.attr.
func (l *loader) staticRef(expr hcl.Expression, kind, what string, parts int) (ref, bool) {
	example := kind + ".<name>"
	if parts == 3 {
		example = kind + ".<type>.<attribute>"
	}
	t, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() {
		l.add(errorf(rngPtr(expr.Range()), "Invalid reference",
			"%s must be a reference to %s %s block, written %s.", what, article(kind), kind, example))
		return ref{}, false
	}
	var names []string
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			names = append(names, s.Name)
		case hcl.TraverseAttr:
			names = append(names, s.Name)
		default:
			l.add(errorf(rngPtr(t.SourceRange()), "Invalid reference", "%s must be written %s, with no index.", what, example))
			return ref{}, false
		}
	}
	if names[0] != kind {
		l.add(errorf(rngPtr(t.SourceRange()), "Invalid reference",
			"%s must refer to %s %s block, written %s; %s refers to something else.", what, article(kind), kind, example, traversalString(t)))
		return ref{}, false
	}
	if len(names) != parts {
		l.add(errorf(rngPtr(t.SourceRange()), "Invalid reference", "%s must be written %s.", what, example))
		return ref{}, false
	}
	r := ref{Kind: kind, Name: names[1], Range: t.SourceRange()}
	if parts == 3 {
		r.Attr = names[2]
	}
	return r, true
}

// staticRefs reads a list of static references.
func (l *loader) staticRefs(expr hcl.Expression, kind, what string) ([]ref, bool) {
	items, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		l.add(errorf(rngPtr(expr.Range()), "Invalid reference list",
			"%s must be a list of references, written [%s.<name>, ...].", what, kind))
		return nil, false
	}
	var out []ref
	ok := true
	seen := map[string]bool{}
	for _, item := range items {
		r, good := l.staticRef(item, kind, what, 2)
		if !good {
			ok = false
			continue
		}
		if seen[r.Name] {
			l.add(errorf(rngPtr(r.Range), "Duplicate reference", "%s lists %s.%s more than once.", what, kind, r.Name))
			ok = false
			continue
		}
		seen[r.Name] = true
		out = append(out, r)
	}
	return out, ok
}

// bareName reads a bare name such as provider = smtp.
func (l *loader) bareName(expr hcl.Expression, what string) (string, hcl.Range, bool) {
	t, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(t) != 1 {
		l.add(errorf(rngPtr(expr.Range()), "Invalid name", "%s must be a bare name, such as smtp (no quotes).", what))
		return "", hcl.Range{}, false
	}
	return t.RootName(), t.SourceRange(), true
}

func article(word string) string {
	switch word[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an"
	}
	return "a"
}

// undeclared reports a reference to a block that does not exist.
func (l *loader) undeclared(r ref, where string, known []string) {
	detail := fmt.Sprintf("There is no %s %q%s.", r.Kind, r.Name, where)
	if s := l.suggestName(r.Name, func() []string { return known }); s != "" {
		detail += s
	} else if len(known) > 0 {
		detail += fmt.Sprintf(" Declared: %s.", quoteListMax(known, 10))
	}
	l.add(errorf(rngPtr(r.Range), fmt.Sprintf("Reference to undeclared %s", r.Kind), "%s", detail))
}
