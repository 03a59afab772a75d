package funcs

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

const sensitive = "sensitive"

// testVars are the variables every test expression may use.
var testVars = map[string]cty.Value{
	"secret":  cty.StringVal("hunter2").Mark(sensitive),
	"unknown": cty.UnknownVal(cty.String),
}

// parse parses src as a native-syntax expression.
func parse(t *testing.T, src string) hclsyntax.Expression {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.wm.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parsing %s: %s", src, diags.Error())
	}
	return expr
}

// eval evaluates src with the given functions and testVars.
func eval(t *testing.T, fns map[string]function.Function, src string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	return parse(t, src).Value(&hcl.EvalContext{Functions: fns, Variables: testVars})
}

// calledFuncs returns the names of the functions that expr calls.
func calledFuncs(expr hclsyntax.Expression) []string {
	var names []string
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			names = append(names, call.Name)
		}
		return nil
	})
	return names
}

func strList(ss ...string) cty.Value {
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = cty.StringVal(s)
	}
	return cty.ListVal(vs)
}

func strTuple(ss ...string) cty.Value {
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = cty.StringVal(s)
	}
	return cty.TupleVal(vs)
}

func num(n int64) cty.Value { return cty.NumberIntVal(n) }

// evalCases call every function of Config at least once (TestEveryFunctionTested
// checks). A case with err expects an error diagnostic containing it.
var evalCases = []struct {
	expr string
	want cty.Value
	err  string
}{
	// numeric
	{expr: `abs(-3)`, want: num(3)},
	{expr: `ceil(1.2)`, want: num(2)},
	{expr: `floor(1.8)`, want: num(1)},
	{expr: `log(8, 2)`, want: num(3)},
	{expr: `max(1, 5, 3)`, want: num(5)},
	{expr: `min(4, 2, 3)`, want: num(2)},
	{expr: `parseint("ff", 16)`, want: num(255)},
	{expr: `parseint("zz", 10)`, err: `cannot parse "zz" as a base 10 integer`},
	{expr: `pow(2, 10)`, want: num(1024)},
	{expr: `signum(-4)`, want: num(-1)},

	// string
	{expr: `chomp("a\n\n")`, want: cty.StringVal("a")},
	{expr: `endswith("hello", "lo")`, want: cty.True},
	{expr: `endswith("hello", "he")`, want: cty.False},
	{expr: `format("%s-%03d", "a", 7)`, want: cty.StringVal("a-007")},
	{expr: `formatlist("%s!", ["a", "b"])`, want: strList("a!", "b!")},
	{expr: `indent(2, "a\nb")`, want: cty.StringVal("a\n  b")},
	{expr: `join(",", ["a", "b"])`, want: cty.StringVal("a,b")},
	{expr: `lower("ABC")`, want: cty.StringVal("abc")},
	{expr: `regex("[0-9]+", "ab123")`, want: cty.StringVal("123")},
	{expr: `regex("[0-9]+", "abc")`, err: "pattern did not match"},
	{expr: `regexall("[0-9]", "a1b2")`, want: strList("1", "2")},
	{expr: `replace("a-b-c", "-", "+")`, want: cty.StringVal("a+b+c")},
	{expr: `replace("a1b22", "/[0-9]+/", "#")`, want: cty.StringVal("a#b#")},
	{expr: `replace("ab", "/(a)(b)/", "$2$1")`, want: cty.StringVal("ba")},
	{expr: `replace("a/b", "/", "-")`, want: cty.StringVal("a-b")},
	{expr: `replace("x", "/[/", "y")`, err: "error parsing regexp"},
	{expr: `split(",", "a,b")`, want: strList("a", "b")},
	{expr: `startswith("hello", "he")`, want: cty.True},
	{expr: `startswith("hello", "lo")`, want: cty.False},
	{expr: `strcontains("hello", "ell")`, want: cty.True},
	{expr: `strcontains("hello", "xyz")`, want: cty.False},
	{expr: `strrev("abc")`, want: cty.StringVal("cba")},
	{expr: `substr("hello", 1, 3)`, want: cty.StringVal("ell")},
	{expr: `title("hello world")`, want: cty.StringVal("Hello World")},
	{expr: `trim("xxhixx", "x")`, want: cty.StringVal("hi")},
	{expr: `trimprefix("pre-x", "pre-")`, want: cty.StringVal("x")},
	{expr: `trimspace("  a \n")`, want: cty.StringVal("a")},
	{expr: `trimsuffix("file.txt", ".txt")`, want: cty.StringVal("file")},
	{expr: `upper("abc")`, want: cty.StringVal("ABC")},

	// collection
	{expr: `chunklist(["a", "b", "c"], 2)`, want: cty.ListVal([]cty.Value{strList("a", "b"), strList("c")})},
	{expr: `coalesce(null, "", "x")`, want: cty.StringVal("x")},
	{expr: `coalesce(null, 1)`, want: num(1)},
	{expr: `coalesce("", 1)`, want: cty.StringVal("1")},
	{expr: `coalesce("", null)`, err: "all the arguments are null or empty strings"},
	{expr: `coalescelist([], ["a"])`, want: strTuple("a")},
	{expr: `compact(["a", "", "b"])`, want: strList("a", "b")},
	{expr: `concat(["a"], ["b"])`, want: strTuple("a", "b")},
	{expr: `contains(["a", "b"], "b")`, want: cty.True},
	{expr: `contains(["a", "b"], "c")`, want: cty.False},
	{expr: `distinct(["a", "a", "b"])`, want: strList("a", "b")},
	{expr: `element(["a", "b", "c"], 4)`, want: cty.StringVal("b")},
	{expr: `flatten([["a"], ["b", ["c"]]])`, want: strTuple("a", "b", "c")},
	{expr: `index(["a", "b"], "b")`, want: num(1)},
	{expr: `index(["a", "b"], "z")`, err: "the list does not contain this value"},
	{expr: `index("ab", "a")`, err: "expected a list or tuple, not a string"},
	{expr: `keys({b = 1, a = 2})`, want: strTuple("a", "b")},
	{expr: `length("héllo")`, want: num(5)},
	{expr: `length(["a", "b"])`, want: num(2)},
	{expr: `length({a = 1})`, want: num(1)},
	{expr: `length(tomap({a = 1, b = 2}))`, want: num(2)},
	{expr: `length(true)`, err: "cannot take the length of a bool"},
	{expr: `lookup({a = "x"}, "b", "d")`, want: cty.StringVal("d")},
	{expr: `lookup({a = "x"}, "a", "d")`, want: cty.StringVal("x")},
	{expr: `merge({a = 1}, {b = 2})`, want: cty.ObjectVal(map[string]cty.Value{"a": num(1), "b": num(2)})},
	{expr: `range(3)`, want: cty.ListVal([]cty.Value{num(0), num(1), num(2)})},
	{expr: `reverse(["a", "b"])`, want: strTuple("b", "a")},
	{expr: `setintersection(["a", "b"], ["b"])`, want: cty.SetVal([]cty.Value{cty.StringVal("b")})},
	{expr: `length(setproduct(["a"], ["b", "c"]))`, want: num(2)},
	{expr: `setsubtract(["a", "b"], ["a"])`, want: cty.SetVal([]cty.Value{cty.StringVal("b")})},
	{expr: `setunion(["a"], ["b"])`, want: cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
	{expr: `slice(["a", "b", "c"], 1, 3)`, want: strTuple("b", "c")},
	{expr: `sort(["b", "a"])`, want: strList("a", "b")},
	{expr: `values({a = 1, b = 2})`, want: cty.TupleVal([]cty.Value{num(1), num(2)})},
	{expr: `zipmap(["a", "b"], [1, 2])`, want: cty.ObjectVal(map[string]cty.Value{"a": num(1), "b": num(2)})},

	// encoding
	{expr: `csvdecode("a,b\n1,2\n")`, want: cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("1"), "b": cty.StringVal("2")})})},
	{expr: `jsonencode({a = 1})`, want: cty.StringVal(`{"a":1}`)},
	{expr: `jsondecode(jsonencode({a = 1}))`, want: cty.ObjectVal(map[string]cty.Value{"a": num(1)})},
	{expr: `jsondecode("{")`, err: "Call to function \"jsondecode\" failed"},

	// time
	{expr: `formatdate("YYYY-MM-DD", "2024-03-05T10:00:00Z")`, want: cty.StringVal("2024-03-05")},
	{expr: `timeadd("2024-01-01T00:00:00Z", "1h")`, want: cty.StringVal("2024-01-01T01:00:00Z")},

	// conversion
	{expr: `tobool("true")`, want: cty.True},
	{expr: `tolist(["a"])`, want: strList("a")},
	{expr: `tomap({a = "x"})`, want: cty.MapVal(map[string]cty.Value{"a": cty.StringVal("x")})},
	{expr: `tonumber("42")`, want: num(42)},
	{expr: `tonumber("x")`, err: `cannot convert "x" to number`},
	{expr: `toset(["a", "a"])`, want: cty.SetVal([]cty.Value{cty.StringVal("a")})},
	{expr: `tostring(5)`, want: cty.StringVal("5")},

	// errors
	{expr: `can(tonumber("x"))`, want: cty.False},
	{expr: `can(tonumber("1"))`, want: cty.True},
	{expr: `try(tonumber("x"), 0)`, want: num(0)},

	// Waymark
	{expr: `duration("1h30m") == 5400`, want: cty.True},
	{expr: `duration("7d")`, want: num(604800)},
	{expr: `duration("4w")`, want: num(2419200)},
	{expr: `duration("0s")`, want: num(0)},
	{expr: `duration("1.5h")`, err: `invalid duration "1.5h": fractions are not allowed`},
	{expr: `duration(90)`, err: `invalid duration "90": the number 90 has no unit`},
	{expr: `duration(unknown)`, want: cty.UnknownVal(cty.Number).Refine().NotNull().NumberRangeLowerBound(cty.Zero, true).NewValue()},

	// filesystem
	{expr: `file("hello.txt")`, want: cty.StringVal("Hello, world!\n")},
	{expr: `file("sub/../sub/inner.txt")`, want: cty.StringVal("in sub\n")},
	{expr: `file("missing.txt")`, err: `no file exists at "missing.txt"`},
	{expr: `file("sub")`, err: `"sub" is a directory, not a file`},
	{expr: `file("binary.txt")`, err: `the contents of "binary.txt" are not valid UTF-8 text`},
	{expr: `file(unknown)`, want: cty.UnknownVal(cty.String).RefineNotNull()},
	{expr: `templatefile("greeting.tpl", {name = "x"})`, want: cty.StringVal("Hello, x!\n")},
	{expr: `templatefile("greeting.tpl", tomap({name = "x"}))`, want: cty.StringVal("Hello, x!\n")},
	{expr: `templatefile("list.tpl", {names = ["a", "b"]})`, want: cty.StringVal("0: A\n1: B\n")},
	{expr: `templatefile("greeting.tpl", {})`, err: `the template refers to "name" at greeting.tpl:1,10-14, but vars has no such key`},
	{expr: `templatefile("runtime.tpl", {})`, err: `the template refers to "customer"`},
	{expr: `templatefile("greeting.tpl", {name = "x", "not valid" = 1})`, err: `"not valid" cannot be a template variable`},
	{expr: `templatefile("greeting.tpl", "x")`, err: "vars must be an object or a map, not a string"},
	{expr: `templatefile("nested.tpl", {})`, err: "templatefile cannot be called from inside a template"},
	{expr: `templatefile("broken.tpl", {})`, err: "broken.tpl:1"},
	{expr: `templatefile("missing.tpl", {})`, err: `no file exists at "missing.tpl"`},
	// Paths inside a template are relative to the configuration directory
	// too, not to the template's own directory.
	{expr: `templatefile("sub/uses_file.tpl", {name = "sub"})`, want: cty.StringVal("Hello, world! from sub")},
}

