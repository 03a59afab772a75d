package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fatih/color"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
)

// HumanOptions are the choices of the human view.
type HumanOptions struct {
	// Color turns colour on; the caller decides (a terminal, no NO_COLOR,
	// no -no-color).
	Color bool
}

// Human writes the plan as `waymark plan` prints it: Terraform's layout,
// for journeys. Sensitive values print as (sensitive value).
func Human(w io.Writer, p *plans.Plan, opts HumanOptions) error {
	r := newRenderer(opts.Color)
	r.plan(p)
	_, err := io.WriteString(w, r.String())
	return err
}

type renderer struct {
	sb                                     strings.Builder
	green, red, yellow, bold, gray, okBold func(a ...any) string
}

func newRenderer(on bool) *renderer {
	c := func(attrs ...color.Attribute) func(a ...any) string {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c.Sprint
	}
	return &renderer{
		green: c(color.FgGreen), red: c(color.FgRed), yellow: c(color.FgYellow),
		bold: c(color.Bold), gray: c(color.FgHiBlack), okBold: c(color.FgGreen, color.Bold),
	}
}

func (r *renderer) String() string { return r.sb.String() }

func (r *renderer) plan(p *plans.Plan) {
	if !p.HasChanges() {
		fmt.Fprintf(&r.sb, "%s Stack %q matches the configuration.\n", r.okBold("No changes."), p.Stack)
		return
	}
	fmt.Fprintf(&r.sb, "Waymark will perform the following actions on stack %q:\n\n", p.Stack)
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == plans.NoOp && !c.Moved() {
			continue
		}
		r.change(c)
		r.sb.WriteString("\n")
	}
	// A provider added or removed comes with the channels that use it; only
	// a new version or new package hashes of one in use is news.
	for _, pc := range p.ProviderChanges {
		if pc.Action == plans.Update {
			r.providerChange(pc)
			r.sb.WriteString("\n")
		}
	}
	s := p.Summary()
	fmt.Fprintf(&r.sb, "%s %d to add, %d to change, %d to destroy.\n", r.bold("Plan:"), s.Add, s.Change, s.Destroy)
}

func (r *renderer) providerChange(pc plans.ProviderChange) {
	name := r.bold(fmt.Sprintf("# provider %s (%s)", pc.Name, pc.Source))
	if pc.BeforeVersion == pc.AfterVersion {
		fmt.Fprintf(&r.sb, "  %s %s will run with other package hashes\n", name, pc.AfterVersion)
	} else {
		fmt.Fprintf(&r.sb, "  %s will change from version %s to %s\n", name, pc.BeforeVersion, pc.AfterVersion)
	}
}

// header is the block's type and label as the configuration writes them:
// stage "checkout", attribute "tier", arbitration.
func header(c *plans.Change) string {
	typ, name := string(c.Kind), c.Name
	if a, err := addrs.Parse(c.Address); err == nil {
		typ, name = a.Type(), a.Label()
	}
	if name == "" {
		return typ
	}
	return typ + " " + strconv.Quote(name)
}

func (r *renderer) change(c *plans.Change) {
	addr := r.bold("# " + c.Address)
	switch c.Action {
	case plans.Create:
		fmt.Fprintf(&r.sb, "  %s will be created\n", addr)
	case plans.Update:
		fmt.Fprintf(&r.sb, "  %s will be updated in place\n", addr)
	case plans.Delete:
		fmt.Fprintf(&r.sb, "  %s will be destroyed\n", addr)
	case plans.Replace:
		fmt.Fprintf(&r.sb, "  %s will be replaced\n", addr)
	case plans.NoOp:
		fmt.Fprintf(&r.sb, "  %s has moved to %s\n", r.bold("# "+c.PreviousAddress), r.bold(c.Address))
	}
	if c.Moved() && c.Action != plans.NoOp {
		fmt.Fprintf(&r.sb, "  # (moved from %s)\n", c.PreviousAddress)
	}
	if c.Impact != nil {
		fmt.Fprintf(&r.sb, "  # (%s)\n", impactText(c))
	}
	if c.Action == plans.Delete {
		r.line(0, plans.Delete, header(c)+" { ... }")
		return
	}
	before := c.Before
	if c.Action == plans.Create {
		before = nil
	}
	body := newBuilder(c).body(before, c.After, shapeOf(c.Kind), "")
	r.block(0, c.Action, header(c), body, false)
}

