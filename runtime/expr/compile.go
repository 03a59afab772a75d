package expr

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Limits on what Compile and CompileTemplate accept.
const (
	MaxSourceLen = 64 << 10 // bytes of source text
	MaxDepth     = 64       // nesting of brackets and of sub-expressions
)

// Program is a compiled runtime expression. It is safe for concurrent use.
type Program struct {
	src  string
	kind Kind
	root *node
	cond boolFn
	num  numFn
	val  valFn
	refs Refs
	slow int // sub-expressions evaluated through HCL
	// budget is a fresh meter for each evaluation; metered is set when
	// some node charges it (one that allocates, or calls a function).
	budget  meter
	metered bool
}

// Refs is what a program reads, so that the caller knows when its result
// may have changed. Slices are sorted and must not be modified.
type Refs struct {
	Customer []int    // customer slots
	Event    []int    // slots of the event in hand
	Context  []string // context keys
	// AllContext is set when the program reads context other than by
	// constant keys.
	AllContext bool
	Segments   []int // indexes into Activation.Segments
	Journeys   []int // indexes into Activation.Stages
	Priority   bool  // propensity, value or lever
}

// Error is a compile error: diagnostics whose ranges are lines and columns
// of the source text. Its message names what and where, never values.
type Error struct {
	Diagnostics hcl.Diagnostics
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, d := range e.Diagnostics {
		if d.Severity != hcl.DiagError {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteString("; ")
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%d:%d: ", d.Subject.Start.Line, d.Subject.Start.Column)
		}
		b.WriteString(d.Summary)
		if d.Detail != "" {
			b.WriteString(": ")
			b.WriteString(strings.TrimSuffix(d.Detail, "."))
		}
	}
	return b.String()
}

func errorAt(rng hcl.Range, summary, detail string) *Error {
	r := rng
	return &Error{Diagnostics: hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r,
	}}}
}

func diagError(diags hcl.Diagnostics) *Error {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			// Drop the EvalContext and expression: they hold values.
			out = append(out, &hcl.Diagnostic{
				Severity: d.Severity, Summary: d.Summary, Detail: d.Detail,
				Subject: d.Subject, Context: d.Context,
			})
		}
	}
	return &Error{Diagnostics: out}
}