func TestEval(t *testing.T) {
	config := Config("testdata", nil)
	runtime := Runtime()
	for _, tc := range evalCases {
		t.Run(tc.expr, func(t *testing.T) {
			check := func(t *testing.T, got cty.Value, diags hcl.Diagnostics) {
				t.Helper()
				if tc.err != "" {
					if !diags.HasErrors() {
						t.Fatalf("got %#v, want an error containing %q", got, tc.err)
					}
					if !strings.Contains(diags.Error(), tc.err) {
						t.Fatalf("got error %q, want it to contain %q", diags.Error(), tc.err)
					}
					return
				}
				if diags.HasErrors() {
					t.Fatalf("unexpected error: %s", diags.Error())
				}
				if !got.RawEquals(tc.want) {
					t.Fatalf("got %#v, want %#v", got, tc.want)
				}
			}

			got, diags := eval(t, config, tc.expr)
			check(t, got, diags)

			// The runtime set gives the same answer, or has no such function.
			missing := ""
			for _, name := range calledFuncs(parse(t, tc.expr)) {
				if _, ok := runtime[name]; !ok {
					missing = name
				}
			}
			got, diags = eval(t, runtime, tc.expr)
			if missing == "" {
				check(t, got, diags)
			} else if !strings.Contains(diags.Error(), "Call to unknown function") || !strings.Contains(diags.Error(), missing) {
				t.Fatalf("Runtime() should not have %s; evaluating gave %#v, %s", missing, got, diags.Error())
			}
		})
	}
}

