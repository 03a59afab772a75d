// Package modeleval evaluates the runtime's adaptive models on a
// time-ordered set of labelled responses: one generated (seeded), whose
// true response probabilities are known, with a shift in the middle, or a
// CSV or JSON Lines file. It replays the training part in order through a
// models.Registry, as the engine does (each response scored before it is
// learnt: prequential), freezes the model, and scores the test part. It
// prints the frozen test AUC, the prequential AUC, the oracle's AUC when
// the truth is known, the expected calibration error, and the same for a
// model without predictors and for an offline logistic regression fitted
// on the whole training history, for comparison.
package modeleval
