#!/bin/sh
# Builds the libFuzzer entry points (SQL parser, JSON decoder) against CellKernel compiled with
# libFuzzer's coverage instrumentation, in a build folder of their own, and runs each for
# FUZZ_SECONDS (default 60). Not part of `swift build`: libFuzzer brings its own main().
set -eu
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SWIFTC=${SWIFTC:-swiftc}
BUILD=.build/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}
$SWIFT build -c release --build-path "$BUILD" --target CellKernel \
  -Xswiftc -sanitize=fuzzer -Xswiftc -enable-testing
OUT="$BUILD/release"
objects=$(find "$OUT/CellKernel.build" "$OUT/KafkaBridge.build" "$OUT/Logging.build" -name '*.o' | sort)
for name in SQLParserFuzz JSONDecoderFuzz; do
  $SWIFTC -O -sanitize=fuzzer -parse-as-library -I "$OUT/Modules" -I Sources/CRdKafka \
    Fuzz/$name.swift $objects $(pkg-config --libs rdkafka) -o "$BUILD/$name"
done
for name in SQLParserFuzz JSONDecoderFuzz; do
  corpus="$BUILD/corpus-$name"
  mkdir -p "$corpus"
  echo "== $name for ${SECONDS_EACH}s (corpus $corpus)"
  "$BUILD/$name" -artifact_prefix="$BUILD/" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 "$corpus" Fuzz/seeds notebooks
done
