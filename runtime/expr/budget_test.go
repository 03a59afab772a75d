package expr

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/funcs"
)

// The engine's target: no input takes one evaluation longer than this, or
// makes it allocate more.
const (
	maxEvalTime  = 100 * time.Millisecond
	maxEvalAlloc = 64 << 20
)

// measure runs f once and returns the CPU time it took and what it
// allocated. The CPU time is its thread's (threadCPU): what the work cost,
// which other processes on a loaded machine do not inflate as they do the
// wall time, so that a budget that lets the work run long fails the test
// however busy the machine, and one that stops it passes however busy.
func measure(f func()) (time.Duration, uint64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := threadCPU()
	f()
	d := threadCPU() - t0
	runtime.ReadMemStats(&after)
	return d, after.TotalAlloc - before.TotalAlloc
}

// TestOverBudget evaluates expressions whose cost grows with the square
// (or worse) of their input over inputs that would stall the engine for
// seconds to minutes: each stops within its budget, false and over budget.
func TestOverBudget(t *testing.T) {
	env := testEnv()
	env.Functions = funcs.Runtime()
	s60 := strings.Repeat("ab", 30<<10)
	s30 := strings.Repeat("ab", 15<<10)
	tests := []struct {
		name, src string
		ctx       map[string]Value
		always    bool // over budget whatever the input
	}{
		{"join over split", `join(context.s, split("", context.s)) == ""`, map[string]Value{"s": String(s60)}, false},
		{"replace empty", `replace(context.s, "", context.s) == ""`, map[string]Value{"s": String(s30)}, false},
		{"replace pattern", `replace(context.s, "/()/", context.s) == ""`, map[string]Value{"s": String(s60)}, false},
		{"format width", `format("%999999999d", context.n) == ""`, map[string]Value{"n": Number(1)}, true},
		{"indent", `indent(context.n, context.s) == ""`, map[string]Value{"n": Number(1e9), "s": String("a\nb")}, false},
		// A number of ten million digits, written out by the slow path.
		{"huge number as text", `contains([tostring(tonumber(context.s))], "")`, map[string]Value{"s": String("1e9999999")}, false},
		{"template of templates", `"${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}" == "${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}${context.s}"`,
			map[string]Value{"s": String(strings.Repeat("x", 1<<20))}, false},
		// Nested iterations: runtime/expr takes for expressions that
		// lang/rtexpr refuses, and charges them too.
		{"nested for", `length([for x in split("", context.s) : [for y in split("", context.s) : y]]) > 0`, map[string]Value{"s": String(s30)}, false},
		{"list of slow calls", strings.Repeat(`length(concat(split("", context.s))) + `, 40) + `0 > 0`, map[string]Value{"s": String(s60)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.src, env)
			if err != nil {
				t.Fatal(err)
			}
			a := testActivation(env)
			a.Context = tt.ctx
			var r, null bool
			d, alloc := measure(func() { r, null = p.EvalBool(a) })
			if r || !null || !p.OverBudget(a) {
				t.Errorf("EvalBool = %v, %v, over budget %v; want false, null, over budget", r, null, p.OverBudget(a))
			}
			t.Logf("%v, %d KiB", d, alloc>>10)
			if d > maxEvalTime*raceSlowdown || alloc > maxEvalAlloc {
				t.Errorf("one evaluation took %v and allocated %d MiB; at most %v and %d MiB are allowed", d, alloc>>20, maxEvalTime, maxEvalAlloc>>20)
			}
			if tt.always {
				return
			}
			// The next evaluation starts with a fresh budget.
			small := testActivation(env)
			small.Context = map[string]Value{"s": String("ab"), "n": Number(1)}
			p.EvalBool(small)
			if p.OverBudget(small) {
				t.Error("an evaluation over small values is over budget")
			}
		})
	}
}

