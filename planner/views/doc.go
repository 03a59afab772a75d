// Package views renders a plan: Human as `waymark plan` prints it
// (Terraform's layout, for journeys) and JSON as Terraform's JSON plan
// representation. Both render the same plans.Plan.
//
// A view never prints a sensitive value. It must not compute plans, talk to
// the runtime, or read process-wide state: colour is a choice passed in.
package views
