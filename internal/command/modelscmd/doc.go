// Package modelscmd implements waymark models: the adaptive models of the
// runtime at WAYMARK_ADDR, with their evidence, AUC, calibration, lift and
// predictors, as a table a person reads at a glance or as JSON.
package modelscmd