// TestBudgetKeepsResults checks that what fits in the budget evaluates as
// before, and that the budget is the Env's.
func TestBudgetKeepsResults(t *testing.T) {
	env := testEnv()
	env.Functions = funcs.Runtime()
	p, err := Compile(`length(split(",", context.s)) == 3 && lower(context.s) == "a,b,c"`, env)
	if err != nil {
		t.Fatal(err)
	}
	a := testActivation(env)
	a.Context = map[string]Value{"s": String("A,B,C")}
	if r, null := p.EvalBool(a); !r || null || p.OverBudget(a) {
		t.Fatalf("EvalBool = %v, %v (over budget %v)", r, null, p.OverBudget(a))
	}
	env.Budget = Budget{Bytes: 4}
	p, err = Compile(`lower(context.s) == "a,b,c"`, env)
	if err != nil {
		t.Fatal(err)
	}
	if r, null := p.EvalBool(a); r || !null || !p.OverBudget(a) {
		t.Fatalf("with a budget of 4 bytes, EvalBool = %v, %v (over budget %v)", r, null, p.OverBudget(a))
	}
	// A program that charges nothing is never over budget, whatever came
	// before it.
	q, err := Compile(`context.s == "A,B,C"`, env)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := q.EvalBool(a); !r || q.OverBudget(a) {
		t.Fatalf("EvalBool = %v, over budget %v", r, q.OverBudget(a))
	}
	n, err := Compile(`length(split(",", lower(context.s)))`, env)
	if err != nil {
		t.Fatal(err)
	}
	if v, null := n.EvalNumber(a); v != 0 || !null || !n.OverBudget(a) {
		t.Fatalf("EvalNumber = %v, %v", v, null)
	}
	if v := p.Eval(a); !v.IsNull() || !p.OverBudget(a) {
		t.Fatalf("Eval = %#v", v)
	}
}

// TestRenderOverBudget renders a message whose text would be a gigabyte.
func TestRenderOverBudget(t *testing.T) {
	env := testEnv()
	env.Functions = funcs.Runtime()
	tp, err := CompileTemplate(`Hi ${replace(context.s, "", context.s)}!`, env)
	if err != nil {
		t.Fatal(err)
	}
	a := testActivation(env)
	a.Context = map[string]Value{"s": String(strings.Repeat("x", 32<<10))}
	var out string
	d, alloc := measure(func() { out, err = tp.Render(a) })
	if !errors.Is(err, ErrOverBudget) || out != "" {
		t.Errorf("Render = %d bytes, %v; want ErrOverBudget", len(out), err)
	}
	if d > maxEvalTime*raceSlowdown || alloc > maxEvalAlloc {
		t.Errorf("one rendering took %v and allocated %d MiB", d, alloc>>20)
	}
	a.Context = map[string]Value{"s": String("ab")}
	if out, err := tp.Render(a); out != "Hi abaabbab!" || err != nil {
		t.Errorf("Render = %q, %v", out, err)
	}
	// Literal text and interpolations of records are charged too.
	tp, err = CompileTemplate(strings.Repeat(`${context.s}`, 64), env)
	if err != nil {
		t.Fatal(err)
	}
	a.Context = map[string]Value{"s": String(strings.Repeat("x", 1<<20))}
	if _, err := tp.Render(a); !errors.Is(err, ErrOverBudget) {
		t.Errorf("a 64 MiB message: %v", err)
	}
}

// TestCompileOverBudget compiles calls over constants that would take
// seconds to fold: compiling stays quick, and evaluating is over budget.
func TestCompileOverBudget(t *testing.T) {
	env := testEnv()
	env.Functions = funcs.Runtime()
	s := strings.Repeat("ab", 15<<10)
	src := `replace("` + s + `", "", "` + s + `") == ""`
	var p *Program
	var err error
	d, alloc := measure(func() { p, err = Compile(src, env) })
	if err != nil {
		t.Fatal(err)
	}
	if d > maxEvalTime*raceSlowdown || alloc > maxEvalAlloc {
		t.Errorf("compiling took %v and allocated %d MiB", d, alloc>>20)
	}
	a := testActivation(env)
	if r, null := p.EvalBool(a); r || !null || !p.OverBudget(a) {
		t.Errorf("EvalBool = %v, %v, over budget %v", r, null, p.OverBudget(a))
	}
}
