#!/usr/bin/env bash
# Regenerates Sources/Wire from Protocols/fedstat/v1/*.proto.
#
# protoc comes from Debian's protobuf-compiler; the two plugins are built from the
# package's own dependencies (swift-protobuf's protoc-gen-swift and
# grpc-swift-protobuf's protoc-gen-grpc-swift-2), so the generated code always matches
# the runtime versions in Package.swift. The output is committed; CI does not run this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq protobuf-compiler
fi

swift build --product protoc-gen-swift
swift build --product protoc-gen-grpc-swift-2
bin="$(swift build --show-bin-path)"

out=Sources/Wire
rm -f "$out"/*.pb.swift "$out"/*.grpc.swift
protoc \
  --proto_path=Protocols \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
  --swift_out="$out" \
  --swift_opt=Visibility=Public \
  --swift_opt=FileNaming=DropPath \
  --grpc-swift-2_out="$out" \
  --grpc-swift-2_opt=Visibility=Public \
  --grpc-swift-2_opt=FileNaming=DropPath \
  Protocols/fedstat/v1/*.proto

echo "generate-protos: wrote $(ls "$out"/*.swift | wc -l) files to $out"
