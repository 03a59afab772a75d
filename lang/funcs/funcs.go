package funcs

import (
	"context"
	"maps"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/waymarkhq/waymark/lang/limits"
)

// Config returns the functions available in config-time expressions: the
// go-cty stdlib functions that Terraform offers, under Terraform's names,
// plus try, can, duration, and file and templatefile, which resolve a
// relative path against baseDir. Each result is charged to b (nil: a budget
// of its own), whose Functions the caller's EvalContext must offer too.
// Each call returns a new map.
func Config(baseDir string, b *limits.Budget) map[string]function.Function {
	if b == nil {
		b = limits.NewBudget(context.Background())
	}
	m := pure(b)
	m["file"] = safe("file", makeFileFunc(baseDir), b)

	// A template sees the same functions, except that it cannot call
	// templatefile itself, and the hooks of limits.Eval.
	inTemplate := maps.Clone(m)
	maps.Copy(inTemplate, b.Functions())
	inTemplate["templatefile"] = safe("templatefile", noNestedTemplateFunc, b)
	m["templatefile"] = safe("templatefile", makeTemplateFileFunc(baseDir, b, func() map[string]function.Function {
		return inTemplate
	}), b)
	return m
}

// Runtime returns the functions that runtime expressions may call: those
// listed in runtimeNames. Each call returns a new map.
func Runtime() map[string]function.Function {
	all := pure(nil)
	m := make(map[string]function.Function, len(runtimeNames))
	for _, name := range runtimeNames {
		m[name] = all[name]
	}
	return m
}

// runtimeNames are the functions of Runtime. The runtime evaluates these
// for each customer, so a function is here only if it is
//   - pure and deterministic: it reads no file, clock or randomness, and the
//     same arguments always give the same result;
//   - typed by its argument types, so that waymark validate can type-check a
//     runtime expression against the customer and event schemas;
//   - bounded: its result is no larger than a small multiple of its input.
//
// Left out, with the rule they fail:
//   - file, templatefile: read the filesystem (and are resolved at plan time);
//   - formatdate, timeadd: time arithmetic, and no runtime scope holds a
//     timestamp;
//   - jsondecode, csvdecode, regex, regexall, flatten: the result type
//     depends on the argument values;
//   - try, can: they turn any error, including a type error that validate
//     should report, into a value;
//   - range, setproduct: the result can be far larger than the arguments.
var runtimeNames = []string{
	// numeric
	"abs", "ceil", "floor", "log", "max", "min", "parseint", "pow", "signum",
	// string
	"chomp", "endswith", "format", "formatlist", "indent", "join", "lower",
	"replace", "split", "startswith", "strcontains", "strrev", "substr",
	"title", "trim", "trimprefix", "trimspace", "trimsuffix", "upper",
	// collection
	"chunklist", "coalesce", "coalescelist", "compact", "concat", "contains",
	"distinct", "element", "index", "keys", "length", "lookup", "merge",
	"reverse", "setintersection", "setsubtract", "setunion", "slice", "sort",
	"values", "zipmap",
	// encoding and conversion
	"jsonencode", "tobool", "tolist", "tomap", "tonumber", "toset", "tostring",
	// Waymark
	"duration",
}

// pure returns every function that needs no base directory, each wrapped by
// safe (charging b, if not nil) and carrying a description.
func pure(b *limits.Budget) map[string]function.Function {
	m := map[string]function.Function{
		// numeric
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,

		// string
		"chomp":       stdlib.ChompFunc,
		"endswith":    endsWithFunc,
		"format":      stdlib.FormatFunc,
		"formatlist":  stdlib.FormatListFunc,
		"indent":      stdlib.IndentFunc,
		"join":        stdlib.JoinFunc,
		"lower":       stdlib.LowerFunc,
		"regex":       stdlib.RegexFunc,
		"regexall":    stdlib.RegexAllFunc,
		"replace":     replaceFunc,
		"split":       stdlib.SplitFunc,
		"startswith":  startsWithFunc,
		"strcontains": strContainsFunc,
		"strrev":      stdlib.ReverseFunc,
		"substr":      stdlib.SubstrFunc,
		"title":       stdlib.TitleFunc,
		"trim":        stdlib.TrimFunc,
		"trimprefix":  stdlib.TrimPrefixFunc,
		"trimspace":   stdlib.TrimSpaceFunc,
		"trimsuffix":  stdlib.TrimSuffixFunc,
		"upper":       stdlib.UpperFunc,

		// collection
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"index":           indexFunc,
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           mergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// encoding
		"csvdecode":  stdlib.CSVDecodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,

		// time
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,

		// conversion
		"tobool":   stdlib.MakeToFunc(cty.Bool),
		"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring": stdlib.MakeToFunc(cty.String),

		// errors
		"can": tryfunc.CanFunc,
		"try": tryfunc.TryFunc,

		// Waymark
		"duration": durationFunc,
	}
	for name, f := range m {
		m[name] = safe(name, describe(name, f), b)
	}
	return m
}
