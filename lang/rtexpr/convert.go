package rtexpr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/limits"
)

// isRuntimeRoot reports whether a runtime expression may start with name.
func isRuntimeRoot(name string) bool {
	switch name {
	case "customer", "event", "context", "segment", "journey", "propensity", "value", "lever":
		return true
	}
	return false
}

// state is shared by a converter and the converters it starts for the
// template files it reads.
type state struct {
	diags      hcl.Diagnostics
	sensitive  bool // a sensitive config-time value was inlined
	incomplete bool // a config-time part was unknown
	tooDeep    bool // the depth limit was reported once
}

func (st *state) errorf(rng hcl.Range, summary, format string, args ...any) {
	st.diags = append(st.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

// converter turns an hclsyntax expression into a node tree, evaluating its
// config-time parts on the way.
type converter struct {
	st *state
	// cfg is the caller's config context: var, local and the config
	// functions, through its parents too. nil when there are no
	// config-time values (only literals are config-time then).
	cfg *hcl.EvalContext
	// ctx evaluates config-time parts: a child of cfg, built on first use.
	ctx *hcl.EvalContext
	// subst holds, in a template file, the vars passed with runtime values.
	subst map[string]node
	// file is set while converting a template file.
	file    *tmplFile
	baseDir string
	budget  *limits.Budget
	// templatefile is true when templatefile calls are resolved here.
	templatefile bool
	// raw converts for and splat expressions as written, for printing the
	// unknown config-time part of a heldNode.
	raw bool
}

// tmplFile is the template file being converted.
type tmplFile struct {
	vars   []string        // the names passed to it, sorted, for messages
	consts map[string]bool // the names passed with config-time values
}

func newConverter(cfg *Config) *converter {
	c := &converter{st: &state{}}
	if cfg == nil || cfg.Eval == nil {
		return c
	}
	c.cfg = cfg.Eval
	c.baseDir = cfg.BaseDir
	c.budget = cfg.Budget
	c.templatefile = true
	return c
}

// evalCtx is the context config-time parts are evaluated in; nil when
// there is no config.
func (c *converter) evalCtx() *hcl.EvalContext {
	if c.ctx == nil && c.cfg != nil {
		c.ctx = c.cfg.NewChild()
		c.ctx.Functions = map[string]function.Function{"templatefile": c.templatefileFunc()}
	}
	return c.ctx
}

// cfgRoot reports whether a reference starting with name is config-time.
func (c *converter) cfgRoot(name string) bool {
	if c.file != nil {
		return c.file.consts[name]
	}
	if c.cfg == nil || isRuntimeRoot(name) {
		return false
	}
	if name == "var" || name == "local" {
		return true
	}
	_, ok := c.cfgVar(name)
	return ok
}

// cfgVar looks a variable up in the config context.
func (c *converter) cfgVar(name string) (cty.Value, bool) {
	for ctx := c.cfg; ctx != nil; ctx = ctx.Parent() {
		if v, ok := ctx.Variables[name]; ok {
			return v, true
		}
	}
	return cty.NilVal, false
}

// cfgFunc reports whether name is a config function.
func (c *converter) cfgFunc(name string) bool {
	for ctx := c.cfg; ctx != nil; ctx = ctx.Parent() {
		if _, ok := ctx.Functions[name]; ok {
			return true
		}
	}
	return false
}

// root converts a whole expression.
func (c *converter) root(e hclsyntax.Expression) node {
	n, src := c.convert(e, 1)
	if src != nil {
		return c.fold(src, true)
	}
	return n
}

// convert returns either a node (the expression refers to run time) or, when
// the whole expression is config-time, nil and the expression itself, so
// that the caller can evaluate the largest config-time part at once.
func (c *converter) convert(e hclsyntax.Expression, depth int) (node, hclsyntax.Expression) {
	if depth > MaxDepth {
		return c.tooDeep(e), nil
	}
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		// Checked before HCL evaluates anything around it: converting a
		// huge number to a string would take HCL minutes.
		if msg := unprintable(e.Val, 1); msg != "" {
			c.st.errorf(e.SrcRange, "Unsupported value", "%s", msg)
			return &errNode{rng: e.SrcRange}, nil
		}
		return nil, e

	case *hclsyntax.ScopeTraversalExpr:
		root := e.Traversal.RootName()
		if s, ok := c.subst[root]; ok {
			if len(e.Traversal) == 1 {
				return s, nil
			}
			return &relNode{src: s, trav: relative(e.Traversal[1:]), rng: e.SrcRange}, nil
		}
		if c.cfgRoot(root) {
			return nil, e
		}
		if c.file != nil && !isRuntimeRoot(root) {
			c.unknownTemplateVar(e)
			return &errNode{rng: e.SrcRange}, nil
		}
		return &refNode{trav: e.Traversal, rng: e.SrcRange}, nil

	case *hclsyntax.RelativeTraversalExpr:
		n, src := c.convert(e.Source, depth+1)
		if src != nil {
			return nil, e
		}
		return &relNode{src: n, trav: e.Traversal, rng: e.SrcRange}, nil

	case *hclsyntax.IndexExpr:
		cn, cs := c.convert(e.Collection, depth+1)
		kn, ks := c.convert(e.Key, depth+1)
		if cs != nil && ks != nil {
			return nil, e
		}
		return &indexNode{coll: c.use(cn, cs), key: c.use(kn, ks), rng: e.SrcRange}, nil

	case *hclsyntax.FunctionCallExpr:
		if e.Name == "templatefile" && c.templatefile {
			return c.templatefileCall(e, depth)
		}
		ns, srcs, all := c.convertAll(e.Args, depth)
		if all && c.cfgFunc(e.Name) {
			return nil, e
		}
		args := make([]node, len(ns))
		for i := range ns {
			args[i] = c.use(ns[i], srcs[i])
		}
		return &callNode{name: e.Name, args: args, expand: e.ExpandFinal,
			rng: e.Range(), nameRng: e.NameRange, closeRng: e.CloseParenRange}, nil

	case *hclsyntax.ConditionalExpr:
		ns, srcs, all := c.convertAll([]hclsyntax.Expression{e.Condition, e.TrueResult, e.FalseResult}, depth)
		if all {
			return nil, e
		}
		return &condNode{cond: c.use(ns[0], srcs[0]), t: c.use(ns[1], srcs[1]), f: c.use(ns[2], srcs[2]), rng: e.SrcRange}, nil

	case *hclsyntax.BinaryOpExpr:
		ns, srcs, all := c.convertAll([]hclsyntax.Expression{e.LHS, e.RHS}, depth)
		if all {
			return nil, e
		}
		return &binNode{op: e.Op, lhs: c.use(ns[0], srcs[0]), rhs: c.use(ns[1], srcs[1]), rng: e.SrcRange}, nil

	case *hclsyntax.UnaryOpExpr:
		n, src := c.convert(e.Val, depth+1)
		if src != nil {
			return nil, e
		}
		return &unNode{op: e.Op, val: n, rng: e.SrcRange}, nil

	case *hclsyntax.ParenthesesExpr:
		n, src := c.convert(e.Expression, depth+1)
		if src != nil {
			return nil, e
		}
		return &parenNode{inner: n, rng: e.SrcRange}, nil

	case *hclsyntax.TupleConsExpr:
		ns, srcs, all := c.convertAll(e.Exprs, depth)
		if all {
			return nil, e
		}
		elems := make([]node, len(ns))
		for i := range ns {
			elems[i] = c.use(ns[i], srcs[i])
		}
		return &tupleNode{elems: elems, rng: e.SrcRange}, nil

	case *hclsyntax.ObjectConsExpr:
		return c.object(e, depth)

	case *hclsyntax.TemplateExpr:
		ns, srcs, all := c.convertAll(e.Parts, depth)
		if all {
			return nil, e
		}
		parts := make([]node, len(ns))
		for i := range ns {
			parts[i] = c.use(ns[i], srcs[i])
		}
		return c.merge(parts, e.SrcRange), nil

	case *hclsyntax.TemplateWrapExpr:
		n, src := c.convert(e.Wrapped, depth+1)
		if src != nil {
			return nil, e
		}
		return n, nil

	case *hclsyntax.ForExpr, *hclsyntax.SplatExpr, *hclsyntax.TemplateJoinExpr:
		return c.iteration(e, depth)

	case *hclsyntax.AnonSymbolExpr:
		if c.raw {
			return &anonNode{rng: e.SrcRange}, nil
		}
	case *hclsyntax.ExprSyntaxError:
		return &errNode{rng: e.SrcRange}, nil // the parser reported it
	}
	c.st.errorf(e.Range(), "Unsupported expression", "This kind of expression cannot be used in a runtime expression.")
	return &errNode{rng: e.Range()}, nil
}

// convertAll converts sibling expressions one level deeper than depth and
// reports whether all of them are config-time.
func (c *converter) convertAll(es []hclsyntax.Expression, depth int) ([]node, []hclsyntax.Expression, bool) {
	ns := make([]node, len(es))
	srcs := make([]hclsyntax.Expression, len(es))
	all := true
	for i, e := range es {
		ns[i], srcs[i] = c.convert(e, depth+1)
		if srcs[i] == nil {
			all = false
		}
	}
	return ns, srcs, all
}

// use returns n, or the value of src when the part is config-time.
func (c *converter) use(n node, src hclsyntax.Expression) node {
	if src != nil {
		return c.fold(src, false)
	}
	return n
}

func (c *converter) tooDeep(e hclsyntax.Expression) node {
	if !c.st.tooDeep {
		c.st.tooDeep = true
		c.st.errorf(e.Range(), "Expression too deeply nested",
			"Runtime expressions may nest at most %d levels deep; this part is deeper. Split the expression, for example into segments.", MaxDepth)
	}
	return &errNode{rng: e.Range()}
}

func (c *converter) object(e *hclsyntax.ObjectConsExpr, depth int) (node, hclsyntax.Expression) {
	type item struct {
		key    node
		keySrc hclsyntax.Expression
		val    node
		valSrc hclsyntax.Expression
	}
	items := make([]item, len(e.Items))
	all := true
	for i, it := range e.Items {
		keyExpr := it.KeyExpr
		if kx, ok := keyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
			keyExpr = kx.Wrapped
			if !kx.ForceNonLiteral {
				if st, ok := kx.Wrapped.(*hclsyntax.ScopeTraversalExpr); ok && len(st.Traversal) > 1 {
					c.st.errorf(kx.Range(), "Ambiguous attribute key", "If this expression is intended to be a reference, wrap it in parentheses. If it's instead intended as a literal name containing periods, wrap it in quotes to create a string literal.")
					items[i].key = &errNode{rng: kx.Range()}
					all = false
				} else if kw := hcl.ExprAsKeyword(kx.Wrapped); kw != "" {
					items[i].key = &litNode{val: cty.StringVal(kw), rng: kx.Range()}
					items[i].keySrc = kx
				}
			}
		}
		if items[i].key == nil {
			items[i].key, items[i].keySrc = c.convert(keyExpr, depth+1)
			if items[i].keySrc == nil {
				all = false
			}
		}
		items[i].val, items[i].valSrc = c.convert(it.ValueExpr, depth+1)
		if items[i].valSrc == nil {
			all = false
		}
	}
	if all {
		return nil, e
	}
	out := &objNode{items: make([]objItem, len(items)), rng: e.SrcRange}
	for i, it := range items {
		key := it.key
		if _, isLit := key.(*litNode); !isLit && it.keySrc != nil {
			key = c.fold(it.keySrc, false)
		}
		out.items[i] = objItem{key: key, val: c.use(it.val, it.valSrc)}
	}
	return out, nil
}

