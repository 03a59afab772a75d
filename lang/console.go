package lang

import (
	"context"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/limits"
	"github.com/waymarkhq/waymark/lang/rtexpr"
)

// ConsoleFile is the filename that diagnostics of console input carry.
const ConsoleFile = "<console-input>"

// Console evaluates expressions typed by a person against a loaded
// configuration, as `terraform console` does: config-time expressions
// (var, local, functions) to their values, runtime ones (customer, event,
// segment, journey, context) type-checked against the configuration's
// schema, since their values exist only in the runtime.
type Console struct {
	s     *scope
	dir   string
	event string
}

// Console returns a console over the configuration, or nil when the
// configuration was not decoded far enough to have a scope.
func (c *Config) Console() *Console {
	if c == nil || c.scope == nil {
		return nil
	}
	return &Console{s: c.scope, dir: c.Dir}
}

// Events lists the declared event types, sorted.
func (c *Console) Events() []string { return keys(c.s.events) }

// Event is the event type in scope as `event`, or "" for none.
func (c *Console) Event() string { return c.event }

// SetEvent puts the event type name in scope as `event`; "" takes it out.
func (c *Console) SetEvent(name string) hcl.Diagnostics {
	if name == "" {
		c.event = ""
		return nil
	}
	if _, ok := c.s.events[name]; !ok {
		return hcl.Diagnostics{errorf(nil, "Undeclared event type",
			"No event type %q is declared.%s", name, suggest(name, keys(c.s.events)))}
	}
	c.event = name
	return nil
}

// Eval reads src as one native-syntax expression and analyses it. A result
// with Constant set has a value; otherwise it is a runtime expression,
// checked, with its type and the references it reads.
func (c *Console) Eval(ctx context.Context, src string) (*rtexpr.Result, hcl.Diagnostics) {
	expr, diags := hclsyntax.ParseExpression([]byte(src), ConsoleFile, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	b := limits.NewBudget(ctx)
	fns := funcs.Config(c.dir, b)
	maps.Copy(fns, b.Functions())
	eval := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   cty.ObjectVal(c.s.vars),
			"local": cty.ObjectVal(c.s.locals),
		},
		Functions: fns,
	}
	sc := c.s.rtScope("the console input", scopeOpts{
		event: c.event, context: true, segments: true, journeys: true, sensitive: true,
	})
	res, more := rtexpr.Expression(expr, sc, &rtexpr.Config{Eval: eval, BaseDir: c.dir, Budget: b}, cty.DynamicPseudoType)
	return res, append(diags, more...)
}

// Names lists what an expression may refer to, by root: var, local,
// customer, segment, journey and, when an event type is in scope, event.
func (c *Console) Names() map[string][]string {
	out := map[string][]string{
		"var":      keys(c.s.vars),
		"local":    keys(c.s.locals),
		"customer": slices.Sorted(maps.Keys(c.s.customer)),
		"segment":  keys(c.s.segments),
		"journey":  keys(c.s.journeys),
	}
	if ev, ok := c.s.events[c.event]; ok {
		out["event"] = keys(ev.Attrs)
	}
	if i, found := slices.BinarySearch(out["customer"], "id"); !found {
		out["customer"] = slices.Insert(out["customer"], i, "id")
	}
	return out
}
