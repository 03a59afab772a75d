package bench

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/waymarkhq/waymark/runtime/expr"
)

// The expressions of the quality target: the same text for every engine.
var expressions = []struct{ name, src string }{
	{"two_clause", `customer.tier == "gold" && event.cart_value > 20`},
	{"four_clause", `customer.tier == "gold" && event.cart_value > 20 && customer.email_opt_in && customer.country != "US"`},
}

// One customer and one event, the same for every engine. Every clause is
// true, so that no engine stops before the last one.
const (
	tier       = "gold"
	country    = "DE"
	emailOptIn = true
	cartValue  = 80.0
)

// Struct environments, as expr's and cel-go's documentations recommend
// for speed.
type Customer struct {
	Tier       string `expr:"tier" cel:"tier"`
	Country    string `expr:"country" cel:"country"`
	EmailOptIn bool   `expr:"email_opt_in" cel:"email_opt_in"`
}

type Event struct {
	CartValue float64 `expr:"cart_value" cel:"cart_value"`
}

type Env struct {
	Customer *Customer `expr:"customer"`
	Event    *Event    `expr:"event"`
}

func structEnv() *Env {
	return &Env{
		Customer: &Customer{Tier: tier, Country: country, EmailOptIn: emailOptIn},
		Event:    &Event{CartValue: cartValue},
	}
}

func mapEnv() map[string]any {
	return map[string]any{
		"customer": map[string]any{"tier": tier, "country": country, "email_opt_in": emailOptIn},
		"event":    map[string]any{"cart_value": cartValue},
	}
}

// engine compiles an expression once and returns the evaluation the
// benchmark loop calls.
type engine struct {
	name    string
	compile func(src string) (func() bool, error)
}