// impactText says what a removal or move does to the customers in flight.
func impactText(c *plans.Change) string {
	n := c.Impact.Customers
	what := "stage"
	if c.Kind == deploy.KindJourney {
		what = "journey"
	}
	switch {
	case n == 0:
		return fmt.Sprintf("no customers are in this %s", what)
	case c.Action == plans.Delete && c.Kind == deploy.KindJourney:
		return customers(n) + " this journey; they leave it"
	case c.Action == plans.Delete:
		return customers(n) + " this stage; they leave the journey unless a moved block says where they go"
	case c.Moved():
		return customers(n) + " this " + what + "; they move with it"
	}
	return customers(n) + " this " + what
}

func customers(n int64) string {
	if n == 1 {
		return "1 customer is in"
	}
	return fmt.Sprintf("%d customers are in", n)
}

// indent is the indentation of nesting level n, as Terraform's.
func indent(n int) string { return strings.Repeat("    ", n) }

func (r *renderer) symbol(a plans.Action) string {
	switch a {
	case plans.Create:
		return "  " + r.green("+")
	case plans.Delete:
		return "  " + r.red("-")
	case plans.Update:
		return "  " + r.yellow("~")
	case plans.Replace:
		return r.red("-") + "/" + r.green("+")
	}
	return "   "
}

// line writes one line at nesting n with the action's symbol.
func (r *renderer) line(n int, a plans.Action, text string) {
	r.sb.WriteString(strings.TrimRight(indent(n)+r.symbol(a)+" "+text, " "))
	r.sb.WriteString("\n")
}

func (r *renderer) arrow() string { return r.yellow("->") }

