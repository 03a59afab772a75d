package funcs

import (
	"errors"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// lengthFunc is length(v) for strings (in characters), collections and
// objects; stdlib's length takes collections only.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of characters in a string, elements in a list, set or tuple, or keys in a map or object.",
	Params: []function.Parameter{{
		Name:             "value",
		Description:      "A string, list, set, tuple, map or object.",
		Type:             cty.DynamicPseudoType,
		AllowUnknown:     true,
		AllowDynamicType: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.String, ty == cty.DynamicPseudoType,
			ty.IsCollectionType(), ty.IsTupleType(), ty.IsObjectType():
			return cty.Number, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "cannot take the length of a %s; it must be a string, list, set, tuple, map or object", ty.FriendlyName())
	},
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull().NumberRangeLowerBound(cty.Zero, true)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		ty := v.Type()
		switch {
		case ty == cty.String:
			return stdlib.StrlenFunc.Call(args)
		case ty == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number), nil
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))), nil
		}
		return stdlib.LengthFunc.Call(args)
	},
})

// indexFunc is index(list, value), the position of value in list, as in
// Terraform; stdlib's index is element access instead.
var indexFunc = function.New(&function.Spec{
	Description: "Returns the position (from 0) of the first element of the given list or tuple that equals the given value, or raises an error if there is none.",
	Params: []function.Parameter{
		{Name: "list", Description: "The list or tuple to search.", Type: cty.DynamicPseudoType},
		{Name: "value", Description: "The value to look for.", Type: cty.DynamicPseudoType},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		if !(ty.IsListType() || ty.IsTupleType() || ty == cty.DynamicPseudoType) {
			return cty.NilType, function.NewArgErrorf(0, "expected a list or tuple, not a %s", ty.FriendlyName())
		}
		return cty.Number, nil
	},
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull().NumberRangeLowerBound(cty.Zero, true)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		list, want := args[0], args[1]
		for i, it := 0, list.ElementIterator(); it.Next(); i++ {
			_, el := it.Element()
			eq := el.Equals(want)
			if !eq.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if eq.True() {
				return cty.NumberIntVal(int64(i)), nil
			}
		}
		return cty.NilVal, function.NewArgErrorf(1, "the list does not contain this value")
	},
})

// coalesceFunc is coalesce(vals...), the first argument that is neither
// null nor an empty string, as in Terraform; stdlib's coalesce skips only
// nulls. Skipped arguments still lend their marks to the result.
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first of the given arguments that is neither null nor an empty string, or raises an error if there is none.",
	VarParam: &function.Parameter{
		Name:             "vals",
		Description:      "The candidate values, all of one type (or convertible to one).",
		Type:             cty.DynamicPseudoType,
		AllowUnknown:     true,
		AllowDynamicType: true,
		AllowNull:        true,
		AllowMarked:      true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnTypeForValues(args)
	},
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull()
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		var kept []cty.Value
		var skipped []cty.ValueMarks
		for _, a := range args {
			u, marks := a.Unmark()
			if u.Type() == cty.String && u.IsKnown() && !u.IsNull() && u.AsString() == "" {
				skipped = append(skipped, marks)
				continue
			}
			kept = append(kept, a)
		}
		allNull := true
		for _, a := range kept {
			if u, _ := a.Unmark(); !u.IsNull() {
				allNull = false
			}
		}
		if allNull {
			return cty.NilVal, errors.New("all the arguments are null or empty strings")
		}
		v, err := stdlib.CoalesceFunc.Call(kept)
		if err != nil {
			return cty.NilVal, err
		}
		v, err = convert.Convert(v, retType)
		if err != nil {
			return cty.NilVal, err
		}
		return v.WithMarks(skipped...), nil
	},
})

// mergeFunc is stdlib's merge, except that the marks of null arguments,
// which merge skips, still reach the result.
var mergeFunc = function.New(&function.Spec{
	Description: stdlib.MergeFunc.Description(),
	VarParam:    stdlib.MergeFunc.VarParam(),
	Type:        stdlib.MergeFunc.ReturnTypeForValues,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, err := stdlib.MergeFunc.Call(args)
		if err != nil {
			return cty.NilVal, err
		}
		for _, a := range args {
			if a.IsNull() {
				_, marks := a.Unmark()
				v = v.WithMarks(marks)
			}
		}
		return v, nil
	},
})
