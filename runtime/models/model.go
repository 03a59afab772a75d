package models

import (
	"errors"
	"math"
	"math/rand/v2"
	"time"
)

// TrustAfter is how many labelled responses a model needs before the
// pipeline ranks by its posterior mean instead of a Thompson draw.
const TrustAfter = 100

// ExploreShare is the share of decisions in which the pipeline explores
// outright: one of the candidates that passed every filter, drawn at
// random, is ranked first. A Thompson draw of an action that lost its
// first draws rarely wins again, so without this floor an action judged on
// little evidence, or one whose response rate changed since, would never
// be seen again.
const ExploreShare = 0.05

// Model estimates the probability that a customer responds positively to
// one action on one channel. Its methods are safe for concurrent use.
type Model interface {
	// Mean is the posterior mean estimate for a customer.
	Mean(x Features) float64
	// Estimate returns the posterior mean for a customer and the estimate
	// to rank by: while the model explores (Explore) and r is not nil, a
	// Thompson draw from the posterior (drawn is set), else the mean. It
	// reads the model's state once.
	Estimate(x Features, r *rand.Rand) (mean, score float64, drawn bool)
	// Evidence is the number of labelled responses learnt from.
	Evidence() int
	// UsesFeatures reports whether the model reads Features; the pipeline
	// computes them only for models that do.
	UsesFeatures() bool
	// Observe learns one labelled response (weight 1) or forgets one
	// learnt before (weight -1, for erasure), and adds what it learnt to
	// into, when not nil: the part of the model of the partition that
	// learnt it, a model of the same kind.
	Observe(o Observation, into Model)
	// Stats returns the model's figures.
	Stats() Stats
	// AppendBinary appends the model's state.
	AppendBinary(b []byte) []byte
	// Merge adds what o learnt to the model (sign 1) or takes it out
	// (sign -1); o is a model of the same kind. Models learnt from
	// different partitions' responses merge into the model decisions use.
	Merge(o Model, sign int) error
}

// Observation is one labelled response to learn.
type Observation struct {
	// X describes the customer.
	X Features
	// Positive says how the customer responded; Control whether the
	// decision was made for the control group.
	Positive, Control bool
	// Weight is 1 to learn, -1 to forget.
	Weight int
	// At is when the customer responded, for forgetting by time; zero
	// when not known.
	At time.Time
}

// Stats are a model's figures, as GET /v1/models shows them.
type Stats struct {
	Kind string `json:"kind"`
	// Evidence counts labelled responses; Positives those that were
	// positive.
	Evidence  int `json:"evidence"`
	Positives int `json:"positives"`
	// Mean is the posterior mean of the positive rate.
	Mean float64 `json:"mean"`
	// Exploring is set while the model is under TrustAfter.
	Exploring bool `json:"exploring"`
	// Control counts the labelled responses to decisions made for the
	// control group, and ControlPositives the positive ones.
	Control          int `json:"control_evidence"`
	ControlPositives int `json:"control_positives"`
	// Lift is the positive rate of model-ranked decisions over that of the
	// control group, minus one; nil until both have responses.
	Lift *float64 `json:"lift,omitempty"`
	// LiftLow and LiftHigh bound Lift's 95% interval (the log of the
	// ratio of rates, normally approximated).
	LiftLow  *float64 `json:"lift_low,omitempty"`
	LiftHigh *float64 `json:"lift_high,omitempty"`
	// Window counts the recent responses AUC and Calibration read, each
	// scored before the model learnt from it (prequential).
	Window int `json:"window,omitempty"`
	// AUC is the area under the ROC curve over the window; nil until it
	// holds both outcomes.
	AUC *float64 `json:"auc,omitempty"`
	// Calibration is the mean predicted and observed rate per decile of
	// predictions over the window, ECE the expected calibration error.
	Calibration []Decile `json:"calibration,omitempty"`
	ECE         *float64 `json:"ece,omitempty"`
	// Predictors are the model's predictors, best AUC first.
	Predictors []PredictorStats `json:"predictors,omitempty"`
	// HalfLife and HalfLifeResponses are the model's forgetting.
	HalfLife          string `json:"half_life,omitempty"`
	HalfLifeResponses int    `json:"half_life_responses,omitempty"`
}

// Decile is one tenth of the window's responses, by predicted rate.
type Decile struct {
	N         int     `json:"n"`
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
}

// PredictorStats are a predictor's figures: its AUC alone (its bins
// ordered by positive rate), whether that makes it active, and its bins.
type PredictorStats struct {
	Name   string    `json:"name"`
	AUC    float64   `json:"auc"`
	Active bool      `json:"active"`
	Bins   []BinStat `json:"bins"`
}

// BinStat is one bin of a predictor: its (discounted) count of responses
// and their positive rate.
type BinStat struct {
	Label        string  `json:"label"`
	Count        float64 `json:"count"`
	PositiveRate float64 `json:"positive_rate"`
}

// Explore reports whether the pipeline ranks m by a Thompson draw.
func Explore(m Model) bool { return m.Evidence() < TrustAfter }

// Decode reads a model's state as AppendBinary wrote it.
func Decode(b []byte) (Model, error) {
	if len(b) == 0 {
		return nil, errCorrupt
	}
	switch b[0] {
	case kindBayes:
		return decodeBayes(b[1:])
	case kindBeta:
		m := &Beta{}
		if err := m.decode(b[1:]); err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, errors.New("unknown model kind")
}

var (
	errCorrupt = errors.New("corrupt model state")
	errKind    = errors.New("cannot merge models of different kinds")
)

// lift is the positive rate of model-ranked decisions over that of the
// control group, minus one; nil until both have a positive rate to compare.
// liftInterval returns the 95% interval of lift.
func liftInterval(pos, n, cpos, cn int) (lo, hi *float64) {
	if n == 0 || cn == 0 || cpos == 0 || pos == 0 {
		return nil, nil
	}
	l := math.Log((float64(pos) / float64(n)) / (float64(cpos) / float64(cn)))
	se := math.Sqrt(1/float64(pos) - 1/float64(n) + 1/float64(cpos) - 1/float64(cn))
	a, b := math.Exp(l-1.96*se)-1, math.Exp(l+1.96*se)-1
	return &a, &b
}

func lift(pos, n, cpos, cn int) *float64 {
	if n == 0 || cn == 0 || cpos == 0 {
		return nil
	}
	l := (float64(pos)/float64(n))/(float64(cpos)/float64(cn)) - 1
	return &l
}