// merge builds a string template from its parts: constant parts are
// converted to strings and joined with their neighbours, nested templates
// are flattened. The result is a string litNode when nothing is left to
// do at run time.
func (c *converter) merge(parts []node, rng hcl.Range) node {
	var out []node
	var text *litNode
	var buf strings.Builder
	flush := func() {
		if text != nil {
			text.val = cty.StringVal(buf.String())
			out = append(out, text)
			text = nil
			buf.Reset()
		}
	}
	var add func(p node)
	add = func(p node) {
		switch p := p.(type) {
		case *litNode:
			s, err := toString(p.val)
			if err != nil {
				c.st.errorf(p.rng, "Invalid template interpolation value", "%s", err)
				flush()
				out = append(out, &errNode{rng: p.rng})
				return
			}
			if text == nil {
				text = &litNode{rng: p.rng}
			} else {
				text.rng = hcl.RangeBetween(text.rng, p.rng)
			}
			text.sensitive = text.sensitive || p.sensitive
			buf.WriteString(s.AsString())
		case *tmplNode:
			for _, q := range p.parts {
				add(q)
			}
		default:
			flush()
			out = append(out, p)
		}
	}
	for _, p := range parts {
		add(p)
	}
	flush()
	switch {
	case len(out) == 0:
		return &litNode{val: cty.StringVal(""), rng: rng}
	case len(out) == 1:
		if l, ok := out[0].(*litNode); ok {
			l.rng = rng
			return l
		}
	}
	return &tmplNode{parts: out, rng: rng}
}

