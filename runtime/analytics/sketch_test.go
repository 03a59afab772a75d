package analytics_test

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

func TestSketchAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		gen  func() float64
	}{
		{"lognormal seconds", func() float64 { return math.Exp(rng.NormFloat64()*2 + 8) }},
		{"uniform to a week", func() float64 { return rng.Float64() * 7 * 86400 }},
		{"exponential minutes", func() float64 { return rng.ExpFloat64() * 600 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			const n = 100_000
			vals := make([]float64, n)
			whole := &analytics.Sketch{}
			parts := make([]analytics.Sketch, 10)
			for i := range vals {
				vals[i] = c.gen()
				whole.Add(vals[i])
				parts[i%10].Add(vals[i])
			}
			merged := &analytics.Sketch{}
			for i := range parts {
				merged.Merge(&parts[i])
			}
			sort.Float64s(vals)
			for _, q := range []float64{0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1} {
				exact := vals[int(q*float64(n-1))]
				got, ok := whole.Quantile(q)
				if !ok {
					t.Fatal("empty sketch")
				}
				if rel := math.Abs(got-exact) / exact; rel > analytics.RelativeAccuracy {
					t.Errorf("q%v = %v, exact %v: relative error %.4f", q, got, exact, rel)
				}
				if m, _ := merged.Quantile(q); m != got {
					t.Errorf("q%v: merged %v, whole %v", q, m, got)
				}
			}
			if whole.Count() != n || merged.Count() != n {
				t.Errorf("counts %d, %d", whole.Count(), merged.Count())
			}
			if whole.Bins() > 2000 {
				t.Errorf("%d bins", whole.Bins())
			}
		})
	}
}

func TestSketchSmall(t *testing.T) {
	var s analytics.Sketch
	if _, ok := s.Quantile(0.5); ok {
		t.Fatal("an empty sketch has a quantile")
	}
	for _, v := range []float64{0, 0, 10, -3} { // negative counts as zero
		s.Add(v)
	}
	if v, _ := s.Quantile(0.5); v != 0 {
		t.Errorf("median = %v, want 0", v)
	}
	if v, _ := s.Quantile(1); math.Abs(v-10)/10 > analytics.RelativeAccuracy {
		t.Errorf("max = %v, want 10", v)
	}
	var low, high analytics.Sketch
	low.Add(1)
	high.Add(1e6)
	high.Merge(&low)
	low.Merge(&high)
	if v, _ := low.Quantile(0); math.Abs(v-1) > 0.01 {
		t.Errorf("min after merges = %v", v)
	}
	if v, _ := low.Quantile(1); math.Abs(v-1e6)/1e6 > 0.01 || low.Count() != 3 {
		t.Errorf("max after merges = %v, count %d", v, low.Count())
	}
}
