// Package planner computes plans and applies them: it reads what a stack
// has deployed on the runtime, diffs it against the deployable form of the
// configuration (Diff), asks the runtime how many customers in flight the
// removals and moves touch, and deploys a plan that is still current
// (Apply).
//
// It talks to the runtime only through the Runtime interface. It must not
// know how a configuration is loaded beyond the deploy.Document it is given,
// how a plan is rendered (package views) or saved (package planfile), nor
// import the runtime's packages.
package planner
