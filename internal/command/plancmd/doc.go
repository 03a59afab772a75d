// Package plancmd implements waymark plan: load the configuration, read
// what the runtime has deployed for its stack, and print the plan (the
// human view, or Terraform's JSON plan with -json), saving it with -out.
//
// It also holds what apply, destroy and rollback share with plan: loading
// the configuration in its deployable form (with the lock file's provider
// hashes) and rendering a plan. It must not compute plans itself (package
// planner does) nor format them inline (package views does).
package plancmd
