package funcs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// TestMarks checks that a sensitive argument makes a sensitive result, and
// that an error about it does not quote it.
func TestMarks(t *testing.T) {
	cases := []struct {
		expr string
		want cty.Value // unmarked; the result must carry the mark
		err  string    // or an error containing this, and not the secret
	}{
		{expr: `upper(secret)`, want: cty.StringVal("HUNTER2")},
		{expr: `length(secret)`, want: num(7)},
		{expr: `startswith(secret, "hun")`, want: cty.True},
		{expr: `replace(secret, "/[0-9]/", "#")`, want: cty.StringVal("hunter#")},
		{expr: `coalesce("", secret)`, want: cty.StringVal("hunter2")},
		{expr: `index(["a", secret], "hunter2")`, want: num(1)},
		{expr: `jsonencode({a = secret})`, want: cty.StringVal(`{"a":"hunter2"}`)},
		{expr: `templatefile("greeting.tpl", {name = secret})`, want: cty.StringVal("Hello, hunter2!\n")},
		{expr: `duration(secret)`, err: "the argument is sensitive, so the details of this error are hidden"},
		{expr: `tonumber(secret)`, err: "the argument is sensitive"},
		{expr: `tobool(secret)`, err: "the argument is sensitive"},
		{expr: `file(secret)`, err: "the argument is sensitive"},
		{expr: `index(["a"], secret)`, err: "the argument is sensitive"},
		{expr: `parseint(secret, 10)`, err: "the argument is sensitive"},
		{expr: `regex(secret, "x")`, err: "an argument is sensitive, so the details of this error are hidden"},
		{expr: `format("%d", secret)`, err: "an argument is sensitive"},
	}
	config := Config("testdata", nil)
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			got, diags := eval(t, config, tc.expr)
			if tc.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.err) {
					t.Fatalf("got %#v, %v; want an error containing %q", got, diags, tc.err)
				}
				if strings.Contains(diags.Error(), "hunter2") {
					t.Fatalf("the error quotes the sensitive value: %s", diags.Error())
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("unexpected error: %s", diags.Error())
			}
			if !got.HasMark(sensitive) {
				t.Fatalf("got %#v, want it marked %s", got, sensitive)
			}
			if plain, _ := got.Unmark(); !plain.RawEquals(tc.want) {
				t.Fatalf("got %#v, want %#v", plain, tc.want)
			}
		})
	}
}

// sweepValues are awkward arguments for TestNoPanics.
var sweepValues = []cty.Value{
	cty.StringVal("s3cr3t"),
	cty.StringVal(""),
	cty.StringVal("%d %v %"),
	cty.NumberIntVal(-1),
	cty.NumberFloatVal(1.5),
	cty.True,
	cty.NullVal(cty.String),
	cty.NullVal(cty.DynamicPseudoType),
	cty.DynamicVal,
	cty.UnknownVal(cty.String),
	cty.UnknownVal(cty.List(cty.String)),
	cty.ListVal([]cty.Value{cty.StringVal("s3cr3t"), cty.UnknownVal(cty.String)}),
	cty.ListValEmpty(cty.String),
	cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)}),
	cty.MapVal(map[string]cty.Value{"a": cty.StringVal("s3cr3t")}),
	cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NullVal(cty.String)}),
	cty.SetVal([]cty.Value{cty.StringVal("a")}),
	cty.EmptyObjectVal,
	cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("s3cr3t").Mark(sensitive)}),
}

// TestNoPanics calls every function with every combination of awkward
// arguments, up to three of them: no call may panic, and when every argument
// is marked, a result must be marked and an error must not quote "s3cr3t".
func TestNoPanics(t *testing.T) {
	fns := Config("testdata", nil)
	var names []string
	for name := range fns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := fns[name]
		arities := []int{len(f.Params())}
		if f.VarParam() != nil {
			for n := len(f.Params()) + 1; n <= 3; n++ {
				arities = append(arities, n)
			}
		}
		for _, n := range arities {
			forEachCombination(n, func(args []cty.Value) {
				call := fmt.Sprintf("%s%#v", name, args)
				if _, err := callNoPanic(t, call, f.Call, args); err != nil {
					return
				}
				if n == 0 {
					return
				}
				marked := make([]cty.Value, n)
				for i, a := range args {
					marked[i] = a.Mark(sensitive)
				}
				got, err := callNoPanic(t, call+" (marked)", f.Call, marked)
				switch {
				case err != nil && strings.Contains(err.Error(), "s3cr3t"):
					t.Errorf("%s with marked arguments: the error quotes a sensitive value: %v", call, err)
				case err == nil && !got.ContainsMarked():
					t.Errorf("%s with marked arguments gave an unmarked %#v", call, got)
				}
			})
		}
	}
}

