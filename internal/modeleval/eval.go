package modeleval

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/waymarkhq/waymark/runtime/models"
)

// Options set an evaluation.
type Options struct {
	// TrainShare is the share of rows, from the first, to train on; the
	// rest is the test. 0 is 0.7.
	TrainShare float64
	// Settings are the model's (its half-life).
	Settings models.Settings
}

// Figures are one model's figures.
type Figures struct {
	Name        string
	TestAUC     float64 // frozen after training, on the test rows
	Prequential float64 // on the training rows, each scored before it was learnt; NaN when not applicable
	ECE         float64 // on the test rows
	MeanP, Rate float64 // mean prediction and observed rate on the test rows
}

// Result is an evaluation's figures: the model with predictors, the model
// without, the offline logistic regression, and the oracle when known.
type Result struct {
	Train, Test int
	Models      []Figures
	// LearnNS is the mean time to learn one response, in nanoseconds.
	LearnNS float64
}

// Evaluate replays rows in order.
func Evaluate(rows []Row, o Options) (Result, error) {
	share := o.TrainShare
	if share == 0 {
		share = 0.7
	}
	if share <= 0 || share >= 1 {
		return Result{}, fmt.Errorf("the train share is between 0 and 1; got %g", share)
	}
	n := int(float64(len(rows)) * share)
	if n < 100 || len(rows)-n < 100 {
		return Result{}, fmt.Errorf("%d rows are too few: the train and the test each need 100 or more", len(rows))
	}
	train, test := rows[:n], rows[n:]
	res := Result{Train: len(train), Test: len(test)}
	ys := make([]bool, len(test))
	for i, r := range test {
		ys[i] = r.Y
	}
	for _, kind := range []struct {
		name string
		set  models.Settings
	}{
		{"bayes (predictors)", o.Settings},
		{"beta (no predictors)", models.Settings{HalfLife: o.Settings.HalfLife, HalfLifeResponses: o.Settings.HalfLifeResponses, Predictors: []string{}}},
	} {
		reg := models.NewRegistry()
		const key = "eval/action@web"
		reg.Configure(key, kind.set)
		m := reg.Get(key)
		pre := make([]float64, len(train))
		pys := make([]bool, len(train))
		start := nowNS()
		for i, r := range train {
			x := r.X
			if !m.UsesFeatures() {
				x = nil
			}
			pre[i], pys[i] = m.Mean(x), r.Y
			reg.Learn(i%8, key, models.Observation{X: x, Positive: r.Y, Weight: 1})
		}
		if kind.name[0] == 'b' && kind.name[1] == 'a' {
			res.LearnNS = float64(nowNS()-start) / float64(len(train))
		}
		scores := make([]float64, len(test))
		for i, r := range test {
			x := r.X
			if !m.UsesFeatures() {
				x = nil
			}
			scores[i] = m.Mean(x)
		}
		res.Models = append(res.Models, figures(kind.name, scores, ys, AUC(pre, pys)))
	}
	lr := fitLR(train, 1.0)
	scores := make([]float64, len(test))
	for i, r := range test {
		scores[i] = lr.predict(r.X)
	}
	res.Models = append(res.Models, figures("offline logistic regression", scores, ys, math.NaN()))
	if !math.IsNaN(test[0].Truth) {
		for i, r := range test {
			scores[i] = r.Truth
		}
		res.Models = append(res.Models, figures("oracle (true probabilities)", scores, ys, math.NaN()))
	}
	return res, nil
}

func figures(name string, scores []float64, ys []bool, pre float64) Figures {
	f := Figures{Name: name, TestAUC: AUC(scores, ys), Prequential: pre, ECE: ECE(scores, ys)}
	for i := range scores {
		f.MeanP += scores[i]
		if ys[i] {
			f.Rate++
		}
	}
	f.MeanP /= float64(len(scores))
	f.Rate /= float64(len(scores))
	return f
}

// Print writes the figures as a table.
func (r Result) Print(w io.Writer) {
	fmt.Fprintf(w, "trained on %d responses in time order, tested on the next %d\n\n", r.Train, r.Test)
	fmt.Fprintf(w, "  %-30s  %8s  %11s  %6s  %6s  %6s\n", "MODEL", "TEST AUC", "PREQUENTIAL", "ECE", "MEAN P", "RATE")
	for _, f := range r.Models {
		pre := "-"
		if !math.IsNaN(f.Prequential) {
			pre = fmt.Sprintf("%.4f", f.Prequential)
		}
		fmt.Fprintf(w, "  %-30s  %8.4f  %11s  %6.4f  %6.4f  %6.4f\n", f.Name, f.TestAUC, pre, f.ECE, f.MeanP, f.Rate)
	}
	fmt.Fprintf(w, "\nlearning one response: %.1f µs\n", r.LearnNS/1000)
}

// AUC is the area under the ROC curve, ties counted half; 0.5 without
// both outcomes.
func AUC(scores []float64, ys []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var np, nn, rank float64
	for i := 0; i < len(idx); {
		j := i
		var k float64
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if ys[idx[j]] {
				k++
			}
			j++
		}
		rank += k * float64(i+1+j) / 2
		np += k
		nn += float64(j-i) - k
		i = j
	}
	if np == 0 || nn == 0 {
		return 0.5
	}
	return (rank - np*(np+1)/2) / (np * nn)
}

// ECE is the expected calibration error over ten equal-count groups by
// prediction.
func ECE(scores []float64, ys []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var e float64
	for d := 0; d < 10; d++ {
		g := idx[d*len(idx)/10 : (d+1)*len(idx)/10]
		if len(g) == 0 {
			continue
		}
		var p, y float64
		for _, i := range g {
			p += scores[i]
			if ys[i] {
				y++
			}
		}
		e += math.Abs(p-y) / float64(len(idx))
	}
	return e
}
