package limits

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Eval evaluates expr in ctx within b, and refuses a result over the value
// limits. A nil ctx allows literals only, as expr.Value(nil) does; any other
// ctx must offer b.Functions() among its functions. A nil b is a fresh
// budget.
//
// For the length of the call, hooks stand in expr's syntax tree (see the
// package documentation); expr must not be evaluated or walked by another
// goroutine meanwhile. An expression of HCL's JSON syntax is evaluated as
// HCL would, with its strings parsed into native templates here.
func Eval(expr hcl.Expression, ctx *hcl.EvalContext, b *Budget) (cty.Value, hcl.Diagnostics) {
	if b == nil {
		b = NewBudget(context.Background())
	}
	ev := &evaluator{b: b, ctx: ctx, st: &exprState{}}
	switch {
	case ctx == nil:
		if diags := literalOnly(expr, true); diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		ev.literal = true
		ev.ctx = &hcl.EvalContext{Functions: b.Functions()}
	case !hasFunc(ctx, hookFor):
		ev.ctx = withHooks(ctx, b)
		if ev.ctx == nil {
			if diags := literalOnly(expr, false); diags.HasErrors() {
				return cty.DynamicVal, diags
			}
			ev.ctx = ctx.NewChild()
			ev.ctx.Functions = b.Functions()
		}
	}
	v, diags := ev.eval(expr)
	if diags.HasErrors() {
		return v, diags
	}
	if err := Check(v, "This value"); err != nil {
		return cty.DynamicVal, append(diags, Diagnostic(err, expr.Range()))
	}
	return v, diags
}

// Diagnostic reports err, an *Error or not, at rng.
func Diagnostic(err error, rng hcl.Range) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Limit exceeded", Detail: err.Error(), Subject: rng.Ptr()}
	if le, ok := err.(*Error); ok {
		d.Summary, d.Extra = le.Summary, le
	}
	return d
}

// withHooks returns a child of ctx that offers, beside every function ctx
// offers, b's hooks; nil when ctx offers no function.
func withHooks(ctx *hcl.EvalContext, b *Budget) *hcl.EvalContext {
	fns := map[string]function.Function{}
	found := false
	for c := ctx; c != nil; c = c.Parent() {
		for n, f := range c.Functions {
			found = true
			if _, seen := fns[n]; !seen {
				fns[n] = f
			}
		}
	}
	if !found {
		return nil
	}
	for n, f := range b.Functions() {
		fns[n] = f
	}
	child := ctx.NewChild()
	child.Functions = fns
	return child
}

func hasFunc(ctx *hcl.EvalContext, name string) bool {
	_, ok := lookupFunc(ctx, name)
	return ok
}

// literalOnly refuses, as HCL does without a context, the function calls
// (and, if vars, the references) of an expression that may hold literals
// only.
func literalOnly(expr hcl.Expression, vars bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		if !vars {
			break
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Variables not allowed",
			Detail: "Variables may not be used here.", Subject: t.SourceRange().Ptr()})
	}
	if e, ok := expr.(hclsyntax.Expression); ok {
		hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Function calls not allowed",
					Detail: "Functions may not be called here.", Subject: call.Range().Ptr()})
			}
			return nil
		})
	}
	return diags
}

type evaluator struct {
	b       *Budget
	ctx     *hcl.EvalContext
	st      *exprState
	literal bool
}

// jsonExpr is what HCL's JSON expressions offer to take them apart.
type jsonExpr interface {
	ExprList() []hcl.Expression
	ExprMap() []hcl.KeyValuePair
	AsTraversal() hcl.Traversal
}

func (ev *evaluator) eval(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	switch e := expr.(type) {
	case hclsyntax.Expression:
		return ev.native(e)
	case jsonExpr:
		return ev.json(e)
	}
	v, diags := expr.Value(ev.ctx)
	rewrite(diags)
	return v, diags
}

// native evaluates e with the hooks in place.
func (ev *evaluator) native(e hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	in := &instrumenter{b: ev.b, ctx: ev.ctx, st: ev.st}
	in.walk(e, nil, true, nil)
	defer in.restore()
	if in.diags.HasErrors() {
		return cty.DynamicVal, in.diags
	}
	v, diags := e.Value(ev.ctx)
	rewrite(diags)
	return v, diags
}

