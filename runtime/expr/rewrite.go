package expr

import (
	"maps"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

// What HCL evaluates (the slow path, and constant folding) is charged too,
// by rewriting the expression before it is evaluated: every function call
// takes the activation as a first argument and is charged before it runs;
// a template with a part that is not literal becomes a call of concatFunc;
// the collection of a for expression or a splat goes through iterateFunc,
// which charges its iterations. The names below cannot be written in
// source, so they cannot clash with what an expression names.
const (
	meterVar    = "waymark meter"
	concatName  = "waymark concat"
	iterateName = "waymark iterate"
)

// activationType carries the *Activation being evaluated into the charged
// functions.
var activationType = cty.Capsule("activation", reflect.TypeOf(Activation{}))

func meterRef() hclsyntax.Expression {
	return &hclsyntax.ScopeTraversalExpr{Traversal: hcl.Traversal{hcl.TraverseRoot{Name: meterVar}}}
}

func activationOf(v cty.Value) *Activation { return v.EncapsulatedValue().(*Activation) }

// openParam accepts any value and leaves it as it is.
func openParam() *function.Parameter {
	return &function.Parameter{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
	}
}

// rewrite returns e rewritten to be charged. Expressions it does not know
// are left as they are.
func (c *compiler) rewrite(e hclsyntax.Expression) hclsyntax.Expression {
	if e == nil {
		return nil
	}
	rw := c.rewrite
	switch e := e.(type) {
	case *hclsyntax.FunctionCallExpr:
		if _, ok := c.chargedFunc(e.Name); !ok {
			cp := *e
			cp.Args = c.rewriteAll(e.Args)
			return &cp
		}
		cp := *e
		cp.Args = append([]hclsyntax.Expression{meterRef()}, c.rewriteAll(e.Args)...)
		return &cp
	case *hclsyntax.TemplateExpr:
		literal := true
		for _, p := range e.Parts {
			_, isLit := p.(*hclsyntax.LiteralValueExpr)
			literal = literal && isLit
		}
		if literal {
			return e
		}
		c.ensureCharged()
		return &hclsyntax.FunctionCallExpr{
			Name: concatName, Args: append([]hclsyntax.Expression{meterRef()}, c.rewriteAll(e.Parts)...),
			NameRange: e.SrcRange, OpenParenRange: e.SrcRange, CloseParenRange: e.SrcRange,
		}
	case *hclsyntax.ForExpr:
		cp := *e
		cp.CollExpr = c.iterate(rw(e.CollExpr), e.KeyExpr, e.ValExpr, e.CondExpr)
		cp.KeyExpr, cp.ValExpr, cp.CondExpr = rw(e.KeyExpr), rw(e.ValExpr), rw(e.CondExpr)
		return &cp
	case *hclsyntax.SplatExpr:
		cp := *e
		cp.Source = c.iterate(rw(e.Source), e.Each)
		cp.Each = rw(e.Each)
		return &cp
	case *hclsyntax.ParenthesesExpr:
		cp := *e
		cp.Expression = rw(e.Expression)
		return &cp
	case *hclsyntax.RelativeTraversalExpr:
		cp := *e
		cp.Source = rw(e.Source)
		return &cp
	case *hclsyntax.ConditionalExpr:
		cp := *e
		cp.Condition, cp.TrueResult, cp.FalseResult = rw(e.Condition), rw(e.TrueResult), rw(e.FalseResult)
		return &cp
	case *hclsyntax.IndexExpr:
		cp := *e
		cp.Collection, cp.Key = rw(e.Collection), rw(e.Key)
		return &cp
	case *hclsyntax.TupleConsExpr:
		cp := *e
		cp.Exprs = c.rewriteAll(e.Exprs)
		return &cp
	case *hclsyntax.ObjectConsExpr:
		cp := *e
		cp.Items = make([]hclsyntax.ObjectConsItem, len(e.Items))
		for i, it := range e.Items {
			cp.Items[i] = hclsyntax.ObjectConsItem{KeyExpr: rw(it.KeyExpr), ValueExpr: rw(it.ValueExpr)}
		}
		return &cp
	case *hclsyntax.ObjectConsKeyExpr:
		if hcl.ExprAsKeyword(e.Wrapped) != "" && !e.ForceNonLiteral {
			return e // a bare name: the key is the name
		}
		cp := *e
		cp.Wrapped = rw(e.Wrapped)
		return &cp
	case *hclsyntax.BinaryOpExpr:
		cp := *e
		cp.LHS, cp.RHS = rw(e.LHS), rw(e.RHS)
		return &cp
	case *hclsyntax.UnaryOpExpr:
		cp := *e
		cp.Val = rw(e.Val)
		return &cp
	case *hclsyntax.TemplateWrapExpr:
		cp := *e
		cp.Wrapped = rw(e.Wrapped)
		return &cp
	case *hclsyntax.TemplateJoinExpr:
		cp := *e
		cp.Tuple = rw(e.Tuple)
		return &cp
	}
	return e
}

func (c *compiler) rewriteAll(es []hclsyntax.Expression) []hclsyntax.Expression {
	out := make([]hclsyntax.Expression, len(es))
	for i, e := range es {
		out[i] = c.rewrite(e)
	}
	return out
}

// smallBody is the most nodes a body may have to iterate uncharged.
const smallBody = 16

// iterate wraps coll, the collection of an iteration whose body is body,
// in a call that charges the iterations. A small body with no iteration
// of its own is left uncharged: each element of the collection was
// charged when it was made (read from the activation, or built by a
// call), and the body's calls are charged as they run, so what is left is
// a few nodes per element.
func (c *compiler) iterate(coll hclsyntax.Expression, body ...hclsyntax.Expression) hclsyntax.Expression {
	nodes, nested := 0, false
	for _, b := range body {
		if b != nil {
			hclsyntax.VisitAll(b, func(n hclsyntax.Node) hcl.Diagnostics {
				nodes++
				switch n.(type) {
				case *hclsyntax.ForExpr, *hclsyntax.SplatExpr:
					nested = true
				}
				return nil
			})
		}
	}
	if nodes <= smallBody && !nested {
		return coll
	}
	c.ensureCharged()
	rng := coll.Range()
	return &hclsyntax.FunctionCallExpr{
		Name: iterateName,
		Args: []hclsyntax.Expression{meterRef(), coll,
			&hclsyntax.LiteralValueExpr{Val: cty.NumberIntVal(int64(nodes)), SrcRange: rng}},
		NameRange: rng, OpenParenRange: rng, CloseParenRange: rng,
	}
}

// ensureCharged makes the table of charged functions, with concatFunc and
// iterateFunc.
func (c *compiler) ensureCharged() {
	if c.charged == nil {
		c.charged = map[string]function.Function{concatName: concatFunc, iterateName: iterateFunc}
	}
}

// chargedFunc returns the charged version of the function name; false when
// there is no such function, or it takes expressions rather than values
// (HCL must then call it as it is).
func (c *compiler) chargedFunc(name string) (function.Function, bool) {
	c.ensureCharged()
	if f, ok := c.charged[name]; ok {
		return f, true
	}
	f, ok := c.funcs[name]
	if !ok {
		return function.Function{}, false
	}
	params, varParam := f.Params(), f.VarParam()
	all := params[:len(params):len(params)]
	if varParam != nil {
		all = append(all, *varParam)
	}
	for _, p := range all {
		if customdecode.CustomExpressionDecoderForType(p.Type) != nil {
			return function.Function{}, false
		}
	}
	cf := function.New(&function.Spec{
		Description: f.Description(),
		Params:      []function.Parameter{{Name: "activation", Type: activationType}},
		VarParam:    openParam(),
		Type:        function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			a, args := activationOf(args[0]), args[1:]
			sizes := make([]cost.Arg, len(args))
			for i, v := range args {
				sizes[i] = cost.Of(v)
			}
			if !a.chargeCost(cost.Call(name, sizes)) {
				return cty.NilVal, ErrOverBudget
			}
			// Converted as HCL converts the arguments of a call, after
			// the charge: a conversion can be costly too.
			conv := make([]cty.Value, len(args))
			for i, v := range args {
				p := varParam
				if i < len(params) {
					p = &params[i]
				}
				conv[i] = v
				if p == nil || v.IsNull() {
					continue
				}
				cv, err := convert.Convert(v, p.Type)
				if err != nil {
					return cty.NilVal, function.NewArgError(i, err)
				}
				conv[i] = cv
			}
			return callRecover(f, conv)
		},
	})
	c.charged[name] = cf
	return cf, true
}

