package modeleval

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"

	"github.com/waymarkhq/waymark/runtime/models"
)

// Options set an evaluation.
type Options struct {
	// TrainShare is the share of rows, from the first, to train on; the
	// rest is the test. 0 is 0.7.
	TrainShare float64
	// Settings are the models' (their half-life), set in the applied
	// configuration's arbitration { model { ... } }.
	Settings models.Settings
	// Batch is how many customers' events are sent at once before their
	// decisions; 0 is 500.
	Batch int
	// Workers is how many decisions are asked at once; 0 is 4.
	Workers int
}

// Figures are one model's figures.
type Figures struct {
	Name        string
	TestAUC     float64 // frozen after training, on the test rows
	Prequential float64 // on the training rows, each scored before it was learnt; NaN when not applicable
	ECE         float64 // on the test rows
	MeanP, Rate float64 // mean prediction and observed rate on the test rows
	// RuntimeAUC and RuntimeECE are the runtime's own figures (GET
	// /v1/models/{id}) at the end of training: prequential, over its last
	// responses; NaN when not applicable.
	RuntimeAUC, RuntimeECE float64
}

// Result is an evaluation's figures: the model with predictors, the model
// without, the offline logistic regression, and the oracle when known.
type Result struct {
	Train, Test int
	Models      []Figures
	// Window is how many responses the runtime's own figures read, and
	// WindowOracleECE the oracle's calibration error on those same last
	// training responses (NaN when the truth is not known): the noise
	// floor of the runtime's ECE.
	Window          int
	WindowOracleECE float64
}

