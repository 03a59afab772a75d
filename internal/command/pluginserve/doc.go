// Package pluginserve implements the hidden command with which the waymark
// binary, re-executed by the provider host, serves one of its built-in
// providers: waymark __provider NAME.
//
// It must not know what the providers do; it only serves them.
package pluginserve