var engines = []engine{
	{"expr_struct", func(src string) (func() bool, error) {
		p, err := exprlang.Compile(src, exprlang.Env(Env{}), exprlang.AsBool())
		if err != nil {
			return nil, err
		}
		env := structEnv()
		var m vm.VM
		return func() bool { out, _ := m.Run(p, env); return out == true }, nil
	}},
	{"expr_map", func(src string) (func() bool, error) {
		env := mapEnv()
		p, err := exprlang.Compile(src, exprlang.Env(env), exprlang.AsBool())
		if err != nil {
			return nil, err
		}
		var m vm.VM
		return func() bool { out, _ := m.Run(p, env); return out == true }, nil
	}},
	{"cel_struct", func(src string) (func() bool, error) {
		env, err := cel.NewEnv(
			ext.NativeTypes(reflect.TypeOf(&Customer{}), reflect.TypeOf(&Event{}), ext.ParseStructTags(true)),
			cel.Variable("customer", cel.ObjectType("bench.Customer")),
			cel.Variable("event", cel.ObjectType("bench.Event")),
			cel.CrossTypeNumericComparisons(true),
		)
		if err != nil {
			return nil, err
		}
		s := structEnv()
		return celProgram(env, src, map[string]any{"customer": s.Customer, "event": s.Event})
	}},
	{"cel_map", func(src string) (func() bool, error) {
		env, err := cel.NewEnv(
			cel.Variable("customer", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
			cel.CrossTypeNumericComparisons(true),
		)
		if err != nil {
			return nil, err
		}
		return celProgram(env, src, mapEnv())
	}},
	{"waymark", func(src string) (func() bool, error) {
		env := &expr.Env{
			Customer: expr.NewLayout(map[string]expr.Kind{"tier": expr.KindString, "country": expr.KindString, "email_opt_in": expr.KindBool}),
			Events:   map[string]*expr.Layout{"cart_updated": expr.NewLayout(map[string]expr.Kind{"cart_value": expr.KindNumber})},
			Event:    "cart_updated",
		}
		p, err := expr.Compile(src, env)
		if err != nil {
			return nil, err
		}
		c := env.Customer.NewRecord()
		set := func(rec expr.Record, l *expr.Layout, name string, v expr.Value) {
			slot, _ := l.Slot(name)
			rec[slot] = v
		}
		set(c, env.Customer, "tier", expr.String(tier))
		set(c, env.Customer, "country", expr.String(country))
		set(c, env.Customer, "email_opt_in", expr.Bool(emailOptIn))
		el := env.Events["cart_updated"]
		e := el.NewRecord()
		set(e, el, "cart_value", expr.Number(cartValue))
		a := &expr.Activation{Customer: c, Event: e}
		return func() bool { r, _ := p.EvalBool(a); return r }, nil
	}},
}

func celProgram(env *cel.Env, src string, vars map[string]any) (func() bool, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	act, err := cel.NewActivation(vars)
	if err != nil {
		return nil, err
	}
	return func() bool { out, _, _ := prg.Eval(act); return out.Value() == true }, nil
}

var sink bool

// BenchmarkCompare runs every engine on each expression, Waymark's last.
// Go runs each engine's benchmark -count times in a row; the parent keeps
// every run's ns/op and prints, per expression, a comparison line per run
// and one of the medians: each engine's ns/op and Waymark's ratio against
// the faster variant (struct or map) of each library, with the target of
// quality.md (at most 0.5).
func BenchmarkCompare(b *testing.B) {
	for _, x := range expressions {
		b.Run(x.name, func(b *testing.B) {
			runs := map[string][]float64{} // engine → ns/op of each run
			for _, eng := range engines {
				eval, err := eng.compile(x.src)
				if err != nil {
					b.Fatalf("%s: compiling %s: %v", eng.name, x.src, err)
				}
				if !eval() {
					b.Fatalf("%s: %s is not true", eng.name, x.src)
				}
				b.Run(eng.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						sink = eval()
					}
					runs[eng.name] = append(runs[eng.name], float64(b.Elapsed().Nanoseconds())/float64(b.N))
					if eng.name == "waymark" {
						i := len(runs["waymark"]) - 1
						nsop := runAt(runs, i)
						b.ReportMetric(nsop["waymark"]/bestOf(nsop, "expr_"), "ratio_vs_expr")
						b.ReportMetric(nsop["waymark"]/bestOf(nsop, "cel_"), "ratio_vs_cel")
					}
				})
			}
			n := len(runs["waymark"])
			for i := 0; i < n; i++ {
				fmt.Printf("compare %-11s run %d/%d: %s\n", x.name, i+1, n, compareLine(runAt(runs, i)))
			}
			med := map[string]float64{}
			for name, vs := range runs {
				med[name] = median(vs)
			}
			fmt.Printf("compare %-11s median of %d: %s\n", x.name, n, compareLine(med))
		})
	}
}

// runAt returns the ns/op of each engine in run i.
func runAt(runs map[string][]float64, i int) map[string]float64 {
	out := map[string]float64{}
	for name, vs := range runs {
		if i < len(vs) {
			out[name] = vs[i]
		}
	}
	return out
}

// bestOf returns the lowest ns/op of the engines whose name has prefix.
func bestOf(nsop map[string]float64, prefix string) float64 {
	best := math.Inf(1)
	for name, v := range nsop {
		if strings.HasPrefix(name, prefix) && v < best {
			best = v
		}
	}
	return best
}

func compareLine(nsop map[string]float64) string {
	w, e, c := nsop["waymark"], bestOf(nsop, "expr_"), bestOf(nsop, "cel_")
	verdict := func(r float64) string {
		if r <= 0.5 {
			return "met"
		}
		return "MISSED"
	}
	return fmt.Sprintf("waymark %.1f ns/op | expr %.1f ns/op (struct %.1f, map %.1f) ratio %.2f | cel-go %.1f ns/op (struct %.1f, map %.1f) ratio %.2f | target <= 0.5: expr %s, cel-go %s",
		w, e, nsop["expr_struct"], nsop["expr_map"], w/e, c, nsop["cel_struct"], nsop["cel_map"], w/c, verdict(w/e), verdict(w/c))
}

func median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