// json evaluates a JSON expression as HCL's JSON syntax does: arrays are
// tuples, objects objects (with template keys), strings templates.
func (ev *evaluator) json(e jsonExpr) (cty.Value, hcl.Diagnostics) {
	if items := e.ExprList(); items != nil {
		var diags hcl.Diagnostics
		vals := make([]cty.Value, len(items))
		for i, item := range items {
			var d hcl.Diagnostics
			vals[i], d = ev.eval(item)
			diags = append(diags, d...)
		}
		return cty.TupleVal(vals), diags
	}
	if kvs := e.ExprMap(); kvs != nil {
		return ev.jsonObject(kvs)
	}
	expr := e.(hcl.Expression)
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return v, diags
	}
	switch v.Type() {
	case cty.Number:
		if err := CheckNumber(v); err != nil {
			return cty.DynamicVal, hcl.Diagnostics{Diagnostic(err, expr.Range())}
		}
	case cty.String:
		if ev.literal {
			return v, diags
		}
		rng := expr.Range()
		start := hcl.Pos{Line: rng.Start.Line, Column: rng.Start.Column + 1, Byte: rng.Start.Byte + 1}
		src := []byte(v.AsString())
		if d := CheckNesting(src, rng.Filename, start, Template); d != nil {
			return cty.DynamicVal, hcl.Diagnostics{d}
		}
		tmpl, pd := hclsyntax.ParseTemplate(src, rng.Filename, start)
		if pd.HasErrors() {
			return cty.DynamicVal, pd
		}
		return ev.native(tmpl)
	}
	return v, diags
}

func (ev *evaluator) jsonObject(kvs []hcl.KeyValuePair) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := map[string]cty.Value{}
	ranges := map[string]hcl.Range{}
	known := true
	for _, kv := range kvs {
		name, nd := ev.eval(kv.Key)
		val, vd := ev.eval(kv.Value)
		diags = append(append(diags, nd...), vd...)
		keyRng := kv.Key.Range()
		name, err := convert.Convert(name, cty.String)
		switch {
		case err != nil:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid object key expression",
				Detail: fmt.Sprintf("Cannot use this expression as an object key: %s.", err), Subject: &keyRng})
			continue
		case name.IsNull():
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid object key expression",
				Detail: "Cannot use null value as an object key.", Subject: &keyRng})
			continue
		case !name.IsKnown():
			known = false
			continue
		}
		n, _ := name.Unmark()
		s := n.AsString()
		if prev, dup := ranges[s]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate object attribute",
				Detail: fmt.Sprintf("An attribute named %q was already defined at %s.", s, prev), Subject: &keyRng})
			continue
		}
		attrs[s] = val
		ranges[s] = keyRng
	}
	if !known {
		return cty.DynamicVal, diags
	}
	return cty.ObjectVal(attrs), diags
}

// instrumenter puts hooks into a syntax tree and takes them out again.
type instrumenter struct {
	b     *Budget
	ctx   *hcl.EvalContext
	st    *exprState
	undo  []func()
	diags hcl.Diagnostics
}

func (in *instrumenter) restore() {
	for i := len(in.undo) - 1; i >= 0; i-- {
		in.undo[i]()
	}
}

// set replaces *field by v until restore.
func set[T any](in *instrumenter, field *T, v T) {
	old := *field
	*field = v
	in.undo = append(in.undo, func() { *field = old })
}

func isLiteral(e hclsyntax.Expression) bool {
	_, ok := e.(*hclsyntax.LiteralValueExpr)
	return ok
}

