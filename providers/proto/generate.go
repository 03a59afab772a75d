// Package proto holds the channel provider protocol: the protobuf service
// in waymark_provider_v1.proto and, in providerv1, the Go code generated
// from it with pinned generators (gen.sh). The generated code is committed,
// so that building and testing never need protoc.
//
// It must not know about go-plugin, the SDK or the host; they are built on
// it.
package proto

//go:generate ./gen.sh