// toString converts a template part to a string as HCL does.
func toString(v cty.Value) (cty.Value, error) {
	if v.IsNull() {
		return cty.NilVal, fmt.Errorf("The expression result is null. Cannot include a null value in a string template.")
	}
	if !v.Type().IsPrimitiveType() {
		return cty.NilVal, fmt.Errorf("Cannot include the given value in a string template: it is %s, but a string is required.", typeName(v.Type()))
	}
	return convert.Convert(v, cty.String)
}

// iteration converts a for or splat expression or a %{for} directive: fine
// over config-time values (it is evaluated), refused over runtime values.
func (c *converter) iteration(e hclsyntax.Expression, depth int) (node, hclsyntax.Expression) {
	if c.configTree(e, depth) {
		return nil, e
	}
	if c.st.tooDeep {
		return &errNode{rng: e.Range()}, nil
	}
	if c.raw {
		return c.rawIteration(e, depth)
	}
	what := "A for expression"
	switch e.(type) {
	case *hclsyntax.SplatExpr:
		what = "A splat expression ([*])"
	case *hclsyntax.TemplateJoinExpr:
		what = "A %{for} directive"
	}
	c.st.errorf(e.Range(), "Not supported in runtime expressions",
		"%s over runtime values is not supported in runtime expressions and templates; over config-time values (var, local) it is, and it is evaluated when planning.", what)
	return &errNode{rng: e.Range()}, nil
}

