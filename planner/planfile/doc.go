// Package planfile saves a plan for a later `waymark apply PLANFILE` and
// reads it back: one JSON document holding the desired deployable form, the
// serial of the deployment the plan was made against, the variables, the
// changes and the version of the CLI that wrote it. The file may hold
// sensitive values, so it is written with mode 0600.
//
// It must not compute, render or apply plans.
package planfile