// walk instruments e. parent is the innermost for expression whose body e
// is in; direct says e is evaluated once for each of its iterations; vars
// are the names the enclosing for expressions bind.
func (in *instrumenter) walk(e hclsyntax.Expression, parent *hookState, direct bool, vars []string) {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		if err := CheckNumber(e.Val); err != nil {
			in.diags = append(in.diags, Diagnostic(err, e.SrcRange))
		}
	case *hclsyntax.RelativeTraversalExpr:
		in.walk(e.Source, parent, direct, vars)
	case *hclsyntax.ParenthesesExpr:
		in.walk(e.Expression, parent, direct, vars)
	case *hclsyntax.ConditionalExpr:
		in.walk(e.Condition, parent, direct, vars)
		in.walk(e.TrueResult, parent, false, vars)
		in.walk(e.FalseResult, parent, false, vars)
	case *hclsyntax.IndexExpr:
		in.walk(e.Collection, parent, direct, vars)
		in.walk(e.Key, parent, direct, vars)
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			in.walk(x, parent, direct, vars)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			in.walk(item.KeyExpr, parent, direct, vars)
			in.walk(item.ValueExpr, parent, direct, vars)
		}
	case *hclsyntax.ObjectConsKeyExpr:
		in.walk(e.Wrapped, parent, direct, vars)
	case *hclsyntax.SplatExpr:
		in.walk(e.Source, parent, direct, vars)
		in.walk(e.Each, parent, false, vars)
	case *hclsyntax.TemplateWrapExpr:
		in.walk(e.Wrapped, parent, direct, vars)
	case *hclsyntax.TemplateJoinExpr:
		in.walk(e.Tuple, parent, direct, vars)
		set(in, &e.Tuple, hclsyntax.Expression(hookCall(hookJoin, e.Tuple, &hookState{expr: in.st})))
	case *hclsyntax.TemplateExpr:
		tmpl := new(int64)
		first := true
		for i, p := range e.Parts {
			in.walk(p, parent, direct, vars)
			if isLiteral(p) {
				continue
			}
			set(in, &e.Parts[i], hclsyntax.Expression(hookCall(hookPart, p, &hookState{expr: in.st, tmpl: tmpl, first: first})))
			first = false
		}
	case *hclsyntax.UnaryOpExpr:
		in.walk(e.Val, parent, direct, vars)
		if e.Op == hclsyntax.OpNegate && !isLiteral(e.Val) {
			set(in, &e.Val, hclsyntax.Expression(hookCall(hookNum, e.Val, &hookState{expr: in.st})))
		}
	case *hclsyntax.BinaryOpExpr:
		in.walk(e.LHS, parent, direct, vars)
		in.walk(e.RHS, parent, direct, vars)
		if ps := e.Op.Impl.Params(); len(ps) == 2 && ps[0].Type.Equals(cty.Number) {
			if !isLiteral(e.LHS) {
				set(in, &e.LHS, hclsyntax.Expression(hookCall(hookNum, e.LHS, &hookState{expr: in.st})))
			}
			if !isLiteral(e.RHS) {
				set(in, &e.RHS, hclsyntax.Expression(hookCall(hookNum, e.RHS, &hookState{expr: in.st})))
			}
		}
		if g, ok := in.b.ops[e.Op]; ok {
			set(in, &e.Op, g)
		}
	case *hclsyntax.FunctionCallExpr:
		argsDirect := direct && e.Name != "try" && e.Name != "can"
		for _, a := range e.Args {
			in.walk(a, parent, argsDirect, vars)
		}
		in.numberArgs(e)
	case *hclsyntax.ForExpr:
		st := &hookState{expr: in.st, parent: parent}
		st.certain = independent(e.CollExpr, vars) && (parent == nil || (direct && parent.certain))
		in.walk(e.CollExpr, parent, direct, vars)
		set(in, &e.CollExpr, hclsyntax.Expression(hookCall(hookFor, e.CollExpr, st)))
		inner := append(append([]string(nil), vars...), e.KeyVar, e.ValVar)
		body := e.CondExpr == nil
		if e.KeyExpr != nil {
			in.walk(e.KeyExpr, st, body, inner)
		}
		in.walk(e.ValExpr, st, body, inner)
		if e.CondExpr != nil {
			in.walk(e.CondExpr, st, true, inner)
		}
	}
}

// numberArgs hooks the arguments that HCL will convert to numbers, so that
// a string too long to convert cheaply is refused first.
func (in *instrumenter) numberArgs(e *hclsyntax.FunctionCallExpr) {
	f, ok := lookupFunc(in.ctx, e.Name)
	if !ok {
		return
	}
	params := f.Params()
	for i, a := range e.Args {
		if isLiteral(a) || (e.ExpandFinal && i == len(e.Args)-1) {
			continue
		}
		var p *function.Parameter
		switch {
		case i < len(params):
			p = &params[i]
		case f.VarParam() != nil:
			p = f.VarParam()
		}
		if p != nil && p.Type.Equals(cty.Number) {
			set(in, &e.Args[i], hclsyntax.Expression(hookCall(hookNum, a, &hookState{expr: in.st})))
		}
	}
}

func lookupFunc(ctx *hcl.EvalContext, name string) (function.Function, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		if f, ok := c.Functions[name]; ok {
			return f, true
		}
	}
	return function.Function{}, false
}

// independent reports whether coll refers to none of vars, so that it is the
// same value on every iteration of the for expressions that bind them.
func independent(coll hclsyntax.Expression, vars []string) bool {
	if len(vars) == 0 {
		return true
	}
	for _, t := range hclsyntax.Variables(coll) {
		for _, v := range vars {
			if v != "" && t.RootName() == v {
				return false
			}
		}
	}
	return true
}
