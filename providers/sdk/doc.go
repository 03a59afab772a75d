// Package sdk lets a platform engineer write a Waymark channel provider in
// one small file: declare the schema as a provschema.Schema value,
// implement Deliver, and call Serve from main.
//
//	func main() {
//		sdk.Serve(sdk.Provider{
//			Schema:  provschema.Schema{Provider: "acme/slack", Version: "1.0.0", Delivers: true, ...},
//			Deliver: deliver,
//		})
//	}
//
// Serve hides gRPC and go-plugin: it speaks the handshake, serves the
// protocol in providers/proto, converts values to and from cty, and exits
// when the process that started it is gone. Package sdktest runs a provider
// in tests, in-process and as a real plugin process.
//
// It must not know about the CLI, the runtime or how a host finds and runs
// providers.
package sdk