func (c *converter) rawIteration(e hclsyntax.Expression, depth int) (node, hclsyntax.Expression) {
	conv := func(x hclsyntax.Expression) node {
		if x == nil {
			return nil
		}
		n, src := c.convert(x, depth+1)
		return c.use(n, src)
	}
	switch e := e.(type) {
	case *hclsyntax.ForExpr:
		return &forNode{keyVar: e.KeyVar, valVar: e.ValVar, coll: conv(e.CollExpr), key: conv(e.KeyExpr),
			val: conv(e.ValExpr), cond: conv(e.CondExpr), group: e.Group, rng: e.SrcRange}, nil
	case *hclsyntax.SplatExpr:
		return &splatNode{src: conv(e.Source), each: conv(e.Each), rng: e.SrcRange}, nil
	case *hclsyntax.TemplateJoinExpr:
		return &callNode{name: "join", args: []node{&litNode{val: cty.StringVal(""), rng: e.Range()}, conv(e.Tuple)}, rng: e.Range()}, nil
	}
	return &errNode{rng: e.Range()}, nil
}

// configTree reports whether e refers only to config-time names and calls
// only config functions, within the depth limit.
func (c *converter) configTree(e hclsyntax.Expression, depth int) bool {
	for _, t := range hclsyntax.Variables(e) {
		root := t.RootName()
		if !c.cfgRoot(root) {
			return false
		}
		if _, ok := c.subst[root]; ok {
			return false
		}
	}
	ok := true
	w := &depthWalker{depth: depth - 1, limit: MaxDepth}
	hclsyntax.Walk(e, w)
	if w.exceeded {
		c.tooDeep(e)
		return false
	}
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, isCall := n.(*hclsyntax.FunctionCallExpr); isCall {
			if !c.cfgFunc(call.Name) && !(call.Name == "templatefile" && c.templatefile) {
				ok = false
			}
		}
		return nil
	})
	return ok
}

// depthWalker measures how deeply an hclsyntax tree nests.
type depthWalker struct {
	depth, limit int
	exceeded     bool
}

func (w *depthWalker) Enter(hclsyntax.Node) hcl.Diagnostics {
	w.depth++
	if w.depth > w.limit {
		w.exceeded = true
	}
	return nil
}

func (w *depthWalker) Exit(hclsyntax.Node) hcl.Diagnostics {
	w.depth--
	return nil
}

// fold evaluates a config-time part. whole is true when the part is the
// entire expression.
func (c *converter) fold(src hclsyntax.Expression, whole bool) node {
	if !c.checkConfigRefs(src) {
		return &errNode{rng: src.Range()}
	}
	val, diags := limits.Eval(src, c.evalCtx(), c.budget)
	c.st.diags = append(c.st.diags, diags...)
	if diags.HasErrors() {
		return &errNode{rng: src.Range()}
	}
	sensitive := val.HasMarkDeep(SensitiveMark)
	val, _ = val.UnmarkDeep()
	if sensitive {
		c.st.sensitive = true
	}
	if !val.IsWhollyKnown() {
		c.st.incomplete = true
		rc := &converter{st: &state{}, raw: true}
		inner, isrc := rc.convert(src, 1)
		if isrc != nil { // literals only: cannot be unknown, but be safe
			inner = &errNode{rng: src.Range()}
		}
		return &heldNode{inner: inner, ty: val.Type(), constant: whole, sensitive: sensitive}
	}
	if msg := unprintable(val, 1); msg != "" {
		c.st.errorf(src.Range(), "Unsupported value", "%s", msg)
		return &errNode{rng: src.Range()}
	}
	return &litNode{val: val, rng: src.Range(), sensitive: sensitive}
}

