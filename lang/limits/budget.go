package limits

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Budget is what one load may spend evaluating config-time expressions:
// LoadIterations for iterations, LoadElements and LoadBytes for the results
// of functions and templates. It also stops evaluation once ctx is done. A
// Budget is used by one goroutine at a time.
type Budget struct {
	ctx                         context.Context
	iterations, elements, bytes int64
	ops                         map[*hclsyntax.Operation]*hclsyntax.Operation
	hooks                       map[string]function.Function
}

// NewBudget returns a full budget that stops when ctx is done.
func NewBudget(ctx context.Context) *Budget {
	b := &Budget{ctx: ctx, ops: map[*hclsyntax.Operation]*hclsyntax.Operation{}}
	b.hooks = map[string]function.Function{
		hookFor:  b.hook(b.forHook),
		hookPart: b.hook(b.partHook),
		hookJoin: b.hook(b.joinHook),
		hookNum:  b.hook(numHook),
	}
	for _, op := range []*hclsyntax.Operation{hclsyntax.OpMultiply, hclsyntax.OpDivide} {
		b.ops[op] = &hclsyntax.Operation{Impl: guardNumber(op.Impl), Type: op.Type}
	}
	return b
}

// The names of the hooks Eval puts into expressions. They cannot be written
// in source ("#" starts a comment), and are far from every real name, so that
// HCL never suggests them.
const (
	hookFor  = "#waymark-limit-for-collection"
	hookPart = "#waymark-limit-template-part"
	hookJoin = "#waymark-limit-template-join"
	hookNum  = "#waymark-limit-number-operand"
)

// FromDiagnostics returns the limit that the first of diags about one
// reports, or nil.
func FromDiagnostics(diags hcl.Diagnostics) *Error {
	for _, d := range diags {
		switch x := d.Extra.(type) {
		case hclsyntax.FunctionCallDiagExtra:
			var le *Error
			if errors.As(x.FunctionCallError(), &le) {
				return le
			}
		case *Error:
			return x
		}
	}
	return nil
}

// Functions returns the hooks that Eval calls from inside an expression.
// They must be in the functions of every EvalContext given to Eval.
func (b *Budget) Functions() map[string]function.Function { return b.hooks }

// Charge counts a result of s against the budget.
func (b *Budget) Charge(s Size) error {
	if b == nil {
		return nil
	}
	if err := b.alive(); err != nil {
		return err
	}
	b.elements += s.Elements
	b.bytes += s.Bytes
	if b.elements > LoadElements || b.bytes > LoadBytes {
		return errorf("Configuration too costly to evaluate",
			"Evaluating the configuration's expressions has produced more than %d elements or %d bytes (256 MiB) of function and template results in all, the most one load may produce.", int64(LoadElements), int64(LoadBytes))
	}
	return nil
}

// ChargeValue measures v and charges it; it refuses v over the value
// limits, naming it what.
func (b *Budget) ChargeValue(v cty.Value, what string) error {
	s, err := Measure(v, MaxElements, MaxStringBytes)
	if err == nil {
		err = CheckSize(s, what)
	}
	if err != nil {
		return err
	}
	return b.Charge(s)
}

func (b *Budget) alive() error {
	if b.ctx != nil && b.ctx.Err() != nil {
		return errorf("Evaluation interrupted", "Evaluating the configuration was stopped: %s.", b.ctx.Err())
	}
	return nil
}

// hookState is the part of an instrumented expression that one hook call
// stands for; it reaches the hook as a capsule argument.
type hookState struct {
	expr *exprState

	// for expressions
	parent *hookState
	// certain: the collection is the same on each evaluation, and the for
	// is evaluated once for every iteration of its parent (which is
	// certain too), so the iterations are the product of the lengths.
	certain bool
	last    int64 // the collection's length at the latest evaluation

	// template parts
	tmpl  *int64 // the bytes of the template evaluation under way
	first bool
}

// exprState is shared by the hooks of one Eval call.
type exprState struct {
	iterations int64
	// failed is set once a hook has refused: the others then give unknown
	// values, so that HCL, which goes on after an error, does no more work
	// and reports the limit once.
	failed bool
}

var stateType = cty.Capsule("limits.hookState", reflect.TypeOf(hookState{}))

func stateVal(st *hookState) hclsyntax.Expression {
	return &hclsyntax.LiteralValueExpr{Val: cty.CapsuleVal(stateType, st)}
}

