// Package addrs defines the addresses of deployable objects
// (journey.cart_recovery.stage.checkout) as types, with parsing and String,
// so that plan output, moved blocks, the API and analytics all name objects
// the same way. It knows nothing of how the objects are configured.
package addrs
