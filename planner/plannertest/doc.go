// Package plannertest provides what tests of plan and apply need: loading a
// configuration from file texts with the built-in providers, and Runtime, an
// in-memory planner.Runtime that behaves as the runtime's deployments API
// does (withheld sensitive values, serials, stale refusals, impact counts).
//
// It is for tests only. The real runtime, over HTTP, replaces it in the CLI.
package plannertest
