package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// synth makes a customer whose true response probability is a known
// function of a number, a plan and a stage, with noise predictors beside.
func synth(r *rand.Rand, shift bool) (Features, float64) {
	age := 18 + r.Float64()*60
	plans := []string{"free", "pro", "team"}
	plan := plans[r.IntN(3)]
	stages := []string{"welcome", "trial", "paying"}
	stage := stages[r.IntN(3)]
	z := -1.2 + 0.03*(age-45)
	switch plan {
	case "pro":
		z += 0.8
	case "team":
		z += 1.4
	}
	if stage == "trial" {
		z += 0.7
	}
	if shift {
		z = -z
	}
	x := Features{
		NewFeature("customer.age", Number, age, ""),
		NewFeature("customer.plan", Symbol, 0, plan),
		NewFeature("stage.growth/onboarding", Symbol, 0, stage),
		NewFeature("customer.noise", Number, r.Float64(), ""),
		NewFeature("customer.colour", Symbol, 0, []string{"red", "blue"}[r.IntN(2)]),
	}
	if r.IntN(10) == 0 {
		x[1] = NewFeature("customer.plan", Missing, 0, "")
	}
	return x, 1 / (1 + math.Exp(-z))
}

func auc(scores []float64, ys []bool) float64 {
	s := make([]sample, len(scores))
	for i := range s {
		s[i] = sample{float32(scores[i]), ys[i]}
	}
	a, _ := AUC(s)
	return a
}

// TestBayesLearnsSignal trains on a synthetic set with a real signal and
// holds the frozen test AUC near the oracle's, the calibration close, and
// the prequential figures in the report.
func TestBayesLearnsSignal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	reg := NewRegistry()
	const key = "s/a@web"
	for i := 0; i < 20000; i++ {
		x, p := synth(r, false)
		reg.Learn(i%4, key, Observation{X: x, Positive: r.Float64() < p, Weight: 1})
	}
	m := reg.Get(key)
	var got, oracle []float64
	var ys []bool
	var ece float64
	for i := 0; i < 5000; i++ {
		x, p := synth(r, false)
		got, oracle, ys = append(got, m.Mean(x)), append(oracle, p), append(ys, r.Float64() < p)
		ece += math.Abs(m.Mean(x) - p)
	}
	a, o := auc(got, ys), auc(oracle, ys)
	t.Logf("frozen test AUC %.4f, oracle %.4f, mean |p - true p| %.4f", a, o, ece/5000)
	if a < o-0.02 || a < 0.6 {
		t.Errorf("test AUC %.4f, oracle %.4f", a, o)
	}
	st := m.Stats()
	if st.AUC == nil || *st.AUC < o-0.03 || st.ECE == nil || *st.ECE > 0.03 || st.Window != window {
		t.Errorf("report: AUC %v ECE %v window %d", st.AUC, st.ECE, st.Window)
	}
	if st.Predictors[0].Name != "customer.age" && st.Predictors[0].Name != "customer.plan" {
		t.Errorf("best predictor %+v", st.Predictors[0])
	}
	for _, p := range st.Predictors {
		if noise := p.Name == "customer.noise" || p.Name == "customer.colour"; noise == p.Active {
			t.Errorf("predictor %s AUC %.3f active %v", p.Name, p.AUC, p.Active)
		}
	}
	// The parts, saved and loaded into a new registry, make the same model.
	r2 := NewRegistry()
	for _, d := range reg.TakeDirty() {
		if err := r2.Load(d.Partition, d.Key, d.Data); err != nil {
			t.Fatal(err)
		}
	}
	m2 := r2.Get(key)
	for i := 0; i < 100; i++ {
		x, _ := synth(r, false)
		if a, b := m.Mean(x), m2.Mean(x); math.Abs(a-b) > 1e-9 {
			t.Fatalf("reloaded model predicts %v, the model %v", b, a)
		}
	}
	if m2.Evidence() != 20000 {
		t.Fatalf("reloaded evidence %d", m2.Evidence())
	}
	b := m.AppendBinary(nil)
	for i := range b {
		if _, err := Decode(b[:i]); err == nil {
			t.Fatalf("state cut at %d of %d decoded", i, len(b))
		}
	}
}

// TestBayesForgets follows a reversed signal with a half-life, and keeps
// the old one without.
func TestBayesForgets(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  Settings
		min  float64
	}{
		{"half-life in responses", Settings{HalfLifeResponses: 2000}, 0.65},
		{"half-life in time", Settings{HalfLife: 2 * time.Hour}, 0.65},
	} {
		r := rand.New(rand.NewPCG(3, 4))
		m, still := NewBayes(tt.set), NewBayes(Settings{})
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 30000; i++ {
			x, p := synth(r, i >= 15000)
			o := Observation{X: x, Positive: r.Float64() < p, Weight: 1, At: at.Add(time.Duration(i) * time.Second)}
			m.Observe(o, nil)
			still.Observe(o, nil)
		}
		var got, old []float64
		var ys []bool
		for i := 0; i < 4000; i++ {
			x, p := synth(r, true)
			got, old, ys = append(got, m.Mean(x)), append(old, still.Mean(x)), append(ys, r.Float64() < p)
		}
		a, b := auc(got, ys), auc(old, ys)
		t.Logf("%s: AUC after the shift %.3f, without forgetting %.3f", tt.name, a, b)
		if a < tt.min || a < b+0.05 {
			t.Errorf("%s: AUC after the shift %.3f, without forgetting %.3f", tt.name, a, b)
		}
	}
}

