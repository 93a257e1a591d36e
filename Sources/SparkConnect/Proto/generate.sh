#!/usr/bin/env bash
# Regenerates Generated/spark_connect.pb.swift from spark_connect.proto: run it after changing
# the proto, and commit both (builds never run protoc). Needs Debian's protobuf-compiler and
# swift-protobuf's protoc-gen-swift, which it builds from the package's copy if PROTOC_GEN_SWIFT
# does not name one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
plugin=${PROTOC_GEN_SWIFT:-}
if [ -z "$plugin" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  version=1.39.0
  git clone -q --depth 1 --branch "$version" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
  swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift >/dev/null
  plugin="$work/swift-protobuf/.build/release/protoc-gen-swift"
fi
# The proto's path under -I sets the generated file's name and the messages' package.
rm -rf "$here/.out" && mkdir -p "$here/.out/spark/connect"
cp "$here/spark_connect.proto" "$here/.out/spark/connect/"
protoc --plugin=protoc-gen-swift="$plugin" --swift_out="$here/.out" --swift_opt=Visibility=Public \
  -I "$here/.out" "$here/.out/spark/connect/spark_connect.proto"
mv "$here/.out/spark/connect/spark_connect.pb.swift" "$here/../Generated/spark_connect.pb.swift"
rm -rf "$here/.out"
echo "wrote Generated/spark_connect.pb.swift"
