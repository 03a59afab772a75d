package modeleval

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/runtime/models"
)

// bin is the waymark binary the tests run, built once for the package.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "modeleval-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bin, err = BuildWaymark(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T) *Runtime {
	t.Helper()
	rt, err := StartRuntime(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Stop(); err != nil {
			t.Error(err)
		}
	})
	return rt
}

// TestEvaluateGenerated is the small, seeded version of make eval-models,
// through a waymark runtime serve process over HTTP: with a real signal,
// the model with predictors ranks well above the model without, before
// and after a drift, and the runtime reports its own AUC.
func TestEvaluateGenerated(t *testing.T) {
	for _, shift := range []bool{false, true} {
		// After the drift the model has 600 responses to follow it: it
		// forgets faster there.
		hl := 1000
		if shift {
			hl = 300
		}
		rt := start(t)
		res, err := Evaluate(context.Background(), rt, Generate(3000, 3, shift), Options{Settings: models.Settings{HalfLifeResponses: hl}, Batch: 300})
		if err != nil {
			t.Fatalf("%v\n%s", err, rt.Log())
		}
		by := map[string]Figures{}
		for _, f := range res.Models {
			by[strings.Fields(f.Name)[0]] = f
		}
		b, beta, oracle := by["bayes"], by["beta"], by["oracle"]
		t.Logf("shift %v: test AUC %.4f (oracle %.4f, offline %.4f), prequential %.4f, ECE %.4f, runtime AUC %.4f ECE %.4f",
			shift, b.TestAUC, oracle.TestAUC, by["offline"].TestAUC, b.Prequential, b.ECE, b.RuntimeAUC, b.RuntimeECE)
		if res.Train != 2100 || res.Test != 900 || res.Window == 0 {
			t.Errorf("shift %v: %d trained, %d tested, window %d", shift, res.Train, res.Test, res.Window)
		}
		// 2100 responses are few: the bounds are loose, the direction sure.
		if b.TestAUC < 0.6 || b.Prequential < 0.58 || b.ECE > 0.08 || math.IsNaN(b.RuntimeAUC) || b.RuntimeAUC < 0.58 {
			t.Errorf("shift %v: %+v against the oracle's %+v", shift, b, oracle)
		}
		if beta.TestAUC != 0.5 {
			t.Errorf("a model without predictors ranks: AUC %v", beta.TestAUC)
		}
	}
}

// TestEvaluateFile replays a CSV through the same HTTP path: a number and
// a symbol that carry the signal, a column mixing numbers and words (a
// string attribute), and missing values.
func TestEvaluateFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("Age,plan,code,y\n")
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 1500; i++ {
		age, plan := 18+r.IntN(60), []string{"free", "pro"}[r.IntN(2)]
		z := -0.5 + 0.04*float64(age-45)
		if plan == "pro" {
			z += 1
		}
		y := 0
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y = 1
		}
		ages := strconv.Itoa(age)
		if i%10 == 0 {
			ages = "NA"
		}
		code := strconv.Itoa(r.IntN(5))
		if i%7 == 0 {
			code = "x"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%d\n", ages, plan, code, y)
	}
	rows, err := ReadCSV(strings.NewReader(b.String()), "y")
	if err != nil {
		t.Fatal(err)
	}
	rt := start(t)
	res, err := Evaluate(context.Background(), rt, rows, Options{Batch: 500})
	if err != nil {
		t.Fatalf("%v\n%s", err, rt.Log())
	}
	m := res.Models[0]
	t.Logf("csv: test AUC %.4f, offline %.4f, prequential %.4f, ECE %.4f", m.TestAUC, res.Models[2].TestAUC, m.Prequential, m.ECE)
	if len(res.Models) != 3 || m.TestAUC < 0.65 {
		t.Errorf("csv: %+v", res.Models)
	}
	model, err := rt.Client.Model(context.Background(), ModelKey(ActionModel))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range model.Predictors {
		names[p.Name] = true
	}
	if !names["customer.age"] || !names["customer.plan"] || !names["customer.code"] {
		t.Errorf("the runtime's model reads %+v", model.Predictors)
	}
}

func TestRead(t *testing.T) {
	rows, err := ReadCSV(strings.NewReader("age,plan,y\n34,pro,1\n,free,0\nNA,pro,yes\n"), "y")
	if err != nil || len(rows) != 3 || !rows[0].Y || rows[1].Y || !rows[2].Y {
		t.Fatalf("csv: %+v %v", rows, err)
	}
	if f := rows[0].X[0]; f.Kind != models.Number || f.Num != 34 || f.Name != "customer.age" {
		t.Fatalf("a number: %+v", f)
	}
	if rows[1].X[0].Kind != models.Missing || rows[0].X[1].Sym != "pro" || !math.IsNaN(rows[0].Truth) {
		t.Fatalf("missing and symbols: %+v", rows)
	}
	rows, err = ReadJSONL(strings.NewReader(`{"age":34,"plan":"pro","y":true}`+"\n\n"+`{"age":null,"plan":"free","y":0}`+"\n"), "y")
	if err != nil || len(rows) != 2 || !rows[0].Y || rows[1].X[0].Kind != models.Missing {
		t.Fatalf("jsonl: %+v %v", rows, err)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"no label column", "age,plan\n1,pro\n", `no column "y"`},
		{"a bad label", "age,y\n1,maybe\n", `line 2: the label "maybe"`},
		{"a short line", "age,y\n1\n", "line 2"},
	} {
		if _, err := ReadCSV(strings.NewReader(tt.in), "y"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := ReadJSONL(strings.NewReader(`{"age":1}`), "y"); err == nil || !strings.Contains(err.Error(), `line 1: no field "y"`) {
		t.Errorf("jsonl without the label: %v", err)
	}
	if _, err := Evaluate(context.Background(), nil, Generate(50, 1, false), Options{}); err == nil || !strings.Contains(err.Error(), "too few") {
		t.Errorf("50 rows evaluated: %v", err)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// TestConfig: the configuration applied for the generated data, golden.
func TestConfig(t *testing.T) {
	sc, err := schemaOf(Generate(500, 1, false))
	if err != nil {
		t.Fatal(err)
	}
	got := sc.config(Options{Settings: models.Settings{HalfLifeResponses: 3000}})["eval.wm.hcl"]
	path := filepath.Join("testdata", "generated.wm.hcl")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, tt := range []struct {
		name string
		x    models.Feature
		want string
	}{
		{"no kind", models.NewFeature("plan", models.Symbol, 0, "pro"), "is not customer.<name>"},
		{"another stack", models.NewFeature("stage.care/tickets", models.Symbol, 0, "open"), "is not stage.growth/<journey>"},
		{"a stage not an identifier", models.NewFeature("stage.growth/cart", models.Symbol, 0, "check out"), `the stage "check out" of cart`},
	} {
		if _, err := schemaOf([]Row{{X: models.Features{tt.x}}}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
