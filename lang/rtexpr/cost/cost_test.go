package cost_test

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

// TestBoundsResults calls runtime functions and checks that the model's
// bound on each result is at least the result.
func TestBoundsResults(t *testing.T) {
	fns := funcs.Runtime()
	s := cty.StringVal
	list := func(ss ...string) cty.Value {
		vs := make([]cty.Value, len(ss))
		for i, x := range ss {
			vs[i] = s(x)
		}
		return cty.ListVal(vs)
	}
	text := strings.Repeat("ab,c\nd é ", 40)
	tests := []struct {
		name string
		args []cty.Value
	}{
		{"join", []cty.Value{s(", "), list("a", "bb", "ccc")}},
		{"join", []cty.Value{s(text), list(strings.Split(text, "")...)}},
		{"split", []cty.Value{s(","), s(text)}},
		{"split", []cty.Value{s(""), s(text)}},
		{"replace", []cty.Value{s(text), s(""), s("xyz")}},
		{"replace", []cty.Value{s(text), s("ab"), s("xyz")}},
		{"replace", []cty.Value{s(text), s("/(a)(b)?/"), s("$1$2$1$2$0")}},
		{"replace", []cty.Value{s(text), s("/()/"), s("-")}},
		{"format", []cty.Value{s("%s-%10d-%[1]s%-8.3[3]f%[4]v"), s(text), cty.NumberIntVal(7), cty.NumberFloatVal(1.5), list("x")}},
		{"formatlist", []cty.Value{s("%s=%s;"), list("a", "b", "c"), s(text)}},
		{"indent", []cty.Value{cty.NumberIntVal(12), s(text)}},
		{"chunklist", []cty.Value{list("a", "b", "c", "d", "e"), cty.NumberIntVal(2)}},
		{"jsonencode", []cty.Value{list("\x00\"<>&", text)}},
		{"upper", []cty.Value{s(text + "ɐßǅ")}},
		{"title", []cty.Value{s(text)}},
		{"strrev", []cty.Value{s(text)}},
		{"concat", []cty.Value{list("a", "b"), list("c")}},
		{"tostring", []cty.Value{cty.NumberFloatVal(1e300)}},
		{"tostring", []cty.Value{cty.MustParseNumberVal("1e-400")}},
		{"parseint", []cty.Value{s("ff"), cty.NumberIntVal(16)}},
		{"distinct", []cty.Value{list("a", "a", "b")}},
		{"sort", []cty.Value{list("b", "a", text)}},
		{"merge", []cty.Value{cty.MapVal(map[string]cty.Value{"k": s(text)}), cty.MapVal(map[string]cty.Value{"j": s("x")})}},
		{"zipmap", []cty.Value{list("a", "b"), list("x", text)}},
	}
	for _, tt := range tests {
		f, ok := fns[tt.name]
		if !ok {
			t.Fatalf("no function %s", tt.name)
		}
		out, err := f.Call(tt.args)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		sizes := make([]cost.Arg, len(tt.args))
		for i, a := range tt.args {
			sizes[i] = cost.Of(a)
		}
		c := cost.Call(tt.name, sizes)
		got := cost.Of(out)
		if got.Bytes > c.Result.Bytes || got.Elems > c.Result.Elems+1 {
			t.Errorf("%s: the result has %v bytes and %v elements; the bound is %v and %v", tt.name, got.Bytes, got.Elems, c.Result.Bytes, c.Result.Elems)
		}
		if c.Steps < got.Bytes || c.Bytes < got.Bytes {
			t.Errorf("%s: a cost of %v steps and %v bytes for a result of %v bytes", tt.name, c.Steps, c.Bytes, got.Bytes)
		}
	}
}

// TestAmplifiers checks that the calls of issue #18 cost far more than the
// budget (ten times, where lang/rtexpr warns), and everyday calls less.
func TestAmplifiers(t *testing.T) {
	big := cost.Arg{Bytes: 60 << 10}
	unknown := cost.Arg{Bytes: cost.MaxValueBytes}
	over := []struct {
		name string
		args []cost.Arg
	}{
		{"join", []cost.Arg{big, cost.Call("split", []cost.Arg{{Known: true}, big}).Result}},
		{"replace", []cost.Arg{big, {Known: true}, big}},
		{"replace", []cost.Arg{unknown, unknown, unknown}},
		{"format", []cost.Arg{unknown, unknown}},
		{"indent", []cost.Arg{unknown, unknown}},
		{"range", []cost.Arg{unknown}},
	}
	for _, o := range over {
		if c := cost.Call(o.name, o.args); c.Bytes <= 10*cost.DefaultBytes && c.Steps <= 10*cost.DefaultSteps {
			t.Errorf("%s%v: a cost of %v steps and %v bytes, within the budget", o.name, o.args, c.Steps, c.Bytes)
		}
	}
	comma := cost.Arg{Known: true, Str: ",", Bytes: 1}
	within := []struct {
		name string
		args []cost.Arg
	}{
		{"split", []cost.Arg{comma, unknown}},
		{"join", []cost.Arg{comma, cost.Call("split", []cost.Arg{comma, unknown}).Result}},
		{"replace", []cost.Arg{unknown, comma, {Known: true, Str: ";", Bytes: 1}}},
		{"lower", []cost.Arg{unknown}},
		{"format", []cost.Arg{{Known: true, Str: "%s-%s", Bytes: 5}, unknown, unknown}},
		{"contains", []cost.Arg{cost.Call("split", []cost.Arg{comma, unknown}).Result, unknown}},
	}
	for _, w := range within {
		if c := cost.Call(w.name, w.args); c.Bytes > 10*cost.DefaultBytes || c.Steps > 10*cost.DefaultSteps {
			t.Errorf("%s: a cost of %v steps and %v bytes over 64 KiB values, far over the budget", w.name, c.Steps, c.Bytes)
		}
	}
}
