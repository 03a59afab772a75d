// Package browsertest holds the console's browser tests: a real runtime
// (server.Run over loopback HTTP, with tokens) fed by the demo generator,
// and Debian's headless Chromium driven through the DevTools protocol
// (chromedp). They live in a package of their own so that a machine
// without the browser fails these alone; `make test` installs it first
// (scripts/chromium.sh).
//
// go test ./internal/browsertest -args -screenshots DIR writes a PNG of
// each page the tests open into DIR.
package browsertest
