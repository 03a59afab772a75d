// Package fmtcmd implements waymark fmt: it finds the native-syntax files
// that its arguments name (*.wm.hcl, *.wmvars, *.wmtest.hcl), rewrites them
// in canonical layout, and can instead list, diff or check them.
//
// The layout itself is lang/format's; this package knows about files,
// flags and output, not about HCL.
package fmtcmd
