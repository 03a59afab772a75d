package experiment

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name             string
		control, variant Arm
		want             State
	}{
		{"no one assigned", Arm{}, Arm{Assigned: 10, Converted: 1}, Insufficient},
		{"no one converted", Arm{Assigned: 100}, Arm{Assigned: 100}, Insufficient},
		{"equal", Arm{Assigned: 10000, Converted: 1000}, Arm{Assigned: 10000, Converted: 1000}, Running},
		{"small and noisy", Arm{Assigned: 100, Converted: 10}, Arm{Assigned: 100, Converted: 14}, Running},
		{"clearly better", Arm{Assigned: 20000, Converted: 2000}, Arm{Assigned: 20000, Converted: 2400}, Winner},
		{"clearly worse", Arm{Assigned: 20000, Converted: 2400}, Arm{Assigned: 20000, Converted: 2000}, Loser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Sequential(tt.control, tt.variant, 0.05)
			if d.State != tt.want {
				t.Fatalf("State = %s (p %.4g), want %s", d.State, d.PValue, tt.want)
			}
			if d.PValue < 0 || d.PValue > 1 || d.Difference.Low > d.Difference.High {
				t.Fatalf("bad decision %+v", d)
			}
			// The interval excludes 0 exactly when the test rejects.
			called := d.State == Winner || d.State == Loser
			if excludes := d.Difference.Low > 0 || d.Difference.High < 0; d.State != Insufficient && excludes != called {
				t.Errorf("interval %+v excludes 0 = %v but state %s", d.Difference, excludes, d.State)
			}
		})
	}
}

// TestDecideFormula checks the p-value against the mSPRT statistic written
// out by hand for one case.
func TestDecideFormula(t *testing.T) {
	c, v := Arm{Assigned: 5000, Converted: 500}, Arm{Assigned: 5000, Converted: 560}
	p0, p1 := 501.0/5002, 561.0/5002
	s2 := p0*(1-p0)/5000 + p1*(1-p1)/5000
	tau := 0.1 * 1060.0 / 10000
	d := 0.112 - 0.1
	lambda := math.Sqrt(s2/(s2+tau*tau)) * math.Exp(d*d*tau*tau/(2*s2*(s2+tau*tau)))
	if got := Sequential(c, v, 0.05).PValue; !near(got, math.Min(1, 1/lambda), 1e-12) {
		t.Errorf("PValue = %.6g, want %.6g", got, 1/lambda)
	}
}

func TestMonitorSticks(t *testing.T) {
	var m Monitor
	if d := m.Observe(Arm{Assigned: 20000, Converted: 2000}, Arm{Assigned: 20000, Converted: 2400}); d.State != Winner {
		t.Fatalf("first look %s", d.State)
	}
	d := m.Observe(Arm{Assigned: 40000, Converted: 4000}, Arm{Assigned: 40000, Converted: 4000})
	if d.State != Winner || d.PValue > 0.05 {
		t.Errorf("a call must stand and p stay at its minimum: %+v", d)
	}
}

// simulation is one figure of the sequential rule: runs experiments of
// perArm customers in each arm, arriving evenly over days, each converting
// at once with its arm's rate, and looks at the cumulative counts once a
// day, stopping at the first call.
type simulation struct {
	base, variant float64
	perArm, days  int
	runs          int
}

type outcome struct{ winner, loser, running int }

func (s simulation) run(seed uint64) outcome {
	var o outcome
	for run := range s.runs {
		rng := rand.New(rand.NewPCG(seed, uint64(run)))
		var c, v Arm
		m := Monitor{Rule: Rule{Alpha: 0.05}}
		state := Running
		for day := 1; day <= s.days && (state == Running || state == Insufficient); day++ {
			arrived := int64(s.perArm * day / s.days)
			for ; c.Assigned < arrived; c.Assigned++ {
				if rng.Float64() < s.base {
					c.Converted++
				}
			}
			for ; v.Assigned < arrived; v.Assigned++ {
				if rng.Float64() < s.variant {
					v.Converted++
				}
			}
			state = m.Observe(c, v).State
		}
		switch state {
		case Winner:
			o.winner++
		case Loser:
			o.loser++
		default:
			o.running++
		}
	}
	return o
}

// TestSequentialFigures is the figure: 200 seeded experiments of
// 20,000 customers per arm over 28 days, the rule read every day (alpha
// 0.05). With a true lift of 10% on a base rate of 0.20 the variant is called
// the winner in at least 95% of runs; with no difference, anything is called
// in at most 5%. On a base rate of 0.10 the same lift is not detectable that
// often with 20,000 per arm (even a single fixed-horizon z-test has only about
// 90% power there); its rate is printed, and held to a floor, not to 95%.
func TestSequentialFigures(t *testing.T) {
	const seed = 15
	tests := []struct {
		name     string
		sim      simulation
		minRight float64 // share of runs that must call the variant the winner
		maxCalls float64 // share of runs that may call anything wrongly
	}{
		{"lift 10% on 0.20", simulation{base: 0.20, variant: 0.22, perArm: 20000, days: 28, runs: 200}, 0.95, 0.0},
		{"lift 10% on 0.10", simulation{base: 0.10, variant: 0.11, perArm: 20000, days: 28, runs: 200}, 0.50, 0.0},
		{"null on 0.20", simulation{base: 0.20, variant: 0.20, perArm: 20000, days: 28, runs: 200}, 0, 0.05},
		{"null on 0.10", simulation{base: 0.10, variant: 0.10, perArm: 20000, days: 28, runs: 200}, 0, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.sim.run(seed)
			n := float64(tt.sim.runs)
			null := tt.sim.base == tt.sim.variant
			right, wrong := float64(o.winner)/n, float64(o.loser)/n
			if null {
				right, wrong = 0, float64(o.winner+o.loser)/n
			}
			t.Logf("FIGURE %s, %d/arm, %d days, daily looks, %d runs: winner %.1f%%, loser %.1f%%, running at the end %.1f%%",
				tt.name, tt.sim.perArm, tt.sim.days, tt.sim.runs, 100*float64(o.winner)/n, 100*float64(o.loser)/n, 100*float64(o.running)/n)
			if right < tt.minRight {
				t.Errorf("right call in %.1f%% of runs, want ≥ %.0f%%", 100*right, 100*tt.minRight)
			}
			if wrong > tt.maxCalls {
				t.Errorf("wrong call in %.1f%% of runs, want ≤ %.0f%%", 100*wrong, 100*tt.maxCalls)
			}
		})
	}
}

// BenchmarkSequentialFigures reports the figures as benchmark metrics for
// `make bench`: power_pct (10% lift on 0.20) and false_pct (null on 0.20).
func BenchmarkSequentialFigures(b *testing.B) {
	lift := simulation{base: 0.20, variant: 0.22, perArm: 20000, days: 28, runs: 200}
	null := simulation{base: 0.20, variant: 0.20, perArm: 20000, days: 28, runs: 200}
	var power, falseCalls float64
	for b.Loop() {
		o := lift.run(15)
		power = 100 * float64(o.winner) / 200
		o = null.run(15)
		falseCalls = 100 * float64(o.winner+o.loser) / 200
	}
	b.ReportMetric(power, "power_pct")
	b.ReportMetric(falseCalls, "false_pct")
}
