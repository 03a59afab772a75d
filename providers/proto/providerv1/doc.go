// Package providerv1 is the Go code generated from
// ../waymark_provider_v1.proto by ../gen.sh; do not edit the .pb.go files.
//
// It must not know about anything but the protocol: the SDK and the host
// build on it.
package providerv1
