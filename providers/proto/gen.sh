#!/usr/bin/env bash
# Regenerates providerv1/ from waymark_provider_v1.proto with pinned code
# generators. Run through `make generate` (go generate), or directly.
#
# Needs protoc (libprotoc 3.21 or newer) on PATH; the Go generators are
# installed by this script at the versions below into a temporary GOBIN.
# To get protoc: on Debian or Ubuntu `apt-get install -y protobuf-compiler`,
# on macOS `brew install protobuf`, or a release from
# https://github.com/protocolbuffers/protobuf/releases.
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12      # matches google.golang.org/protobuf in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.1

cd "$(dirname "$0")"

if ! command -v protoc >/dev/null 2>&1; then
	printf '%s\n' >&2 \
		"gen.sh: protoc is not installed, and it is needed to regenerate the provider" \
		"protocol's Go code (providers/proto/providerv1). Install it and run again:" \
		"  Debian/Ubuntu:  apt-get install -y protobuf-compiler" \
		"  macOS:          brew install protobuf" \
		"  otherwise:      https://github.com/protocolbuffers/protobuf/releases" \
		"The generated code is committed, so building and testing do not need protoc."
	exit 1
fi

gobin=$(mktemp -d)
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOC_GEN_GO_VERSION}"
GOBIN="$gobin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"

protoc \
	--plugin=protoc-gen-go="$gobin/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$gobin/protoc-gen-go-grpc" \
	--proto_path=. \
	--go_out=. --go_opt=module=github.com/waymarkhq/waymark/providers/proto \
	--go-grpc_out=. --go-grpc_opt=module=github.com/waymarkhq/waymark/providers/proto \
	waymark_provider_v1.proto