// Compile compiles a runtime expression, given as HCL native-syntax source,
// against env.
func Compile(src string, env *Env) (*Program, error) {
	c, err := newCompiler(env)
	if err != nil {
		return nil, err
	}
	if err := checkSource(src, false); err != nil {
		return nil, err
	}
	e, diags := hclsyntax.ParseExpression([]byte(src), "", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	c.useStatic(e)
	root, err := c.compileRoot(e)
	if err != nil {
		return nil, err
	}
	p := &Program{src: src, kind: root.kind, root: root, refs: c.scope.refsOf(e.Variables()), slow: c.slow,
		budget: c.budget, metered: c.metered}
	p.cond = asBool(root)
	p.num = asNum(root)
	p.val = root.v
	p.metering()
	return p, nil
}

// compileRoot checks e and compiles it into a node.
func (c *compiler) compileRoot(e hclsyntax.Expression) (*node, error) {
	if err := checkDepth(e); err != nil {
		return nil, err
	}
	if err := checkLiterals(e); err != nil {
		return nil, err
	}
	if err := c.checkScopes(e); err != nil {
		return nil, err
	}
	tv, diags := c.typeCheck(e)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	if _, _, ok := kindOf(tv.Type()); !ok {
		return nil, errorAt(e.Range(), "Unsupported result type",
			fmt.Sprintf("A runtime expression must be a string, a number, a bool or a list of strings, not %s.", tv.Type().FriendlyName()))
	}
	n := c.expr(e)
	if n == nil {
		n = c.slowNode(e, true)
	}
	if n == nil {
		return nil, errorAt(e.Range(), "Unsupported expression", "The runtime cannot evaluate this expression.")
	}
	return n, nil
}

// Kind returns the static kind of the program's result: Dynamic when only
// evaluation tells.
func (p *Program) Kind() Kind { return p.kind }

// Source returns the source text the program was compiled from.
func (p *Program) Source() string { return p.src }

// Refs returns what the program reads.
func (p *Program) Refs() Refs { return p.refs }

// Eval evaluates the program; null where HCL would fail, or when the
// evaluation went over its budget (OverBudget tells).
func (p *Program) Eval(a *Activation) Value {
	v, s := p.val(a)
	if s != stOK {
		return Value{}
	}
	return v
}

// EvalBool evaluates the program as a condition. A condition that meets a
// null, or whose value is null or not a bool, is false, and null is set so
// that the caller can count it; so is one that went over its budget, which
// OverBudget then reports.
func (p *Program) EvalBool(a *Activation) (result, null bool) {
	switch p.cond(a) {
	case triTrue:
		return true, false
	case triFalse:
		return false, false
	}
	return false, true
}

// EvalNumber evaluates the program as a number; null is set when the
// value is null or not a number, or when the evaluation went over its
// budget (OverBudget tells).
func (p *Program) EvalNumber(a *Activation) (result float64, null bool) {
	x, s := p.num(a)
	if s != stOK {
		return 0, true
	}
	return x, false
}

// OverBudget reports whether the last evaluation of p over a stopped
// because it went over its budget: its null or false result then says
// nothing of the expression's value.
func (p *Program) OverBudget(a *Activation) bool {
	return a.meter.over && a.meter.owner == p
}

// metering wraps the program's evaluators, when some node charges the
// budget, so that each evaluation starts with a fresh budget and fails
// when it went over it. Programs that charge nothing are left as they are.
func (p *Program) metering() {
	if !p.metered {
		return
	}
	budget := p.budget
	budget.owner = p
	cond, num, val := p.cond, p.num, p.val
	p.cond = func(a *Activation) tri {
		a.meter = budget
		t := cond(a)
		if a.meter.over {
			return triFail
		}
		return t
	}
	p.num = func(a *Activation) (float64, st) {
		a.meter = budget
		x, s := num(a)
		if a.meter.over {
			return 0, stFail
		}
		return x, s
	}
	p.val = func(a *Activation) (Value, st) {
		a.meter = budget
		v, s := val(a)
		if a.meter.over {
			return Value{}, stFail
		}
		return v, s
	}
}

// compiler holds what compiling one expression needs.
type compiler struct {
	scope  *scope
	funcs  map[string]function.Function
	static *hcl.EvalContext // unknown values of every name in scope
	slow   int              // slow nodes made
	// budget is the Env's; metered is set once a node that charges it is
	// made.
	budget  meter
	metered bool
	// charged holds the functions as slow nodes call them: each takes the
	// activation first and is charged before it runs (see rewrite.go).
	charged map[string]function.Function
}

func newCompiler(env *Env) (*compiler, error) {
	if env == nil {
		env = &Env{}
	}
	s := &scope{
		env:      env,
		customer: env.Customer,
		ctxRoot:  env.Context,
		priority: env.Priority,
	}
	if s.customer == nil {
		s.customer = NewLayout(nil)
	}
	if env.Event != "" {
		s.event = env.Events[env.Event]
		if s.event == nil {
			return nil, fmt.Errorf("compiling for event type %q, which the environment has no layout for", env.Event)
		}
	}
	funcs := env.Functions
	if funcs == nil {
		funcs = StdFunctions()
	}
	return &compiler{
		scope:  s,
		funcs:  funcs,
		budget: env.Budget.meter(),
		// Variables are set by useStatic once the source is parsed.
		static: &hcl.EvalContext{Functions: funcs},
	}, nil
}

// useStatic sets the type-checking variables and functions for e.
func (c *compiler) useStatic(e hclsyntax.Expression) {
	c.static.Variables = c.scope.staticVars(e.Variables())
	c.static.Functions = c.staticFuncs(e)
}

// checkSource refuses source that is too long or nests too deeply, before
// the parser sees it.
func checkSource(src string, template bool) error {
	if len(src) > MaxSourceLen {
		return errorAt(hcl.Range{Start: hcl.InitialPos, End: hcl.InitialPos}, "Source too long",
			fmt.Sprintf("A runtime expression or template may be at most %d bytes; this one has %d.", MaxSourceLen, len(src)))
	}
	var toks hclsyntax.Tokens
	if template {
		toks, _ = hclsyntax.LexTemplate([]byte(src), "", hcl.InitialPos)
	} else {
		toks, _ = hclsyntax.LexExpression([]byte(src), "", hcl.InitialPos)
	}
	depth := 0
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenOBrace,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			depth++
			if depth > MaxDepth {
				return errorAt(t.Range, "Nesting too deep", fmt.Sprintf("A runtime expression may nest at most %d levels deep.", MaxDepth))
			}
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack, hclsyntax.TokenCBrace,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// checkDepth refuses an expression tree deeper than MaxDepth. A chain of
// one binary operator (a && b && c ...) counts as one level.
func checkDepth(e hclsyntax.Expression) error {
	w := &depthWalker{}
	hclsyntax.Walk(e, w)
	if w.deep != nil {
		return errorAt(w.deep.Range(), "Nesting too deep", fmt.Sprintf("A runtime expression may nest at most %d levels deep.", MaxDepth))
	}
	return nil
}

type depthWalker struct {
	stack []hclsyntax.Node
	depth []int
	deep  hclsyntax.Node
}

func (w *depthWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	d := 1
	if len(w.stack) > 0 {
		d = w.depth[len(w.depth)-1] + 1
		if b, ok := n.(*hclsyntax.BinaryOpExpr); ok {
			if pb, ok := w.stack[len(w.stack)-1].(*hclsyntax.BinaryOpExpr); ok && pb.Op == b.Op {
				d--
			}
		}
	}
	if d > MaxDepth && w.deep == nil {
		w.deep = n
	}
	w.stack = append(w.stack, n)
	w.depth = append(w.depth, d)
	return nil
}

func (w *depthWalker) Exit(hclsyntax.Node) hcl.Diagnostics {
	w.stack = w.stack[:len(w.stack)-1]
	w.depth = w.depth[:len(w.depth)-1]
	return nil
}

// typeCheck checks e as HCL would, by evaluating it over unknown values,
// and returns its static type. Where HCL drops the diagnostics of an
// operand (the right of && and || when the left is unknown, the branches
// of a conditional whose condition is unknown), the operand is checked on
// its own too. Bodies of for expressions and splats are not: their
// symbols are not in scope outside them.
func (c *compiler) typeCheck(e hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	tv, diags := e.Value(c.static)
	w := &checkWalker{c: c, seen: map[string]bool{}}
	for _, d := range diags {
		w.add(d)
	}
	hclsyntax.Walk(e, w)
	return tv, w.diags
}

type checkWalker struct {
	c       *compiler
	inScope int // > 0 inside a for expression or a splat
	diags   hcl.Diagnostics
	seen    map[string]bool
}

func (w *checkWalker) add(d *hcl.Diagnostic) {
	key := d.Summary + "\x00" + d.Detail
	if d.Subject != nil {
		key += "\x00" + d.Subject.String()
	}
	if !w.seen[key] {
		w.seen[key] = true
		w.diags = append(w.diags, d)
	}
}

func (w *checkWalker) check(e hclsyntax.Expression) {
	_, diags := e.Value(w.c.static)
	for _, d := range diags {
		w.add(d)
	}
}

func (w *checkWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	switch n := n.(type) {
	case *hclsyntax.ForExpr, *hclsyntax.SplatExpr:
		w.inScope++
	case *hclsyntax.BinaryOpExpr:
		if w.inScope == 0 && (n.Op == hclsyntax.OpLogicalAnd || n.Op == hclsyntax.OpLogicalOr) {
			w.check(n.RHS)
			if l, ok := n.LHS.(*hclsyntax.BinaryOpExpr); !ok || l.Op != n.Op {
				w.check(n.LHS)
			}
		}
	case *hclsyntax.ConditionalExpr:
		if w.inScope == 0 {
			w.check(n.TrueResult)
			w.check(n.FalseResult)
		}
	}
	return nil
}

func (w *checkWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	switch n.(type) {
	case *hclsyntax.ForExpr, *hclsyntax.SplatExpr:
		w.inScope--
	}
	return nil
}

// checkLiterals refuses number literals beyond float64's range, and
// string literals that are entirely such a number: runtime numbers are
// float64, and cty would spend seconds writing out or comparing the
// millions of digits of 1e5555555.
func checkLiterals(e hclsyntax.Expression) error {
	var bad hclsyntax.Node
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		l, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok || bad != nil || l.Val.IsNull() || !l.Val.IsKnown() {
			return nil
		}
		switch l.Val.Type() {
		case cty.Number:
			if !inFloatRange(l.Val.AsBigFloat()) {
				bad = n
			}
		case cty.String:
			if f, _, err := big.ParseFloat(l.Val.AsString(), 10, 64, big.ToNearestEven); err == nil && !inFloatRange(f) {
				bad = n
			}
		}
		return nil
	})
	if bad != nil {
		return errorAt(bad.Range(), "Number out of range", "Runtime numbers are 64-bit floats: at most about 1.8e308 in magnitude, and either 0 or at least about 4.9e-324.")
	}
	return nil
}

