package rtexpr

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ref types a reference to a runtime scope, such as customer.tier.
func (c *checker) ref(t hcl.Traversal) tinfo {
	root := t.RootName()
	steps := t[1:]
	switch root {
	case "customer":
		a, rest, ok := c.attribute(t, "customer", c.customerAttr, c.customerNames, func(name string, names []string) string {
			return fmt.Sprintf("The customer block declares no attribute %q.%s", name, didYouMean(name, names))
		})
		if !ok {
			return badInfo
		}
		return c.traverse(tinfo{ty: a.Type}, &refNode{trav: t[:2]}, rest)

	case "event":
		ev := c.scope.Event
		if ev == nil {
			c.errorf(t.SourceRange(), nil, "Event not in scope",
				"%s cannot refer to %s: no single event type is in hand here. event.<attribute> can be used only where the enclosing block names the event being processed, such as an entry, goal or exit condition; segments, eligible, consent and arbitration have no event in hand.",
				capital(c.what), traversalString(t))
			return badInfo
		}
		lookup := func(name string) (Attr, bool) { a, ok := ev.Attributes[name]; return a, ok }
		names := func() []string { return sortedKeys(ev.Attributes) }
		a, rest, ok := c.attribute(t, "event", lookup, names, func(name string, names []string) string {
			if len(names) == 0 {
				return fmt.Sprintf("Event %q has no attribute %q; it declares no attributes.", ev.Type, name)
			}
			return fmt.Sprintf("Event %q has no attribute %q.%s", ev.Type, name, didYouMean(name, names))
		})
		if !ok {
			return badInfo
		}
		return c.traverse(tinfo{ty: a.Type}, &refNode{trav: t[:2]}, rest)

	case "context":
		if !c.scope.Context {
			c.errorf(t.SourceRange(), nil, "Context not in scope",
				"%s cannot refer to %s: context holds what a decide request sends, and is not available here.", capital(c.what), traversalString(t))
			return badInfo
		}
		if len(steps) == 0 {
			c.errorf(t.SourceRange(), nil, "Invalid reference", "A reference to context must name a key, such as context.page.")
			return badInfo
		}
		if _, ok := stepName(steps[0]); !ok {
			c.errorf(spanOf(t[:2]), nil, "Invalid reference", "A context key must be a name or a string, such as context.page or context[\"page\"].")
			return badInfo
		}
		return dynamic

	case "segment":
		if c.scope.Segments == nil {
			c.errorf(t.SourceRange(), nil, "Segment not in scope", "%s cannot refer to segments.", capital(c.what))
			return badInfo
		}
		if len(steps) == 0 {
			c.errorf(t.SourceRange(), nil, "Invalid reference", "A reference to a segment must name it, such as segment.vip.")
			return badInfo
		}
		name, ok := stepName(steps[0])
		if !ok {
			c.errorf(spanOf(t[:2]), nil, "Invalid reference", "A reference to a segment must name it, such as segment.vip.")
			return badInfo
		}
		if !c.scope.Segments[name] {
			c.errorf(spanOf(t[:2]), nil, "Reference to undeclared segment", "No segment named %q is declared.%s", name, didYouMean(name, sortedKeys(c.scope.Segments)))
			return badInfo
		}
		if len(steps) > 1 {
			c.errorf(steps[1].SourceRange(), nil, "Unsupported attribute", "%s is a bool (whether the customer is in the segment) and has no attributes.", traversalString(t[:2]))
			return badInfo
		}
		return tinfo{ty: cty.Bool}

	case "journey":
		if c.scope.Journeys == nil {
			c.errorf(t.SourceRange(), nil, "Journey not in scope", "%s cannot refer to journeys.", capital(c.what))
			return badInfo
		}
		if len(steps) == 0 {
			c.errorf(t.SourceRange(), nil, "Invalid reference", "A reference to a journey must name it and its stage, such as journey.cart_recovery.stage.")
			return badInfo
		}
		name, ok := stepName(steps[0])
		if !ok {
			c.errorf(spanOf(t[:2]), nil, "Invalid reference", "A reference to a journey must name it and its stage, such as journey.cart_recovery.stage.")
			return badInfo
		}
		if !c.scope.Journeys[name] {
			c.errorf(spanOf(t[:2]), nil, "Reference to undeclared journey", "No journey named %q is declared.%s", name, didYouMean(name, sortedKeys(c.scope.Journeys)))
			return badInfo
		}
		if len(steps) == 1 {
			c.errorf(spanOf(t[:2]), nil, "Invalid reference", "%s must be followed by .stage: %s.stage is the customer's current stage in the journey, or null.", traversalString(t[:2]), traversalString(t[:2]))
			return badInfo
		}
		if attr, _ := stepName(steps[1]); attr != "stage" {
			c.errorf(spanOf(t[:3]), nil, "Unsupported attribute", "A journey has only the attribute \"stage\" here: %s.stage is the customer's current stage in the journey, or null.", traversalString(t[:2]))
			return badInfo
		}
		if len(steps) > 2 {
			c.errorf(steps[2].SourceRange(), nil, "Unsupported attribute", "%s is a string (a stage name) and has no attributes.", traversalString(t[:3]))
			return badInfo
		}
		return tinfo{ty: cty.String}

	case "propensity", "value", "lever":
		if !c.scope.Priority {
			c.errorf(t.SourceRange(), nil, "Invalid reference", "%s is available only in arbitration's priority, not in %s.", root, c.what)
			return badInfo
		}
		if len(steps) > 0 {
			c.errorf(steps[0].SourceRange(), nil, "Unsupported attribute", "%s is a number and has no attributes.", root)
			return badInfo
		}
		return tinfo{ty: cty.Number}

	case "var", "local":
		c.errorf(t.SourceRange(), nil, "Config-time reference at run time",
			"%s is a config-time value, but none are available here: deployed expressions have var and local already replaced by their values.", traversalString(t))
		return badInfo
	}
	c.errorf(t[0].SourceRange(), nil, "Unknown variable", "There is no variable named %q.%s", root, didYouMean(root, c.roots()))
	return badInfo
}