// maxBinaryExp bounds the binary exponent of a number in a runtime
// expression: a little beyond float64's, whose numbers the runtime uses.
// It also keeps decimal printing cheap.
const maxBinaryExp = 1100

// unprintable says why a value cannot be written as a literal, or "".
func unprintable(v cty.Value, depth int) string {
	if depth > MaxDepth {
		return fmt.Sprintf("This value is nested more than %d levels deep, too deep to be written into a runtime expression.", MaxDepth)
	}
	ty := v.Type()
	switch {
	case v.IsNull():
		return ""
	case ty.IsCapsuleType():
		return fmt.Sprintf("A value of type %s cannot be written into a runtime expression.", ty.FriendlyName())
	case ty == cty.Number:
		f := v.AsBigFloat()
		if f.IsInf() {
			return "An infinite number cannot be written into a runtime expression."
		}
		if exp := f.MantExp(nil); f.Sign() != 0 && (exp > maxBinaryExp || exp < -maxBinaryExp) {
			return "This number is out of range: runtime expressions hold numbers of the range of a 64-bit float, about 1e-308 to 1e308 in size."
		}
	case ty.IsCollectionType() || ty.IsObjectType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if msg := unprintable(ev, depth+1); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// checkConfigRefs gives Terraform's messages for references to undeclared
// variables and locals, with suggestions.
func (c *converter) checkConfigRefs(src hclsyntax.Expression) bool {
	if c.file != nil || c.cfg == nil {
		return true
	}
	ok := true
	for _, t := range hclsyntax.Variables(src) {
		root := t.RootName()
		if root != "var" && root != "local" {
			continue
		}
		if len(t) < 2 {
			c.st.errorf(t.SourceRange(), "Invalid reference", "The %q object cannot be used on its own; name one of its attributes, such as %s.name.", root, root)
			ok = false
			continue
		}
		name, isName := stepName(t[1])
		if !isName {
			c.st.errorf(t.SourceRange(), "Invalid reference", "A %s reference must be followed by an attribute name, such as %s.name.", root, root)
			ok = false
			continue
		}
		obj, found := c.cfgVar(root)
		if !found {
			obj = cty.EmptyObjectVal
		}
		ty := obj.Type()
		if ty == cty.DynamicPseudoType || (ty.IsMapType() && !obj.IsKnown()) {
			continue
		}
		var names []string
		if ty.IsObjectType() {
			if ty.HasAttribute(name) {
				continue
			}
			for k := range ty.AttributeTypes() {
				names = append(names, k)
			}
		} else if ty.IsMapType() && !obj.IsNull() {
			if obj.HasIndex(cty.StringVal(name)).True() {
				continue
			}
			for k := range obj.AsValueMap() {
				names = append(names, k)
			}
		}
		rng := hcl.RangeBetween(t[0].SourceRange(), t[1].SourceRange())
		ok = false
		if root == "var" {
			detail := fmt.Sprintf("An input variable with the name %q has not been declared.", name)
			if s := suggest(name, names); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			} else {
				detail += fmt.Sprintf(" This variable can be declared with a variable %q {} block.", name)
			}
			c.st.errorf(rng, "Reference to undeclared input variable", "%s", detail)
		} else {
			c.st.errorf(rng, "Reference to undeclared local value", "A local value with the name %q has not been declared.%s", name, didYouMean(name, names))
		}
	}
	return ok
}

func (c *converter) unknownTemplateVar(e *hclsyntax.ScopeTraversalExpr) {
	root := e.Traversal.RootName()
	avail := append(append([]string(nil), c.file.vars...), "customer", "context", "journey")
	passed := "none here"
	if len(c.file.vars) > 0 {
		passed = strings.Join(c.file.vars, ", ")
	}
	c.st.errorf(e.Traversal[0].SourceRange(), "Unknown variable",
		"There is no variable named %q.%s A template file read by templatefile can use the variables passed to it (%s) and the runtime references customer, context and journey.",
		root, didYouMean(root, avail), passed)
}

// relative turns the steps after a root into a relative traversal.
func relative(steps hcl.Traversal) hcl.Traversal {
	out := make(hcl.Traversal, len(steps))
	copy(out, steps)
	return out
}

// stepName is the name an attribute step or a string index step gives.
func stepName(step hcl.Traverser) (string, bool) {
	switch s := step.(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
