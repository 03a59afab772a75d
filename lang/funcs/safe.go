package funcs

import (
	"errors"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/limits"
)

// safe returns f wrapped so that calling it never panics, an error about a
// marked (sensitive) argument never quotes that argument, and its result
// stays within the limits of package limits: refused from the arguments
// before the call where the function has a precheck, measured after it
// otherwise. A non-nil b is charged with each result.
//
// The wrapper's parameters accept everything (unknown, null, marked and
// dynamically typed values) and hand the arguments unchanged to f.Call, so
// that f's own parameter rules decide how unknowns and marks propagate. The
// wrapper only guards the call, and gives an unknown result the marks of all
// the arguments, which go-cty sometimes drops. The parameter types stay f's,
// because HCL converts each argument to its parameter type before the call.
func safe(name string, f function.Function, b *limits.Budget) function.Function {
	params := f.Params()
	for i := range params {
		params[i] = openParam(params[i])
	}
	var varParam *function.Parameter
	if vp := f.VarParam(); vp != nil {
		p := openParam(*vp)
		varParam = &p
	}
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      params,
		VarParam:    varParam,
		Type: func(args []cty.Value) (ty cty.Type, err error) {
			defer func() {
				if r := recover(); r != nil {
					ty, err = cty.NilType, panicError(name, r, args)
				}
			}()
			ty, err = f.ReturnTypeForValues(args)
			return ty, redact(name, err, args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (ret cty.Value, err error) {
			defer func() {
				if r := recover(); r != nil {
					ret, err = cty.NilVal, panicError(name, r, args)
				}
			}()
			if check := precheck[name]; check != nil {
				if err := check(name, args); err != nil {
					return cty.NilVal, err
				}
			}
			ret, err = f.Call(args)
			if err != nil {
				return cty.NilVal, redact(name, err, args)
			}
			if b != nil {
				if err := b.ChargeValue(ret, "The result of "+name); err != nil {
					return cty.NilVal, err
				}
			}
			if errs := ret.Type().TestConformance(retType); errs != nil {
				return cty.NilVal, fmt.Errorf("internal error in function %q: its result does not have the type it declared; please report this", name)
			}
			if !ret.IsKnown() {
				// go-cty drops the marks of some arguments when it returns an
				// unknown result early; which argument an unknown result
				// came from is unknowable, so it carries them all.
				ret = ret.WithMarks(argMarks(args)...)
			}
			return ret, nil
		},
	})
}

// openParam returns p accepting every kind of value, so that the wrapper
// passes arguments through to the wrapped function untouched.
func openParam(p function.Parameter) function.Parameter {
	p.AllowNull = true
	p.AllowUnknown = true
	p.AllowDynamicType = true
	p.AllowMarked = true
	return p
}

// redact replaces err by a message that quotes no argument when the
// argument it is about, or, if it is not about one argument, any argument,
// is marked. An argument error keeps its index so that HCL still points at
// the argument in the source.
func redact(name string, err error, args []cty.Value) error {
	if err == nil {
		return nil
	}
	var pe function.PanicError
	if errors.As(err, &pe) {
		return panicError(name, pe.Value, args)
	}
	var ae function.ArgError
	if errors.As(err, &ae) {
		inRange := ae.Index >= 0 && ae.Index < len(args)
		if (inRange && args[ae.Index].ContainsMarked()) || (!inRange && anyMarked(args)) {
			return function.NewArgErrorf(ae.Index, "the argument is sensitive, so the details of this error are hidden")
		}
		return err
	}
	if anyMarked(args) {
		return fmt.Errorf("call to %s failed; an argument is sensitive, so the details of this error are hidden", name)
	}
	return err
}

// panicError reports a panic in a function as an ordinary error, without a
// stack trace, and without the panic value when any argument is marked.
func panicError(name string, r any, args []cty.Value) error {
	if anyMarked(args) {
		return fmt.Errorf("internal error in function %q; please report this", name)
	}
	return fmt.Errorf("internal error in function %q: %v; please report this", name, r)
}

func anyMarked(args []cty.Value) bool {
	for _, a := range args {
		if a.ContainsMarked() {
			return true
		}
	}
	return false
}

// argMarks returns the marks found anywhere in args.
func argMarks(args []cty.Value) []cty.ValueMarks {
	var marks []cty.ValueMarks
	for _, a := range args {
		_, pvm := a.UnmarkDeepWithPaths()
		for _, pm := range pvm {
			marks = append(marks, pm.Marks)
		}
	}
	return marks
}