func TestEveryFunctionTested(t *testing.T) {
	tested := make(map[string]bool)
	for _, tc := range evalCases {
		for _, name := range calledFuncs(parse(t, tc.expr)) {
			tested[name] = true
		}
	}
	var untested []string
	for name := range Config(".", nil) {
		if !tested[name] {
			untested = append(untested, name)
		}
	}
	sort.Strings(untested)
	if len(untested) > 0 {
		t.Errorf("functions with no case in evalCases: %s", strings.Join(untested, ", "))
	}
}

func TestRuntimeSubset(t *testing.T) {
	config := Config("testdata", nil)
	runtime := Runtime()
	if len(runtime) != len(runtimeNames) {
		t.Errorf("Runtime() has %d functions, runtimeNames %d: a name is repeated", len(runtime), len(runtimeNames))
	}
	for name, f := range runtime {
		if _, ok := config[name]; !ok {
			t.Errorf("runtime function %s is not a config function", name)
		}
		if f.Description() == "" {
			t.Errorf("runtime function %s is missing (or has no description)", name)
		}
	}
	// Nothing that reads files, the clock or the environment.
	for _, name := range []string{"file", "templatefile", "formatdate", "timeadd", "try", "can"} {
		if _, ok := runtime[name]; ok {
			t.Errorf("Runtime() has %s", name)
		}
	}
	for name := range runtime {
		if strings.Contains(name, "file") || strings.Contains(name, "time") {
			t.Errorf("Runtime() has %s, which looks like a filesystem or clock function", name)
		}
	}
}

