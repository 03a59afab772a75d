package expr

import (
	"math"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

// HCL evaluates every argument of a call, so a failed argument fails the
// call even where the function would not have looked at it.

// nativeCall returns a native node for a call of f, when f is a go-cty
// stdlib function this package implements and the arguments suit; else
// nil.
func (c *compiler) nativeCall(f function.Function, args []*node) *node {
	switch f {
	case stdlib.LowerFunc, stdlib.UpperFunc:
		if len(args) != 1 {
			return nil
		}
		conv := strings.ToLower
		if f == stdlib.UpperFunc {
			conv = strings.ToUpper
		}
		s := asStr(args[0])
		c.metered = true
		return newStrNode(func(a *Activation) (string, st) {
			x, st := s(a)
			if st != stOK || !a.charge(3*float64(len(x)), 2*float64(len(x))) {
				return "", stFail
			}
			return nfc(conv(x)), stOK
		})
	case stdlib.StrlenFunc:
		if len(args) != 1 {
			return nil
		}
		s := asStr(args[0])
		c.metered = true
		return newNumNode(func(a *Activation) (float64, st) {
			x, st := s(a)
			if st != stOK {
				return 0, stFail
			}
			return strlen(a, x)
		})
	case stdlib.LengthFunc:
		if len(args) != 1 || (args[0].kind != KindStringList && args[0].kind != KindDynamic) {
			return nil
		}
		l := asList(args[0])
		return newNumNode(func(a *Activation) (float64, st) {
			xs, st := l(a)
			if st != stOK {
				return 0, stFail
			}
			return float64(len(xs)), stOK
		})
	case stdlib.ContainsFunc:
		if len(args) != 2 || (args[0].kind != KindStringList && args[0].kind != KindDynamic) {
			return nil
		}
		l, v := asList(args[0]), args[1]
		if v.kind == KindString {
			s := v.s
			return newBoolNode(func(a *Activation) tri {
				xs, st1 := l(a)
				x, st2 := s(a)
				if st1 != stOK || st2 == stFail {
					return triFail
				}
				if st2 == stNull {
					return triFalse
				}
				for _, y := range xs {
					if y == x {
						return triTrue
					}
				}
				return triFalse
			})
		}
		// A null of dynamic type (context.x, the literal null) is an
		// argument contains does not take: cty returns an unknown.
		vv, dyn := v.v, v.kind == KindDynamic
		return newBoolNode(func(a *Activation) tri {
			xs, st1 := l(a)
			x, st2 := vv(a)
			if st1 != stOK || st2 == stFail || (st2 == stNull && dyn) {
				return triFail
			}
			if x.kind != KindString {
				return triFalse
			}
			for _, y := range xs {
				if y == x.str {
					return triTrue
				}
			}
			return triFalse
		})
	case stdlib.CoalesceFunc:
		kind := KindDynamic
		for _, n := range args {
			switch {
			case n.isNull():
			case n.kind != KindString && n.kind != KindNumber && n.kind != KindBool:
				return nil
			case kind == KindDynamic:
				kind = n.kind
			case n.kind != kind:
				return nil // cty would unify the types
			}
		}
		if kind == KindDynamic || len(args) == 0 {
			return nil
		}
		fs := make([]valFn, len(args))
		for i, n := range args {
			fs[i] = n.v
		}
		return newValNode(kind, false, func(a *Activation) (Value, st) {
			out, found := Value{}, false
			for _, f := range fs {
				x, s := f(a)
				switch {
				case s == stFail:
					return Value{}, stFail
				case s == stOK && !found:
					out, found = x, true
				}
			}
			if !found {
				return Value{}, stFail
			}
			return out, stOK
		})
	case stdlib.MinFunc, stdlib.MaxFunc:
		if len(args) == 0 {
			return nil
		}
		fs := make([]numFn, len(args))
		for i, n := range args {
			if n.kind != KindNumber && n.kind != KindString && n.kind != KindDynamic {
				return nil
			}
			fs[i] = asNum(n)
		}
		isMax := f == stdlib.MaxFunc
		return newNumNode(func(a *Activation) (float64, st) {
			out := math.Inf(1)
			if isMax {
				out = math.Inf(-1)
			}
			for _, f := range fs {
				x, s := f(a)
				if s != stOK {
					return 0, stFail
				}
				if (isMax && x > out) || (!isMax && x < out) {
					out = x
				}
			}
			return out, stOK
		})
	case stdlib.AbsoluteFunc, stdlib.FloorFunc, stdlib.CeilFunc:
		if len(args) != 1 || (args[0].kind != KindNumber && args[0].kind != KindString && args[0].kind != KindDynamic) {
			return nil
		}
		op := math.Abs
		switch f {
		case stdlib.FloorFunc:
			op = math.Floor
		case stdlib.CeilFunc:
			op = math.Ceil
		}
		n := asNum(args[0])
		return newNumNode(func(a *Activation) (float64, st) {
			x, s := n(a)
			if s != stOK {
				return 0, stFail
			}
			return op(x), stOK
		})
	}
	return nil
}

// strlen counts grapheme clusters, as cty's strlen does.
func strlen(a *Activation, s string) (float64, st) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == '\r' {
			if !a.chargeCost(cost.Call("strlen", []cost.Arg{{Bytes: float64(len(s))}})) {
				return 0, stFail
			}
			n, err := stdlib.Strlen(cty.StringVal(s))
			if err != nil {
				return 0, stFail
			}
			f, _ := n.AsBigFloat().Float64()
			return f, stOK
		}
	}
	return float64(len(s)), stOK
}