// concatFunc is a template's concatenation, charged: its parts converted
// to strings, a null part an error.
var concatFunc = function.New(&function.Spec{
	Params:   []function.Parameter{{Name: "activation", Type: activationType}},
	VarParam: openParam(),
	Type:     function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		a, parts := activationOf(args[0]), args[1:]
		sizes := make([]cost.Arg, len(parts))
		for i, v := range parts {
			sizes[i] = cost.Of(v)
		}
		if !a.chargeCost(cost.Sum(sizes)) {
			return cty.NilVal, ErrOverBudget
		}
		var b strings.Builder
		for i, v := range parts {
			v, _ = v.Unmark()
			if v.IsNull() {
				return cty.NilVal, function.NewArgErrorf(i+1, "the expression result is null; cannot include a null value in a string template")
			}
			if !v.IsKnown() {
				return cty.UnknownVal(cty.String), nil
			}
			s, err := convert.Convert(v, cty.String)
			if err != nil {
				return cty.NilVal, function.NewArgError(i+1, err)
			}
			b.WriteString(s.AsString())
		}
		return cty.StringVal(b.String()), nil
	},
})

// iterateFunc returns its collection as it is, once the iterations over it
// are charged.
var iterateFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "activation", Type: activationType},
		*openParam(),
		{Name: "nodes", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		a, coll := activationOf(args[0]), args[1]
		nodes, _ := args[2].AsBigFloat().Int64()
		n := 1
		if v, _ := coll.Unmark(); v.IsNull() || !v.IsKnown() {
			n = 0
		} else if t := v.Type(); t.IsCollectionType() || t.IsTupleType() || t.IsObjectType() {
			n = v.LengthInt()
		}
		if !a.chargeCost(cost.Iterate(float64(n), int(nodes))) {
			return cty.NilVal, ErrOverBudget
		}
		return coll, nil
	},
})

// staticFuncs returns the functions for type-checking e: those e calls
// run only when their cost fits in the budget, and else return an unknown
// value of their type. Type-checking evaluates e over unknown values, so
// it calls for real the functions whose arguments are constants.
func (c *compiler) staticFuncs(e hclsyntax.Expression) map[string]function.Function {
	var out map[string]function.Function
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok {
			return nil
		}
		f, ok := c.funcs[call.Name]
		if !ok {
			return nil
		}
		if out == nil {
			out = maps.Clone(c.funcs)
		}
		out[call.Name] = boundedFunc(call.Name, f, c.budget)
		return nil
	})
	if out == nil {
		return c.funcs
	}
	return out
}

// boundedFunc returns f, except that a call whose cost is over budget
// returns an unknown value of its type rather than run.
func boundedFunc(name string, f function.Function, budget meter) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        f.ReturnTypeForValues,
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			sizes := make([]cost.Arg, len(args))
			for i, v := range args {
				sizes[i] = cost.Of(v)
			}
			if k := cost.Call(name, sizes); !(k.Steps <= budget.steps && k.Bytes <= budget.bytes) {
				return cty.UnknownVal(retType), nil
			}
			return f.Call(args)
		},
	})
}