func TestFileAbsolutePath(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("testdata", "hello.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The base directory does not apply to an absolute path.
	fns := Config(t.TempDir(), nil)
	got, diags := parse(t, `file(path)`).Value(&hcl.EvalContext{
		Functions: fns,
		Variables: map[string]cty.Value{"path": cty.StringVal(abs)},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if want := cty.StringVal("Hello, world!\n"); !got.RawEquals(want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func BenchmarkRuntime(b *testing.B) {
	for b.Loop() {
		Runtime()
	}
}

// BenchmarkEvalRuntime measures a runtime expression of the kind the
// runtime evaluates for each customer.
func BenchmarkEvalRuntime(b *testing.B) {
	expr, diags := hclsyntax.ParseExpression([]byte(`lower(trimspace(tier)) == "gold" && length(tags) > 0 && contains(tags, "vip")`), "b.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	ctx := &hcl.EvalContext{
		Functions: Runtime(),
		Variables: map[string]cty.Value{
			"tier": cty.StringVal(" Gold "),
			"tags": cty.ListVal([]cty.Value{cty.StringVal("new"), cty.StringVal("vip")}),
		},
	}
	for b.Loop() {
		if v, diags := expr.Value(ctx); diags.HasErrors() || !v.True() {
			b.Fatal(v, diags)
		}
	}
}
