package models

import "hash/maphash"

// FeatureKind says what a feature's value is.
type FeatureKind uint8

// The kinds of feature value: missing (null, unknown, not in the journey),
// a number (binned by the model from the values it sees), a symbol (a
// string, a bool, a stage name).
const (
	Missing FeatureKind = iota
	Number
	Symbol
)

// Feature is one predictor's value for a customer. Key identifies the
// predictor (FeatureKey of Name); SymKey the symbol (FeatureKey of Sym).
type Feature struct {
	Key    uint64
	Name   string
	Kind   FeatureKind
	Num    float64
	Sym    string
	SymKey uint64
}

// Features are a customer's predictor values, computed once per decision
// and read by every candidate's model.
type Features []Feature

// featureSeed differs from process to process: keys are only used in
// memory, and saved state names predictors and symbols by their names.
var featureSeed = maphash.MakeSeed()

// FeatureKey is the key of a predictor or symbol name within this process.
func FeatureKey(s string) uint64 { return maphash.String(featureSeed, s) }

// NewFeature returns the feature of a predictor name with its value.
func NewFeature(name string, kind FeatureKind, num float64, sym string) Feature {
	f := Feature{Key: FeatureKey(name), Name: name, Kind: kind, Num: num, Sym: sym}
	if kind == Symbol {
		f.SymKey = FeatureKey(sym)
	}
	return f
}
