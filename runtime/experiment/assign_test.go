package experiment

import (
	"fmt"
	"math"
	"testing"
)

func seqID(i int) string { return fmt.Sprintf("cust-%06d", i) }

// TestAssignShares is the figure: 100k sequential ids land in each
// arm within ±1 point of its weight.
func TestAssignShares(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name    string
		salt    string
		weights []float64
		want    []float64
	}{
		{"50/50", "journey.cart.action.email.experiment.subject", []float64{1, 1}, []float64{0.5, 0.5}},
		{"50/30/20", "journey.cart.action.email.experiment.offer", []float64{50, 30, 20}, []float64{0.5, 0.3, 0.2}},
		{"zero weight never chosen", "x", []float64{0.3, 0, 0.7}, []float64{0.3, 0, 0.7}},
		{"unusable weights count as zero", "y", []float64{math.NaN(), 1, -2, math.Inf(1), 3}, []float64{0, 0.25, 0, 0, 0.75}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := make([]int, len(tt.weights))
			for i := 1; i <= n; i++ {
				arm := Assign(tt.salt, seqID(i), tt.weights)
				if arm < 0 {
					t.Fatalf("Assign(%q) = %d", seqID(i), arm)
				}
				counts[arm]++
			}
			for arm, c := range counts {
				share := float64(c) / n
				t.Logf("arm %d: %.2f%% (want %.0f%%)", arm, 100*share, 100*tt.want[arm])
				if math.Abs(share-tt.want[arm]) > 0.01 {
					t.Errorf("arm %d share %.4f, want %.2f ± 0.01", arm, share, tt.want[arm])
				}
				if tt.want[arm] == 0 && c != 0 {
					t.Errorf("arm %d of weight zero chosen %d times", arm, c)
				}
			}
		})
	}
}

// TestAssignIndependentSalts: two experiments' 50/50 assignments are
// independent, each cell of the joint 2x2 table within ±1 point of 25%.
func TestAssignIndependentSalts(t *testing.T) {
	const n = 100_000
	var table [2][2]int
	w := []float64{1, 1}
	for i := 1; i <= n; i++ {
		id := seqID(i)
		table[Assign("journey.a.action.x.experiment.e1", id, w)][Assign("journey.a.action.y.experiment.e2", id, w)]++
	}
	for a := range 2 {
		for b := range 2 {
			share := float64(table[a][b]) / n
			if math.Abs(share-0.25) > 0.01 {
				t.Errorf("cell (%d,%d) = %.4f, want 0.25 ± 0.01", a, b, share)
			}
		}
	}
	t.Logf("joint table: %v", table)
}

func TestAssignStableAndEdges(t *testing.T) {
	w := []float64{2, 1}
	for i := 1; i <= 1000; i++ {
		id := seqID(i)
		if a, b := Assign("s", id, w), Assign("s", id, []float64{2, 1}); a != b {
			t.Fatalf("Assign(%q) unstable: %d then %d", id, a, b)
		}
	}
	for _, w := range [][]float64{nil, {}, {0, 0}, {-1}, {math.NaN()}} {
		if got := Assign("s", "c", w); got != -1 {
			t.Errorf("Assign(weights %v) = %d, want -1", w, got)
		}
	}
	if got := Assign("s", "c", []float64{0, 5}); got != 1 {
		t.Errorf("single usable arm: got %d, want 1", got)
	}
	// The NUL separator keeps the salt and the id apart.
	if Uniform("ab", "c") == Uniform("a", "bc") {
		t.Errorf("Uniform(ab, c) == Uniform(a, bc)")
	}
	// Raising the second arm's weight only moves customers into it.
	for i := 1; i <= 5000; i++ {
		id := seqID(i)
		if before, after := Assign("s", id, []float64{1, 1}), Assign("s", id, []float64{1, 3}); before == 1 && after != 1 {
			t.Fatalf("%s left arm 1 when its weight grew", id)
		}
	}
}

func TestHoldout(t *testing.T) {
	const n = 100_000
	held := 0
	for i := 1; i <= n; i++ {
		id := seqID(i)
		h := Holdout("holdout", id, 0.05)
		if h != (Uniform("holdout", id) < 0.05) {
			t.Fatalf("Holdout and Uniform disagree on %s", id)
		}
		if h {
			held++
		}
		if Holdout("holdout", id, 0) || !Holdout("holdout", id, 1) {
			t.Fatalf("share 0 or 1 wrong for %s", id)
		}
	}
	if share := float64(held) / n; math.Abs(share-0.05) > 0.005 {
		t.Errorf("held out %.4f, want 0.05 ± 0.005", share)
	}
}