// attribute resolves root.<name> against declared attributes and returns
// the attribute and the steps after it.
func (c *checker) attribute(t hcl.Traversal, root string, lookup func(string) (Attr, bool), names func() []string,
	missing func(name string, names []string) string) (Attr, hcl.Traversal, bool) {
	if len(t) < 2 {
		c.errorf(t.SourceRange(), nil, "Invalid reference", "%s must be followed by an attribute name, such as %s.", root, example(root, names()))
		return Attr{}, nil, false
	}
	name, ok := stepName(t[1])
	if !ok {
		c.errorf(spanOf(t[:2]), nil, "Invalid reference", "%s must be followed by an attribute name, such as %s.", root, example(root, names()))
		return Attr{}, nil, false
	}
	a, ok := lookup(name)
	if !ok {
		c.errorf(spanOf(t[:2]), nil, "Unsupported attribute", "%s", missing(name, names()))
		return Attr{}, nil, false
	}
	if a.Sensitive {
		switch {
		case c.template:
			c.errorf(spanOf(t[:2]), nil, "Sensitive value in a message", "%s is sensitive and may never appear in a message template; only recipient fields such as smtp's \"to\" may use it.", traversalString(t[:2]))
			return Attr{}, nil, false
		case c.presence:
			// x == null / x != null: whether it is set, never its value.
			return a, t[2:], true
		case !c.scope.AllowSensitive:
			c.errorf(spanOf(t[:2]), nil, "Sensitive value not allowed", "%s is sensitive and may only be used in a recipient field such as smtp's \"to\".", traversalString(t[:2]))
			return Attr{}, nil, false
		}
		c.sensitive = true
	}
	if a.Type == cty.NilType {
		a.Type = cty.DynamicPseudoType
	}
	return a, t[2:], true
}

func example(root string, names []string) string {
	if len(names) == 0 {
		return root + ".name"
	}
	return root + "." + names[0]
}

// customerAttr looks up a customer attribute; id always exists.
func (c *checker) customerAttr(name string) (Attr, bool) {
	if a, ok := c.scope.Customer[name]; ok {
		return a, true
	}
	if name == "id" {
		return Attr{Type: cty.String}, true
	}
	return Attr{}, false
}

func (c *checker) customerNames() []string {
	names := sortedKeys(c.scope.Customer)
	if _, ok := c.scope.Customer["id"]; !ok {
		names = append(names, "id")
		sort.Strings(names)
	}
	return names
}

// roots are the names in scope, for suggestions.
func (c *checker) roots() []string {
	out := []string{"customer"}
	s := c.scope
	if s.Event != nil {
		out = append(out, "event")
	}
	if s.Context {
		out = append(out, "context")
	}
	if s.Segments != nil {
		out = append(out, "segment")
	}
	if s.Journeys != nil {
		out = append(out, "journey")
	}
	if s.Priority {
		out = append(out, "propensity", "value", "lever")
	}
	sort.Strings(out)
	return out
}

// spanOf is the source range of a traversal.
func spanOf(t hcl.Traversal) hcl.Range {
	return t.SourceRange()
}

// collectRefs lists the runtime references of a tree, each once, in order.
func collectRefs(n node) []hcl.Traversal {
	var out []hcl.Traversal
	seen := map[string]bool{}
	walk(n, func(n node) {
		r, ok := n.(*refNode)
		if !ok {
			return
		}
		t := r.trav
		keep := 1
		switch t.RootName() {
		case "customer", "event", "context", "segment":
			keep = 2
		case "journey":
			keep = 3
		}
		if keep > len(t) {
			keep = len(t)
		}
		t = t[:keep]
		key := traversalString(t)
		if !seen[key] {
			seen[key] = true
			out = append(out, t)
		}
	})
	return out
}

// walk calls f for n and every node under it, in source order. It does not
// descend into heldNodes.
func walk(n node, f func(node)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *relNode:
		walk(n.src, f)
	case *indexNode:
		walk(n.coll, f)
		walk(n.key, f)
	case *callNode:
		for _, a := range n.args {
			walk(a, f)
		}
	case *binNode:
		walk(n.lhs, f)
		walk(n.rhs, f)
	case *unNode:
		walk(n.val, f)
	case *condNode:
		walk(n.cond, f)
		walk(n.t, f)
		walk(n.f, f)
	case *parenNode:
		walk(n.inner, f)
	case *tmplNode:
		for _, p := range n.parts {
			walk(p, f)
		}
	case *tupleNode:
		for _, e := range n.elems {
			walk(e, f)
		}
	case *objNode:
		for _, it := range n.items {
			walk(it.key, f)
			walk(it.val, f)
		}
	}
}