// inFloatRange reports whether f, unless infinite, rounds to a finite
// float64 that is zero only when f is.
func inFloatRange(f *big.Float) bool {
	if f.IsInf() {
		return true
	}
	x, _ := f.Float64()
	return !math.IsInf(x, 0) && (x != 0 || f.Sign() == 0)
}

// checkScopes gives clearer errors than HCL's "Unknown variable" for names
// that exist in other places.
func (c *compiler) checkScopes(e hclsyntax.Expression) error {
	for _, t := range e.Variables() {
		root := t.RootName()
		var why string
		switch root {
		case "event":
			if c.scope.event == nil {
				why = "event is not in scope here: no single event type is in hand."
			}
		case "context":
			if !c.scope.ctxRoot {
				why = "context is in scope only where a decide request is in hand."
			}
		case "propensity", "value", "lever":
			if !c.scope.priority {
				why = root + " is in scope only in arbitration.priority."
			}
		case "var", "local":
			why = root + ".* must have been replaced by its value before deployment."
		}
		if why != "" {
			return errorAt(t.SourceRange(), "Reference out of scope", why)
		}
	}
	return nil
}

// refsOf returns what the traversals read.
func (s *scope) refsOf(travs []hcl.Traversal) Refs {
	var r Refs
	allSlots := func(l *Layout) []int {
		out := make([]int, l.Len())
		for i := range out {
			out[i] = i
		}
		return out
	}
	for _, t := range travs {
		name, hasName := firstKey(t)
		switch t.RootName() {
		case "customer":
			if slot, ok := s.customer.Slot(name); ok && hasName {
				r.Customer = append(r.Customer, slot)
			} else {
				r.Customer = append(r.Customer, allSlots(s.customer)...)
			}
		case "event":
			if s.event == nil {
				continue
			}
			if slot, ok := s.event.Slot(name); ok && hasName {
				r.Event = append(r.Event, slot)
			} else {
				r.Event = append(r.Event, allSlots(s.event)...)
			}
		case "context":
			if hasName {
				r.Context = append(r.Context, name)
			} else {
				r.AllContext = true
			}
		case "segment":
			if i, ok := s.segmentIndex(name); ok && hasName {
				r.Segments = append(r.Segments, i)
			} else {
				for _, n := range s.segments() {
					r.Segments = append(r.Segments, n.index)
				}
			}
		case "journey":
			if i, ok := s.journeyIndex(name); ok && hasName {
				r.Journeys = append(r.Journeys, i)
			} else {
				for _, n := range s.journeys() {
					r.Journeys = append(r.Journeys, n.index)
				}
			}
		case "propensity", "value", "lever":
			r.Priority = true
		}
	}
	r.Customer = sortedInts(r.Customer)
	r.Event = sortedInts(r.Event)
	r.Segments = sortedInts(r.Segments)
	r.Journeys = sortedInts(r.Journeys)
	sort.Strings(r.Context)
	r.Context = compactStrings(r.Context)
	return r
}

// firstKey returns the attribute a traversal names after its root:
// customer.tier or customer["tier"].
func firstKey(t hcl.Traversal) (string, bool) {
	if len(t) < 2 {
		return "", false
	}
	switch s := t[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func sortedInts(xs []int) []int {
	if len(xs) == 0 {
		return nil
	}
	sort.Ints(xs)
	out := xs[:1]
	for _, x := range xs[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

func compactStrings(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := xs[:1]
	for _, x := range xs[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}