func (r *renderer) forces(replace bool) string {
	if replace {
		return r.red(" # forces replacement")
	}
	return ""
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// block writes a block whose opening line is at nesting n: its attributes
// (the changed ones; the rest counted), then its changed nested blocks.
func (r *renderer) block(n int, a plans.Action, head string, b bodyDiff, replace bool) {
	if len(b.attrs) == 0 && len(b.blocks) == 0 {
		r.line(n, a, head+" {}"+r.forces(replace))
		return
	}
	r.line(n, a, head+" {"+r.forces(replace))
	width, unchanged := 0, 0
	for _, at := range b.attrs {
		if at.action != plans.NoOp && len(at.name) > width {
			width = len(at.name)
		}
	}
	for _, at := range b.attrs {
		if at.action == plans.NoOp {
			unchanged++
			continue
		}
		r.line(n+1, at.action, fmt.Sprintf("%-*s = %s", width, at.name, r.value(at, n+1)))
	}
	if unchanged > 0 {
		r.line(n+1, plans.NoOp, r.gray("# ("+plural(unchanged, "unchanged attribute")+" hidden)"))
	}
	hiddenBlocks := 0
	for i, bl := range b.blocks {
		if bl.action == plans.NoOp {
			hiddenBlocks++
			continue
		}
		firstOfType := true
		for j := 0; j < i; j++ {
			if b.blocks[j].typ == bl.typ && b.blocks[j].action != plans.NoOp {
				firstOfType = false
			}
		}
		if firstOfType && len(b.attrs) > 0 {
			r.sb.WriteString("\n")
		}
		head := bl.typ
		if bl.label != "" {
			head += " " + strconv.Quote(bl.label)
		}
		r.block(n+1, bl.action, head, bl.body, false)
	}
	if hiddenBlocks > 0 {
		r.sb.WriteString("\n")
		r.line(n+1, plans.NoOp, r.gray("# ("+plural(hiddenBlocks, "unchanged block")+" hidden)"))
	}
	r.line(n, plans.NoOp, "}")
}

// value renders an attribute's value, or its change, for a line at
// nesting n; multi-line values continue at n+1 and close at n.
func (r *renderer) value(a attrDiff, n int) string {
	null := ""
	if a.action == plans.Delete {
		null = " " + r.arrow() + " null"
	}
	if a.sensitive {
		return "(sensitive value)" + null + r.forces(a.replace)
	}
	before, after := a.before, a.after
	if a.metric {
		before, after = metricSource(before), metricSource(after)
		a.style = expr
	}
	switch a.action {
	case plans.Create:
		return r.whole(after, a, n, plans.Create, "")
	case plans.Delete:
		return r.whole(before, a, n, plans.Delete, null)
	}
	bl, bIsList := before.([]any)
	al, aIsList := after.([]any)
	if bIsList && aIsList {
		return r.list(bl, al, a, n)
	}
	bs, bIsStr := before.(string)
	as, aIsStr := after.(string)
	if bIsStr && aIsStr && a.style == literal && (strings.Contains(bs, "\n") || strings.Contains(as, "\n")) {
		return r.heredocDiff(bs, as, n, a.replace)
	}
	bm, bIsMap := before.(map[string]any)
	am, aIsMap := after.(map[string]any)
	if bIsMap && aIsMap {
		return r.mapDiff(bm, am, a, n)
	}
	return r.scalar(before, a, n) + " " + r.arrow() + " " + r.scalar(after, a, n) + r.forces(a.replace)
}

// whole renders a value that is created or deleted as a whole: lists and
// maps element by element with the action's symbol, multi-line strings as
// a heredoc.
func (r *renderer) whole(v any, a attrDiff, n int, act plans.Action, null string) string {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return "[]" + null + r.forces(a.replace)
		}
		var sb strings.Builder
		sb.WriteString("[" + r.forces(a.replace) + "\n")
		for _, e := range x {
			sb.WriteString(r.lineText(n+1, act, r.scalar(e, a, n+1)+","))
		}
		sb.WriteString(indent(n) + "    ]" + null)
		return sb.String()
	case map[string]any:
		if deploy.IsWithheld(x) {
			return "(sensitive value)" + null
		}
		if len(x) == 0 {
			return "{}" + null + r.forces(a.replace)
		}
		keys := unionKeys(x, nil)
		w := 0
		for _, k := range keys {
			if l := len(strconv.Quote(k)); l > w {
				w = l
			}
		}
		var sb strings.Builder
		sb.WriteString("{" + r.forces(a.replace) + "\n")
		for _, k := range keys {
			sb.WriteString(r.lineText(n+1, act, fmt.Sprintf("%-*s = %s", w, strconv.Quote(k), r.whole(x[k], attrDiff{style: literal}, n+1, act, ""))))
		}
		sb.WriteString(indent(n) + "    }" + null)
		return sb.String()
	case string:
		if a.style == literal && strings.Contains(x, "\n") {
			var sb strings.Builder
			sb.WriteString("<<-EOT" + r.forces(a.replace) + "\n")
			for _, l := range strings.Split(x, "\n") {
				sb.WriteString(r.lineText(n+1, plans.NoOp, l))
			}
			sb.WriteString(indent(n) + "    EOT" + null)
			return sb.String()
		}
	}
	return r.scalar(v, a, n) + null + r.forces(a.replace)
}

// lineText is line as a string.
func (r *renderer) lineText(n int, a plans.Action, text string) string {
	return strings.TrimRight(indent(n)+r.symbol(a)+" "+text, " ") + "\n"
}

