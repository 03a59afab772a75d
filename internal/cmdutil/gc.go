package cmdutil

import (
	"os"
	"runtime/debug"
)

// BatchGCPercent is the garbage collector's target (GOGC) while a command
// loads and plans a configuration, unless the GOGC environment variable
// sets one. Loading 1,000 journeys makes a few hundred megabytes of
// short-lived syntax trees and values in a second: at Go's 100% the
// collector ran through much of it, for about a quarter of the command's
// CPU (docs/plan.md, Performance).
const BatchGCPercent = 400

// BatchGC sets the collector's target to BatchGCPercent unless GOGC is
// set, and returns the function that restores the previous target.
func BatchGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(BatchGCPercent)
	return func() { debug.SetGCPercent(prev) }
}
