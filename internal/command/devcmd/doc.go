// Package devcmd is waymark dev: an in-memory runtime on the event clock
// (internal/simulate) serving the real API on a local address, with the
// configuration directory planned and applied to it on every save.
package devcmd
