// Package showcmd implements waymark show: a saved plan, as plan prints it
// or as Terraform's JSON plan, or without one what the runtime has deployed
// for the stack, as blocks of attributes or in the shape of Terraform's
// JSON state. Sensitive values never appear: the runtime withholds them.
//
// It must not compute plans; it renders plans through package views.
package showcmd
