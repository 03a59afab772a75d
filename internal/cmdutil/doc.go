// Package cmdutil holds what every waymark command shares: the I/O streams
// passed into a command instead of globals, exit codes, colour, the
// rewriting of Terraform-style single-dash flags, the rendering of
// diagnostics as text and JSON, and the garbage collector's target while a
// command loads and plans (BatchGC).
//
// It must not know about any one command.
package cmdutil
