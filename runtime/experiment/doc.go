// Package experiment holds the statistics of experiments: a stable keyed
// assignment of customers to arms (Assign, Holdout), the summary of one arm
// (Arm: its conversion rate with a 95% Wilson interval), the lift of a variant
// over its control with a 95% interval (Compare), and a sequential decision
// rule that stays valid however often it is read (Rule, Sequential: a mixture
// sequential probability ratio test, mSPRT, for two proportions).
//
// The package is pure arithmetic: it depends on nothing else in Waymark, keeps
// no state between calls (Monitor, which does, is a value its caller owns),
// and gives the same answer on every machine. docs/experiments.md
// ("Statistics") states the methods and the figures measured on them.
package experiment
