// Package sdktest runs a provider written with providers/sdk in tests,
// through the same host the CLI and the runtime use: in the test's own
// process over gRPC on a local socket (InProcess), or as a real plugin
// process, the test binary re-executed (Main and Process).
//
// It must not know about any one provider.
package sdktest
