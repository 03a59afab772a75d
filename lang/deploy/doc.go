// Package deploy defines the deployable form of a configuration: every
// object of one stack by address, as canonical, deterministic JSON, with
// runtime expressions and message templates as canonical source text.
//
// It is the contract between the CLI, which builds a Document from a loaded
// configuration, the planner, which diffs two Documents, and the runtime,
// which receives, re-validates and runs one. It imports nothing of Waymark's
// but the address types, so that planner and runtime can both import it
// without importing each other. It must not know how a Document is loaded,
// diffed or executed.
package deploy
