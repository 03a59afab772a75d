package rtexpr

import (
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// runtimeFuncs stands in for funcs.Runtime(): pure functions of go-cty's
// standard library.
func runtimeFuncs() map[string]function.Function {
	return map[string]function.Function{
		"lower":    stdlib.LowerFunc,
		"upper":    stdlib.UpperFunc,
		"contains": stdlib.ContainsFunc,
		"length":   stdlib.LengthFunc,
		"abs":      stdlib.AbsoluteFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"coalesce": stdlib.CoalesceFunc,
		"format":   stdlib.FormatFunc,
		"concat":   stdlib.ConcatFunc,
		"keys":     stdlib.KeysFunc,
	}
}

// configFuncs stands in for funcs.Config(baseDir): the runtime ones plus
// file and jsonencode.
func configFuncs(baseDir string) map[string]function.Function {
	fs := runtimeFuncs()
	fs["jsonencode"] = stdlib.JSONEncodeFunc
	fs["title"] = stdlib.TitleFunc
	fs["file"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := os.ReadFile(filepath.Join(baseDir, args[0].AsString()))
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(string(b)), nil
		},
	})
	return fs
}

func testScope() *Scope {
	return &Scope{
		What: `the entry condition of journey "cart_recovery"`,
		Customer: map[string]Attr{
			"email":        {Type: cty.String, Sensitive: true},
			"email_opt_in": {Type: cty.Bool},
			"first_name":   {Type: cty.String},
			"tier":         {Type: cty.String},
			"timezone":     {Type: cty.String},
			"age":          {Type: cty.Number},
			"tags":         {Type: cty.List(cty.String)},
		},
		Event: &Event{Type: "cart_updated", Attributes: map[string]Attr{
			"cart_value": {Type: cty.Number},
			"currency":   {Type: cty.String},
		}},
		Context:   true,
		Segments:  map[string]bool{"vip": true, "churn_risk": true},
		Journeys:  map[string]bool{"cart_recovery": true, "onboarding": true},
		Functions: runtimeFuncs(),
	}
}

func testConfig() *Config {
	return &Config{
		BaseDir: "testdata",
		Eval: &hcl.EvalContext{
			Variables: map[string]cty.Value{
				"var": cty.ObjectVal(map[string]cty.Value{
					"discount_pct": cty.NumberIntVal(10),
					"threshold":    cty.NumberIntVal(20),
					"enabled":      cty.True,
					"tiers":        cty.ListVal([]cty.Value{cty.StringVal("gold"), cty.StringVal("platinum")}),
					"limits":       cty.ObjectVal(map[string]cty.Value{"low": cty.NumberIntVal(5), "high": cty.NumberFloatVal(99.5)}),
					"api_key":      cty.StringVal("s3cr3t").Mark(SensitiveMark),
					"vip_floor":    cty.NumberIntVal(100).Mark(SensitiveMark),
					"label":        cty.StringVal("Say \"hi\"\n${not} %{this}"),
					"nothing":      cty.NullVal(cty.String),
				}),
				"local": cty.ObjectVal(map[string]cty.Value{
					"brand":     cty.StringVal("Acme"),
					"min_value": cty.NumberIntVal(25),
				}),
			},
			Functions: configFuncs("testdata"),
		},
	}
}

// parse parses native syntax as the loader's attribute expression.
func parse(src string) (hclsyntax.Expression, hcl.Diagnostics) {
	return hclsyntax.ParseExpression([]byte(src), "test.wm.hcl", hcl.Pos{Line: 1, Column: 1, Byte: 0})
}