// scalar renders a value on one line, in the attribute's style.
func (r *renderer) scalar(v any, a attrDiff, n int) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		switch a.style {
		case expr:
			return strings.ReplaceAll(x, "\n", "\n"+indent(n+1))
		case ref:
			return strconv.Quote(a.prefix + "." + x)
		}
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = r.scalar(e, a, n)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if deploy.IsWithheld(x) {
			return "(sensitive value)"
		}
		keys := unionKeys(x, nil)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " = " + r.scalar(x[k], attrDiff{style: literal}, n)
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return fmt.Sprint(v)
}

func metricSource(v any) any {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["source"].(string); ok {
			return s
		}
	}
	return v
}

// list renders the change of a list element by element, as Terraform does:
// changed elements with the one before and after them, the unchanged rest
// counted.
func (r *renderer) list(before, after []any, a attrDiff, n int) string {
	ops := diffSlices(before, after)
	if len(ops) == 0 {
		return "[]" + r.forces(a.replace)
	}
	var sb strings.Builder
	sb.WriteString("[" + r.forces(a.replace) + "\n")
	var skipped []op
	renderNext := false
	for _, o := range ops {
		if o.action == plans.NoOp && !renderNext {
			skipped = append(skipped, o)
			continue
		}
		renderNext = false
		if len(skipped) > 1 {
			sb.WriteString(r.lineText(n+1, plans.NoOp, r.gray("# ("+plural(len(skipped)-1, "unchanged element")+" hidden)")))
		}
		if len(skipped) > 0 {
			sb.WriteString(r.lineText(n+1, plans.NoOp, r.scalar(skipped[len(skipped)-1].value, a, n+1)+","))
		}
		skipped = nil
		if o.action != plans.NoOp {
			renderNext = true
		}
		sb.WriteString(r.lineText(n+1, o.action, r.scalar(o.value, a, n+1)+","))
	}
	if len(skipped) > 0 {
		sb.WriteString(r.lineText(n+1, plans.NoOp, r.gray("# ("+plural(len(skipped), "unchanged element")+" hidden)")))
	}
	sb.WriteString(indent(n) + "    ]")
	return sb.String()
}

// mapDiff renders the change of a map entry by entry.
func (r *renderer) mapDiff(before, after map[string]any, a attrDiff, n int) string {
	keys := unionKeys(before, after)
	w := 0
	for _, k := range keys {
		if l := len(strconv.Quote(k)); l > w {
			w = l
		}
	}
	var sb strings.Builder
	sb.WriteString("{" + r.forces(a.replace) + "\n")
	unchanged := 0
	for _, k := range keys {
		bv, bok := present(before, k)
		av, aok := present(after, k)
		act := actionOf(bok, aok, bv, av)
		if act == plans.NoOp {
			unchanged++
			continue
		}
		inner := attrDiff{name: k, action: act, before: bv, after: av, style: literal,
			sensitive: deploy.IsWithheld(bv) || deploy.IsWithheld(av)}
		sb.WriteString(r.lineText(n+1, act, fmt.Sprintf("%-*s = %s", w, strconv.Quote(k), r.value(inner, n+1))))
	}
	if unchanged > 0 {
		sb.WriteString(r.lineText(n+1, plans.NoOp, r.gray("# ("+plural(unchanged, "unchanged element")+" hidden)")))
	}
	sb.WriteString(indent(n) + "    }")
	return sb.String()
}

// heredocDiff renders the change of a multi-line string line by line.
func (r *renderer) heredocDiff(before, after string, n int, replace bool) string {
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	b := make([]any, len(bl))
	for i, l := range bl {
		b[i] = l
	}
	a := make([]any, len(al))
	for i, l := range al {
		a[i] = l
	}
	var sb strings.Builder
	sb.WriteString("<<-EOT" + r.forces(replace) + "\n")
	for _, o := range diffSlices(b, a) {
		sb.WriteString(r.lineText(n+1, o.action, o.value.(string)))
	}
	sb.WriteString(indent(n) + "    EOT")
	return sb.String()
}
