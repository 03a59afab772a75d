package funcs

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// stringTest makes a function of two strings returning test(str, other).
func stringTest(desc, otherName, otherDesc string, test func(str, other string) bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params: []function.Parameter{
			{Name: "str", Description: "The string to test.", Type: cty.String},
			{Name: otherName, Description: otherDesc, Type: cty.String},
		},
		Type: function.StaticReturnType(cty.Bool),
		RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
			return b.NotNull()
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(test(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

var startsWithFunc = stringTest(
	"Returns true if the given string begins with the given prefix.",
	"prefix", "The prefix to look for.", strings.HasPrefix)

var endsWithFunc = stringTest(
	"Returns true if the given string ends with the given suffix.",
	"suffix", "The suffix to look for.", strings.HasSuffix)

var strContainsFunc = stringTest(
	"Returns true if the given string contains the given substring.",
	"substr", "The substring to look for.", strings.Contains)

// replaceFunc is stdlib's replace, except that a substring written between
// slashes ("/[0-9]+/") is a regular expression, as in Terraform.
var replaceFunc = function.New(&function.Spec{
	Description: `Replaces every occurrence of substr in str with replace; a substr written between slashes ("/[0-9]+/") is a regular expression, and replace may then refer to its groups as $1.`,
	Params: []function.Parameter{
		{Name: "str", Description: "The string to search within.", Type: cty.String},
		{Name: "substr", Description: "The substring to search for, or a regular expression between slashes.", Type: cty.String},
		{Name: "replace", Description: "The string to put in place of each occurrence.", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull()
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sub := args[1].AsString()
		if len(sub) > 1 && strings.HasPrefix(sub, "/") && strings.HasSuffix(sub, "/") {
			v, err := stdlib.RegexReplaceFunc.Call([]cty.Value{args[0], cty.StringVal(sub[1 : len(sub)-1]), args[2]})
			if err != nil {
				return cty.NilVal, function.NewArgError(1, err)
			}
			return v, nil
		}
		return stdlib.ReplaceFunc.Call(args)
	},
})