// hook makes a function of (value, state) that returns value unchanged
// once check accepts it.
func (b *Budget) hook(check func(v cty.Value, st *hookState) error) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "value", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true},
			{Name: "state", Type: stateType},
		},
		Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := b.alive(); err != nil {
				return cty.NilVal, err
			}
			v, _ := args[0].Unmark()
			st := args[1].EncapsulatedValue().(*hookState)
			if st.expr != nil && st.expr.failed {
				return cty.UnknownVal(args[0].Type()), nil
			}
			if err := check(v, st); err != nil {
				if st.expr != nil {
					st.expr.failed = true
				}
				return cty.NilVal, err
			}
			return args[0], nil
		},
	})
}

// forHook counts the iterations a for expression is about to make.
func (b *Budget) forHook(v cty.Value, st *hookState) error {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	if !ty.IsCollectionType() && !ty.IsTupleType() && !ty.IsObjectType() {
		return nil // the for expression reports it
	}
	n := int64(v.LengthInt())
	st.last = n
	if st.certain {
		total := n
		for p := st.parent; p != nil && total <= MaxForIterations; p = p.parent {
			total *= p.last
		}
		if total > MaxForIterations {
			return tooManyIterations()
		}
	}
	st.expr.iterations += n
	if st.expr.iterations > MaxForIterations {
		return tooManyIterations()
	}
	b.iterations += n
	if b.iterations > LoadIterations {
		return errorf("Configuration too costly to evaluate",
			"The configuration's for expressions iterate more than %d times in all, the most one load may.", int64(LoadIterations))
	}
	return nil
}

func tooManyIterations() error {
	return errorf("For expression too large",
		"This for expression, with those it holds and those beside it in the same expression, would iterate more than %d times; an expression may iterate at most %d times.", int64(MaxForIterations), int64(MaxForIterations))
}

// partHook counts the bytes a template part adds to its template.
func (b *Budget) partHook(v cty.Value, st *hookState) error {
	if st.first {
		*st.tmpl = 0
	}
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var n int64
	switch v.Type() {
	case cty.String:
		n = int64(len(v.AsString()))
	case cty.Number:
		if err := CheckNumber(v); err != nil {
			return err
		}
		n = NumberBytes(v)
	default:
		return nil
	}
	*st.tmpl += n
	if *st.tmpl > MaxStringBytes {
		return errorf("Value too large", "This template would produce more than %d bytes (16 MiB); a string may hold at most that.", int64(MaxStringBytes))
	}
	return b.Charge(Size{Bytes: n})
}

// joinHook refuses a %{for} directive's strings that add up to too much.
func (b *Budget) joinHook(v cty.Value, _ *hookState) error {
	s, err := Measure(v, MaxElements, MaxStringBytes)
	if err != nil {
		return err
	}
	return CheckSize(s, "This %{for} directive")
}

// numHook refuses a string too long to convert to a number cheaply.
func numHook(v cty.Value, _ *hookState) error {
	if v.IsKnown() && !v.IsNull() && v.Type() == cty.String && len(v.AsString()) > MaxNumberDigits+16 {
		return errorf("Number too long", "This string is %d bytes long, too long to be taken as a number (at most %d digits).", len(v.AsString()), MaxNumberDigits)
	}
	return nil
}

// guardNumber wraps an arithmetic operation so that its result stays within
// MaxNumberExp.
func guardNumber(f function.Function) function.Function {
	return function.New(&function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type:     func(args []cty.Value) (cty.Type, error) { return f.ReturnTypeForValues(args) },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if err := CheckNumber(v); err != nil {
				return cty.NilVal, err
			}
			return v, nil
		},
	})
}

// hookCall wraps e in a call of the named hook.
func hookCall(name string, e hclsyntax.Expression, st *hookState) *hclsyntax.FunctionCallExpr {
	r := e.Range()
	return &hclsyntax.FunctionCallExpr{
		Name:            name,
		Args:            []hclsyntax.Expression{e, stateVal(st)},
		NameRange:       r,
		OpenParenRange:  r,
		CloseParenRange: r,
	}
}

// rewrite gives the diagnostics of limits that function calls and hooks
// reported their own summary, and a hook's the range of what it watched.
func rewrite(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Summary == "Operation failed" && strings.Contains(d.Detail, numberTooLarge) {
			// A guarded multiplication or division: HCL keeps only the
			// error's text.
			d.Summary, d.Detail = "Number too large", numberTooLargeDetail
			continue
		}
		extra, ok := d.Extra.(hclsyntax.FunctionCallDiagExtra)
		var le *Error
		if !ok || !errors.As(extra.FunctionCallError(), &le) {
			continue
		}
		d.Summary = le.Summary
		name := extra.CalledFunctionName()
		if len(name) > 0 && name[0] == '#' {
			d.Detail = le.Detail
			if d.Context != nil {
				d.Subject = d.Context
			}
		} else {
			d.Detail = le.Detail
		}
	}
}
