// Package version holds the version of the waymark binary, set at build time
// with -ldflags "-X github.com/waymarkhq/waymark/internal/version.Version=…".
package version

// Version is the CLI's version. Built-in providers carry it too.
var Version = "0.1.0"
