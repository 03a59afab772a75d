// Package modeleval evaluates the runtime's adaptive models on a
// time-ordered set of labelled responses: one generated (seeded), whose
// true response probabilities are known, with a shift in the middle, or a
// CSV or JSON Lines file. It runs a real runtime (waymark runtime serve on
// a loopback port, on the event clock, without tokens, its data in a
// temporary directory), applies with waymark apply a configuration whose
// customer attributes and journeys are the rows' predictors, and replays
// the rows over /v1 with runtime/client: each customer's events, POST
// /v1/decide (the propensity returned is the prediction scored), and, for
// the training part, POST /v1/responses with the outcome. Each training
// response is scored before the runtime learns it (prequential); the test
// part is decided with the models frozen (no more responses). It reports
// the frozen test AUC, the prequential AUC, the runtime's own AUC and
// calibration error (GET /v1/models/{id}), the oracle's AUC when the truth
// is known, and the same for a model without predictors and for an
// offline logistic regression fitted in process on the whole training
// history, for comparison.
package modeleval
