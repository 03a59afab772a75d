// Package cmdutil holds what every waymark command shares: the I/O streams
// passed into a command instead of globals, exit codes, colour, the
// rewriting of Terraform-style single-dash flags, and the rendering of
// diagnostics as text and JSON.
//
// It must not know about any one command.
package cmdutil