func BenchmarkBayesEstimate(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	m := NewBayes(Settings{})
	x := make(Features, 20)
	for i := 0; i < 5000; i++ {
		for k := range x {
			x[k] = NewFeature("customer.p"+string(rune('a'+k)), Symbol, 0, string(rune('a'+r.IntN(8))))
		}
		m.Observe(Observation{X: x, Positive: r.IntN(3) == 0, Weight: 1}, nil)
	}
	b.Run("estimate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.Estimate(x, r)
		}
	})
	b.Run("learn", func(b *testing.B) {
		p := NewBayes(Settings{})
		for i := 0; i < b.N; i++ {
			m.Observe(Observation{X: x, Positive: i%3 == 0, Weight: 1}, p)
		}
	})
}

// TestLoadOtherKind starts afresh a model whose saved part is of the kind
// an earlier runtime gave it.
func TestLoadOtherKind(t *testing.T) {
	old := NewBeta()
	old.Observe(Observation{Positive: true, Weight: 1}, nil)
	r := NewRegistry()
	if err := r.Load(2, "s/a@web", old.AppendBinary(nil)); err != nil {
		t.Fatal(err)
	}
	m := r.Get("s/a@web")
	if _, ok := m.(*Bayes); !ok || m.Evidence() != 0 {
		t.Fatalf("model %T with evidence %d", m, m.Evidence())
	}
	if d := r.TakeDirty(); len(d) != 1 || d[0].Data[0] != kindBayes {
		t.Fatalf("the old part is not replaced: %+v", d)
	}
}

// TestBayesUnlearns takes a customer's responses back out: the model
// returns close to what it was without them.
func TestBayesUnlearns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, without := NewBayes(Settings{}), NewBayes(Settings{})
	for i := 0; i < 3000; i++ {
		x, p := synth(r, false)
		o := Observation{X: x, Positive: r.Float64() < p, Weight: 1}
		m.Observe(o, nil)
		without.Observe(o, nil)
	}
	x, _ := synth(r, false)
	for i := 0; i < 5; i++ {
		m.Observe(Observation{X: x, Positive: true, Weight: 1}, nil)
	}
	learnt := m.Mean(x)
	for i := 0; i < 5; i++ {
		m.Observe(Observation{X: x, Positive: true, Weight: -1}, nil)
	}
	if got, want := m.Mean(x), without.Mean(x); math.Abs(got-want) > 0.002 || math.Abs(learnt-want) < 0.005 || m.Evidence() != 3000 {
		t.Fatalf("after unlearning %.4f, without the customer %.4f, with them %.4f; evidence %d", got, want, learnt, m.Evidence())
	}
}

// TestConfigure gives a model made already its new half-life, and a model
// made after its settings.
func TestConfigure(t *testing.T) {
	r := NewRegistry()
	r.Configure("s/a@web", Settings{HalfLife: time.Hour})
	m := r.Get("s/a@web")
	if st := m.Stats(); st.Kind != "bayes" || st.HalfLife != "1h0m0s" {
		t.Fatalf("stats %+v", st)
	}
	r.Configure("s/a@web", Settings{HalfLifeResponses: 500})
	if st := m.Stats(); st.HalfLife != "" || st.HalfLifeResponses != 500 {
		t.Fatalf("after a new setting: %+v", st)
	}
	r.Configure("s/b@web", Settings{Predictors: []string{}})
	if k := r.Get("s/b@web").Stats().Kind; k != "beta" {
		t.Fatalf("a model without predictors is %s", k)
	}
}

// TestIdentifierPredictor keeps a predictor whose every value is new (a
// name) from looking perfect: its AUC stays near 0.5 and it is inactive.
func TestIdentifierPredictor(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	m := NewBayes(Settings{})
	for i := 0; i < 3000; i++ {
		x, p := synth(r, false)
		x = append(x, NewFeature("customer.first_name", Symbol, 0, fmt.Sprint("name-", i)))
		m.Observe(Observation{X: x, Positive: r.Float64() < p, Weight: 1}, nil)
	}
	for _, p := range m.Stats().Predictors {
		if p.Name == "customer.first_name" && (p.Active || p.AUC > 0.52) {
			t.Fatalf("a name as a predictor: AUC %.3f, active %v", p.AUC, p.Active)
		}
	}
}

// TestBinsKeepNoLevel: the count-weighted mean of every predictor's bins
// stays at zero, in the model and in the sum of its parts, so that the
// level is the intercept's alone (center).
func TestBinsKeepNoLevel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	m := NewBayes(Settings{HalfLifeResponses: 500})
	parts := []*Bayes{NewBayes(Settings{HalfLifeResponses: 500}), NewBayes(Settings{HalfLifeResponses: 500})}
	for i := 0; i < 3000; i++ {
		x, p := synth(r, i > 1500)
		m.Observe(Observation{X: x, Positive: r.Float64() < p, Weight: 1}, parts[i%2])
	}
	sum := NewBayes(Settings{HalfLifeResponses: 500})
	for _, part := range parts {
		if err := sum.Merge(part, 1); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []*Bayes{m, sum} {
		for _, name := range b.names {
			p := b.preds[FeatureKey(name)]
			var n, wm float64
			for _, bn := range p.bins {
				n += bn.n
				wm += bn.n * bn.w.mean(priorBin, b.scale)
			}
			if n > 0 && math.Abs(wm/n) > 1e-6 {
				t.Errorf("%s: the bins' mean weight is %g", name, wm/n)
			}
		}
	}
	// The parts add up to the model: the same prediction.
	x, _ := synth(r, true)
	if a, b := m.Mean(x), sum.Mean(x); math.Abs(a-b) > 1e-6 {
		t.Errorf("the model predicts %v, the sum of its parts %v", a, b)
	}
}
