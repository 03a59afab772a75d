// Package funcs provides the functions of the Waymark language: the set
// available to config-time expressions (Config), the pure subset that the
// runtime may evaluate per customer (Runtime), the duration syntax shared by
// every duration attribute (ParseDuration, FormatDuration), and one-line
// descriptions of every function for the generated language reference
// (Describe, Docs).
//
// Most functions are go-cty's function/stdlib functions, registered under the
// names Terraform uses; every function is wrapped so that a call never panics
// and an error about a sensitive (marked) argument does not quote it.
//
// It must not know about blocks, scopes, the loader or the runtime: callers
// put these functions into an hcl.EvalContext themselves.
package funcs
