// Package repocheck finds what has gone stale in the repository itself:
// Makefile targets declared .PHONY without a rule, and comments naming an
// error (a name that begins with Err or ends with Error) that no package of the module declares. Its test
// runs the checks on the module.
package repocheck
