// Package protocol is what both ends of the provider plugin protocol share:
// the go-plugin handshake and plugin set, the conversion of schemas,
// diagnostics and cty values to and from their protobuf form, and the JSON
// form of a reattach configuration.
//
// It must not know how a provider is implemented (the SDK) or how its
// process is run (the host).
package protocol