// ctyCall calls f with the arguments' values converted to cty and then to
// the parameters' types, as HCL does, once the call's cost is charged.
// Only calls returning a string, a number or a bool are compiled so;
// others go through HCL with their parent.
func (c *compiler) ctyCall(e *hclsyntax.FunctionCallExpr, f function.Function, args []*node) *node {
	tv, diags := e.Value(c.static)
	if diags.HasErrors() {
		return c.slowNode(e, false)
	}
	kind, _, ok := kindOf(tv.Type())
	if !ok || (kind != KindString && kind != KindNumber && kind != KindBool) {
		return c.slowNode(e, false)
	}
	params, varParam := f.Params(), f.VarParam()
	if len(args) < len(params) || (varParam == nil && len(args) > len(params)) {
		return c.slowNode(e, false)
	}
	types := make([]cty.Type, len(args))
	for i := range args {
		p := varParam
		if i < len(params) {
			p = &params[i]
		}
		if customdecode.CustomExpressionDecoderForType(p.Type) != nil {
			return c.slowNode(e, false)
		}
		types[i] = p.Type
	}
	fs := make([]valFn, len(args))
	for i, n := range args {
		fs[i] = n.v
	}
	name := e.Name
	c.metered = true
	return newValNode(kind, false, func(a *Activation) (Value, st) {
		vs := make([]Value, len(fs))
		sizes := make([]cost.Arg, len(fs))
		conv := 0.0 // list elements made into cty values
		for i, fn := range fs {
			v, s := fn(a)
			if s == stFail {
				return Value{}, stFail
			}
			vs[i], sizes[i] = v, valueArg(v)
			conv += sizes[i].Elems
		}
		k := cost.Call(name, sizes)
		if !a.charge(k.Steps+conv*cost.ElemSteps, k.Bytes+conv*cost.ElemBytes) {
			return Value{}, stFail
		}
		vals := make([]cty.Value, len(fs))
		for i, v := range vs {
			cv, err := convert.Convert(toCty(v, args[i].kind, args[i].tuple), types[i])
			if err != nil {
				return Value{}, stFail
			}
			vals[i] = cv
		}
		out, err := callRecover(f, vals)
		if err != nil {
			return Value{}, stFail
		}
		return fromCty(out)
	})
}

// valueArg is what the cost model needs of v.
func valueArg(v Value) cost.Arg {
	switch v.kind {
	case KindString:
		return cost.Arg{Bytes: float64(len(v.str)), Known: true, Str: v.str}
	case KindNumber:
		return cost.Arg{Bytes: numberDigits(v.num), Known: true, Num: v.num}
	case KindBool:
		return cost.Arg{Bytes: 5}
	case KindStringList:
		a := cost.Arg{Elems: float64(len(v.list)), Seq: true}
		for _, s := range v.list {
			a.Bytes += float64(len(s))
		}
		return a
	}
	return cost.Arg{}
}

// numberDigits bounds the length of formatNumber(f).
func numberDigits(f float64) float64 {
	switch x := math.Abs(f); {
	case x >= 1e21:
		return math.Log10(x) + 24
	case x != 0 && x < 1e-6:
		return -math.Log10(x) + 24
	}
	return 24
}

func callRecover(f function.Function, args []cty.Value) (v cty.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = cty.NilVal, panicError{}
		}
	}()
	return f.Call(args)
}

type panicError struct{}

func (panicError) Error() string { return "function panicked" }
