package experiment

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestRate(t *testing.T) {
	tests := []struct {
		name          string
		arm           Arm
		value, lo, hi float64
	}{
		// Reference values: Wilson score interval, e.g. R's prop.test(correct=FALSE).
		{"10 of 100", Arm{Assigned: 100, Converted: 10}, 0.10, 0.0552, 0.1744},
		{"0 of 50", Arm{Assigned: 50}, 0, 0, 0.0714},
		{"50 of 50", Arm{Assigned: 50, Converted: 50}, 1, 0.9286, 1},
		{"nobody", Arm{}, 0, 0, 1},
		{"conversions capped at assigned", Arm{Assigned: 10, Converted: 12}, 1, 0.7225, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.arm.Rate()
			if !near(r.Value, tt.value, 1e-9) || !near(r.Low, tt.lo, 1e-4) || !near(r.High, tt.hi, 1e-4) {
				t.Errorf("Rate = %+v, want %.4f [%.4f, %.4f]", r, tt.value, tt.lo, tt.hi)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name             string
		control, variant Arm
		want             Lift
	}{
		// log(1.2) ± 1.96·sqrt(0.88/120 + 0.9/100), exp(·) - 1.
		{"20% lift", Arm{Assigned: 1000, Converted: 100}, Arm{Assigned: 1000, Converted: 120}, Lift{Value: 0.2, Low: -0.0659, High: 0.5416, Defined: true}},
		// 0 ± 1.96·sqrt(0.9/100 + 0.9/100).
		{"no difference", Arm{Assigned: 1000, Converted: 100}, Arm{Assigned: 1000, Converted: 100}, Lift{Value: 0, Low: -0.2312, High: 0.3008, Defined: true}},
		{"control converted no one", Arm{Assigned: 100}, Arm{Assigned: 100, Converted: 5}, Lift{}},
		// x1 read as 0.5: log(0.05) ± 1.96·sqrt(0.995/0.5 + 0.9/10).
		{"variant converted no one", Arm{Assigned: 100, Converted: 10}, Arm{Assigned: 100}, Lift{Value: -1, Low: -0.9970, High: -0.1555, Defined: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(tt.control, tt.variant)
			if got.Defined != tt.want.Defined || !near(got.Value, tt.want.Value, 1e-9) ||
				!near(got.Low, tt.want.Low, 1e-3) || !near(got.High, tt.want.High, 1e-3) {
				t.Errorf("Compare = %+v, want %+v", got, tt.want)
			}
		})
	}
}
