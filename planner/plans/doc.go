// Package plans is the plan model: the changes that would bring a stack's
// deployment to what its configuration says, with what each change costs the
// customers in flight, and what a saved plan must remember to be applied
// later.
//
// It is data only. It must not know how a plan is computed (package
// planner), rendered (package views) or saved (package planfile), nor talk
// to the runtime.
package plans