func callNoPanic(t *testing.T, call string, f func([]cty.Value) (cty.Value, error), args []cty.Value) (v cty.Value, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", call, r)
			err = fmt.Errorf("panic")
		}
	}()
	return f(args)
}

// forEachCombination calls fn with every sequence of n sweepValues.
func forEachCombination(n int, fn func([]cty.Value)) {
	args := make([]cty.Value, n)
	var rec func(i int)
	rec = func(i int) {
		if i == n {
			fn(append([]cty.Value(nil), args...))
			return
		}
		for _, v := range sweepValues {
			args[i] = v
			rec(i + 1)
		}
	}
	rec(0)
}

func TestSafe(t *testing.T) {
	str := []function.Parameter{{Name: "s", Type: cty.String}}
	panics := function.New(&function.Spec{
		Params: str,
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			panic("boom with " + args[0].AsString())
		},
	})
	panicsInType := function.New(&function.Spec{
		Params: str,
		Type:   func(args []cty.Value) (cty.Type, error) { panic("boom in type") },
		Impl:   func([]cty.Value, cty.Type) (cty.Value, error) { return cty.StringVal(""), nil },
	})
	wrongType := function.New(&function.Spec{
		Params: str,
		Type:   function.StaticReturnType(cty.String),
		Impl:   func([]cty.Value, cty.Type) (cty.Value, error) { return cty.True, nil },
	})
	argErr := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "a", Type: cty.String}, {Name: "b", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.NilVal, function.NewArgErrorf(1, "bad value %q", args[1].AsString())
		},
	})
	secret := cty.StringVal("s3cr3t").Mark(sensitive)
	plain := cty.StringVal("plain")
	cases := []struct {
		name    string
		f       function.Function
		args    []cty.Value
		err     string
		argErr  int // the index of an ArgError, or -1
		noValue string
	}{
		{"panic", panics, []cty.Value{plain}, `internal error in function "panic": boom with plain; please report this`, -1, "goroutine"},
		{"panic", panics, []cty.Value{secret}, `internal error in function "panic"; please report this`, -1, "s3cr3t"},
		{"type", panicsInType, []cty.Value{plain}, `internal error in function "type": boom in type; please report this`, -1, "goroutine"},
		{"wrong", wrongType, []cty.Value{plain}, `internal error in function "wrong": returned value cty.True does not conform to expected return type cty.String: string required, but received bool; please report this`, -1, ""},
		{"arg", argErr, []cty.Value{secret, plain}, `bad value "plain"`, 1, ""},
		{"arg", argErr, []cty.Value{plain, secret}, "the argument is sensitive, so the details of this error are hidden", 1, "s3cr3t"},
	}
	for _, tc := range cases {
		t.Run(tc.err, func(t *testing.T) {
			got, err := safe(tc.name, tc.f, nil).Call(tc.args)
			if err == nil {
				t.Fatalf("got %#v, want an error", got)
			}
			if err.Error() != tc.err {
				t.Errorf("got error %q, want %q", err, tc.err)
			}
			if tc.noValue != "" && strings.Contains(err.Error(), tc.noValue) {
				t.Errorf("error %q contains %q", err, tc.noValue)
			}
			var ae function.ArgError
			isArg := errors.As(err, &ae)
			if tc.argErr >= 0 && (!isArg || ae.Index != tc.argErr) {
				t.Errorf("got %#v, want an ArgError for argument %d", err, tc.argErr)
			}
			if tc.argErr < 0 && isArg {
				t.Errorf("got ArgError %#v, want a plain error", err)
			}
		})
	}
}

// TestUnknownKeepsMarks covers go-cty returning an unknown result early
// without the marks of its arguments.
func TestUnknownKeepsMarks(t *testing.T) {
	fns := Runtime()
	for _, call := range []struct {
		name string
		args []cty.Value
	}{
		{"abs", []cty.Value{cty.DynamicVal.Mark(sensitive)}},
		{"concat", []cty.Value{cty.UnknownVal(cty.List(cty.String)).Mark(sensitive)}},
		{"upper", []cty.Value{cty.UnknownVal(cty.String).Mark(sensitive)}},
	} {
		got, err := fns[call.name].Call(call.args)
		if err != nil {
			t.Fatalf("%s: %v", call.name, err)
		}
		if got.IsKnown() || !got.HasMark(sensitive) {
			t.Errorf("%s(%#v) = %#v, want a marked unknown", call.name, call.args, got)
		}
	}
}