// Evaluate replays rows in order through the runtime rt: it applies a
// configuration whose customer attributes, journeys and stages are the
// rows' predictors, with two actions on one channel (one whose model reads
// every predictor, one without predictors); for each training row it
// sends the customer's events, asks POST /v1/decide (the propensities
// returned are the prequential predictions) and reports the outcome to
// both actions with POST /v1/responses; then, the models frozen (no more
// responses), it decides for each test row. The runtime's own AUC and
// calibration are read from GET /v1/models/{id}. rt should be fresh:
// Evaluate deploys the stack growth from serial 0.
func Evaluate(ctx context.Context, rt *Runtime, rows []Row, o Options) (Result, error) {
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
	sc, err := schemaOf(rows)
	if err != nil {
		return Result{}, err
	}
	if err := rt.Apply(ctx, sc.config(o)); err != nil {
		return Result{}, err
	}
	train, test := rows[:n], rows[n:]
	res := Result{Train: len(train), Test: len(test)}
	pre, err := replay(ctx, rt, sc, rows, 0, n, true, o)
	if err != nil {
		return Result{}, err
	}
	// Every response learnt before the models are read and frozen.
	if err := rt.Client.Sync(ctx); err != nil {
		return Result{}, err
	}
	reports := map[string]apiv1.Model{}
	for _, a := range []string{ActionModel, ActionBaseline} {
		m, err := awaitEvidence(ctx, rt.Client, ModelKey(a), len(train))
		if err != nil {
			return Result{}, err
		}
		reports[a] = m
		res.Window = max(res.Window, m.Window)
	}
	post, err := replay(ctx, rt, sc, rows, n, len(rows), false, o)
	if err != nil {
		return Result{}, err
	}
	ys := make([]bool, len(test))
	for i, r := range test {
		ys[i] = r.Y
	}
	pys := make([]bool, len(train))
	for i, r := range train {
		pys[i] = r.Y
	}
	for _, a := range []struct{ action, name string }{{ActionModel, "bayes (predictors)"}, {ActionBaseline, "beta (no predictors)"}} {
		f := figures(a.name, post[a.action], ys, AUC(pre[a.action], pys))
		f.RuntimeAUC, f.RuntimeECE = math.NaN(), math.NaN()
		if m := reports[a.action]; m.AUC != nil && m.ECE != nil {
			f.RuntimeAUC, f.RuntimeECE = *m.AUC, *m.ECE
		}
		res.Models = append(res.Models, f)
	}
	res.WindowOracleECE = math.NaN()
	if w := min(res.Window, len(train)); w > 0 && !math.IsNaN(train[0].Truth) {
		last := train[len(train)-w:]
		ps, ls := make([]float64, w), make([]bool, w)
		for i, r := range last {
			ps[i], ls[i] = r.Truth, r.Y
		}
		res.WindowOracleECE = ECE(ps, ls)
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

// base is the time of the first row's events; row i is i seconds later.
var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// CustomerID is row i's customer.
func CustomerID(i int) string { return fmt.Sprintf("cust-%07d", i+1) }

// replay sends rows [from, to) a batch at a time: the batch's events,
// then a decision for each row (and, when learn, its outcome to both
// actions). It returns each action's propensity per row, from 0.
func replay(ctx context.Context, rt *Runtime, sc *schema, rows []Row, from, to int, learn bool, o Options) (map[string][]float64, error) {
	batch, workers := o.Batch, o.Workers
	if batch <= 0 {
		batch = 500
	}
	if workers <= 0 {
		workers = 4
	}
	out := map[string][]float64{ActionModel: make([]float64, to-from), ActionBaseline: make([]float64, to-from)}
	var buf bytes.Buffer
	for lo := from; lo < to; lo += batch {
		hi := min(lo+batch, to)
		buf.Reset()
		for i := lo; i < hi; i++ {
			sc.writeEvents(&buf, CustomerID(i), rows[i], base.Add(time.Duration(i)*time.Second))
		}
		res, err := rt.Client.SendEvents(ctx, buf.Bytes())
		if err != nil {
			return nil, err
		}
		if len(res.Rejected) > 0 {
			r := res.Rejected[0]
			return nil, fmt.Errorf("the runtime rejected %d events, the first (%s) as %s: %s", len(res.Rejected), r.ID, r.Code, r.Reason)
		}
		if err := rt.Client.Sync(ctx); err != nil {
			return nil, err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for i := lo; i < hi; i++ {
			g.Go(func() error {
				return decideOne(gctx, rt.Client, sc, rows[i], i, learn, func(action string, p float64) { out[action][i-from] = p })
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decideOne asks a decision for row i's customer and, when learn, reports
// the outcome to both actions.
func decideOne(ctx context.Context, c *client.Client, sc *schema, r Row, i int, learn bool, set func(string, float64)) error {
	req := apiv1.DecideRequest{CustomerID: CustomerID(i), Channel: "web", Limit: 2}
	for _, f := range r.X {
		if k, ok := strings.CutPrefix(f.Name, "context."); ok {
			if req.Context == nil {
				req.Context = map[string]any{}
			}
			switch f.Kind {
			case models.Number:
				req.Context[k] = f.Num
			case models.Symbol:
				req.Context[k] = f.Sym
			}
		}
	}
	d, err := c.Decide(ctx, req)
	if err != nil {
		return fmt.Errorf("deciding for %s: %w", req.CustomerID, err)
	}
	seen := 0
	for _, a := range d.Actions {
		if a.Action != ActionModel && a.Action != ActionBaseline {
			continue
		}
		seen++
		set(a.Action, a.Propensity)
		if !learn {
			continue
		}
		outcome := "rejected"
		if r.Y {
			outcome = "accepted"
		}
		if _, err := c.Respond(ctx, d.DecisionID, a.Address, outcome); err != nil {
			return fmt.Errorf("reporting %s's response to %s: %w", req.CustomerID, a.Action, err)
		}
	}
	if seen != 2 {
		return fmt.Errorf("the decision for %s returned %d of the 2 actions: %+v", req.CustomerID, seen, d.Actions)
	}
	return nil
}

// awaitEvidence reads a model until it has learnt n responses.
func awaitEvidence(ctx context.Context, c *client.Client, key string, n int) (apiv1.Model, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, err := c.Model(ctx, key)
		if err != nil {
			return m, fmt.Errorf("reading the model %s: %w", key, err)
		}
		if m.Evidence >= n {
			return m, nil
		}
		if time.Now().After(deadline) {
			return m, fmt.Errorf("the model %s learnt %d of the %d responses sent", key, m.Evidence, n)
		}
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func figures(name string, scores []float64, ys []bool, pre float64) Figures {
	f := Figures{Name: name, TestAUC: AUC(scores, ys), Prequential: pre, ECE: ECE(scores, ys), RuntimeAUC: math.NaN(), RuntimeECE: math.NaN()}
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
	fmt.Fprintf(w, "  %-30s  %8s  %11s  %6s  %6s  %6s  %11s  %11s\n", "MODEL", "TEST AUC", "PREQUENTIAL", "ECE", "MEAN P", "RATE", "RUNTIME AUC", "RUNTIME ECE")
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.4f", v)
	}
	for _, f := range r.Models {
		fmt.Fprintf(w, "  %-30s  %8.4f  %11s  %6.4f  %6.4f  %6.4f  %11s  %11s\n", f.Name, f.TestAUC, num(f.Prequential), f.ECE, f.MeanP, f.Rate, num(f.RuntimeAUC), num(f.RuntimeECE))
	}
	fmt.Fprintf(w, "\nTEST AUC and ECE: the models frozen after training, their propensities from POST /v1/decide on the test rows;\n")
	fmt.Fprintf(w, "PREQUENTIAL: each training row's propensity before its response was sent; RUNTIME: GET /v1/models/{id}, last %d responses\n", r.Window)
	if !math.IsNaN(r.WindowOracleECE) {
		fmt.Fprintf(w, "(the oracle's ECE on those %d responses, the noise floor of RUNTIME ECE: %.4f)\n", r.Window, r.WindowOracleECE)
	}
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
