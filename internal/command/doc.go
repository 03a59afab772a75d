// Package command assembles the waymark CLI: the root cobra command, global
// flags, and one sub-package per command (validate, fmt, version, ...), each
// with an Options struct filled by flags and a run function that tests call
// directly with injected streams.
//
// Commands stay thin: they parse flags, call lang, planner, providers or the
// runtime client, and render what comes back.
package command
