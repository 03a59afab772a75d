package models

import (
	"errors"
	"math/rand/v2"
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

// Features are what a customer looks like to a model that predicts per
// customer: hashed ids of binned attribute values and journey stages. The
// Beta model ignores them.
type Features []uint64

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
	// learnt before (weight -1, for erasure). control says whether the
	// decision was made for the control group.
	Observe(x Features, positive, control bool, weight int)
	// Stats returns the model's figures.
	Stats() Stats
	// AppendBinary appends the model's state.
	AppendBinary(b []byte) []byte
	// Merge adds what o learnt to the model (sign 1) or takes it out
	// (sign -1); o is a model of the same kind. Models learnt from
	// different partitions' responses merge into the model decisions use.
	Merge(o Model, sign int) error
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
}

// Explore reports whether the pipeline ranks m by a Thompson draw.
func Explore(m Model) bool { return m.Evidence() < TrustAfter }

// Decode reads a model's state as AppendBinary wrote it.
func Decode(b []byte) (Model, error) {
	if len(b) == 0 {
		return nil, errCorrupt
	}
	switch b[0] {
	case kindBeta:
		m := &Beta{}
		if err := m.decode(b[1:]); err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, errors.New("unknown model kind")
}

var errCorrupt = errors.New("corrupt model state")

// lift is the positive rate of model-ranked decisions over that of the
// control group, minus one; nil until both have a positive rate to compare.
func lift(pos, n, cpos, cn int) *float64 {
	if n == 0 || cn == 0 || cpos == 0 {
		return nil
	}
	l := (float64(pos)/float64(n))/(float64(cpos)/float64(cn)) - 1
	return &l
}
