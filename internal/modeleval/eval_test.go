package modeleval

import (
	"math"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/runtime/models"
)

// TestEvaluateGenerated is the small, seeded version of make eval-models:
// with a real signal, the model with predictors comes near the oracle and
// well above the model without, before and after a drift.
func TestEvaluateGenerated(t *testing.T) {
	for _, shift := range []bool{false, true} {
		res, err := Evaluate(Generate(20000, 3, shift), Options{Settings: models.Settings{HalfLifeResponses: 2000}})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]Figures{}
		for _, f := range res.Models {
			by[strings.Fields(f.Name)[0]] = f
		}
		b, beta, oracle := by["bayes"], by["beta"], by["oracle"]
		t.Logf("shift %v: test AUC %.4f (oracle %.4f, offline %.4f), prequential %.4f, ECE %.4f",
			shift, b.TestAUC, oracle.TestAUC, by["offline"].TestAUC, b.Prequential, b.ECE)
		gap := 0.02
		if shift {
			gap = 0.04 // it has had 3000 responses since the drift to follow it
		}
		if b.TestAUC < oracle.TestAUC-gap || b.TestAUC < 0.62 || b.Prequential < 0.6 || b.ECE > 0.05 {
			t.Errorf("shift %v: %+v against the oracle's %+v", shift, b, oracle)
		}
		if beta.TestAUC != 0.5 {
			t.Errorf("a model without predictors ranks: AUC %v", beta.TestAUC)
		}
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
	if _, err := Evaluate(Generate(50, 1, false), Options{}); err == nil {
		t.Error("50 rows evaluated")
	}
}
