#!/usr/bin/env bash
# make bench-instructions: instructions per message for decode + aggregate, counted by callgrind.
#
# Wall time on this shared 2-core machine swings by tens of percent from run to run; the count
# of instructions executed barely moves (a few in a million), so a regression shows here first.
# `cells run qN.cells --all` runs under `valgrind --tool=callgrind` over two JSON-lines files of
# the same generated data (BENCH_INSTR_SMALL and BENCH_INSTR_BIG lines, the small one a prefix
# of the big one), and
#     (Ir(big) - Ir(small)) / (big - small)
# is the instructions per message: start-up, planning and printing cancel out. Every thread
# counts (callgrind runs them one at a time), so the decoding lanes' work is all in it. One
# figure per query, no median: counts repeat. Q1 groups into 5 brands; Q3 into card numbers
# (about 16k groups at 20k lines, 57k at 120k), so it includes inserting new groups.
# Then Q1 through Kafka the same way (an embedded broker, the same messages lz4-compressed).
# The callgrind files stay in bench-work/instructions/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=${CELLS:-.build/release/cells}
WORK=${BENCH_WORK:-$PWD/bench-work}/instructions
SMALL=${BENCH_INSTR_SMALL:-20000}
BIG=${BENCH_INSTR_BIG:-120000}
QUERIES=${BENCH_INSTR_QUERIES:-q1 q3}
mkdir -p "$WORK"
export TZ=UTC
command -v valgrind >/dev/null || { echo "bench-instructions needs valgrind (make bench-setup installs it)" >&2; exit 2; }
[ "$BIG" -gt "$SMALL" ] || { echo "BENCH_INSTR_BIG ($BIG) must be larger than BENCH_INSTR_SMALL ($SMALL)" >&2; exit 2; }

# The same generator and seed, so the small file is the big one's first SMALL lines.
for n in "$SMALL" "$BIG"; do
  [ -s "$WORK/tx_$n.jsonl" ] || timeout 300 "$CELLS" produce --schema extended --rate max --count "$n" --seed 42 \
    -o "$WORK/tx_$n.jsonl" --quiet
done

# Instructions executed by one callgrind run of notebook $2 over $3 messages (all threads),
# named $1 for its files, with the environment $4...; checks that the run read every message.
instructions() {
  local name=$1 notebook=$2 n=$3 base="$WORK/$1.$3" rows
  shift 3
  env "$@" timeout 1800 valgrind --tool=callgrind --log-file="$base.valgrind" \
    --callgrind-out-file="$base.callgrind" "$CELLS" run "$notebook" --all > "$base.out" 2>&1
  rows=$(sed -n 's/^batch [0-9]*: \([0-9]*\) rows.*/\1/p' "$base.out" | awk '{ s += $1 } END { print s + 0 }')
  [ "$rows" -eq "$n" ] || { echo "FAIL: $name over $n messages read $rows rows (see $base.out)" >&2; return 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$base.valgrind"
}
per_message() {  # label Ir(small) Ir(big)
  awk -v what="$1" -v s="$2" -v b="$3" -v ns="$SMALL" -v nb="$BIG" 'BEGIN {
    per = (b - s) / (nb - ns)
    printf "%-38s %7.0f instructions per message (start-up and the rest: %.0fM)\n", what ":", per, (s - per * ns) / 1e6 }'
}

echo "== Instructions per message (callgrind Ir, all threads; (Ir($BIG messages) - Ir($SMALL)) / $((BIG - SMALL))) =="
for q in $QUERIES; do
  cat bench/queries/schema.sql "bench/queries/$q.cells" > "$WORK/$q.cells"
  small=$(instructions "$q" "$WORK/$q.cells" "$SMALL" BENCH_DATA="$WORK/tx_$SMALL.jsonl")
  big=$(instructions "$q" "$WORK/$q.cells" "$BIG" BENCH_DATA="$WORK/tx_$BIG.jsonl")
  per_message "$(echo "$q" | tr q Q) file, decode + aggregate" "$small" "$big"
done

# The same for Q1 through Kafka (BENCH_INSTR_KAFKA=0 skips it): librdkafka's fetching and lz4
# decompression are in it too, and its timers and polls make the count vary by ~0.2%.
if [ "${BENCH_INSTR_KAFKA:-1}" = 1 ]; then
  rm -f "$WORK/bootstrap"
  timeout 1800 "$CELLS" broker --topic "small:8" --topic "big:8" --bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.log" &
  BROKER=$!
  trap 'kill -TERM $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true' EXIT
  for _ in $(seq 300); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
  [ -s "$WORK/bootstrap" ] || { echo "FAIL: the broker did not start in 30 s (see $WORK/broker.log)" >&2; exit 3; }
  BOOTSTRAP=$(head -1 "$WORK/bootstrap")
  for t in small big; do
    n=$SMALL; [ "$t" = big ] && n=$BIG
    timeout 300 "$CELLS" produce -b "$BOOTSTRAP" -t "$t" --schema extended --rate max --count "$n" --seed 42 \
      -X compression.codec=lz4 --quiet 2>/dev/null
  done
  sed -e "s|USING file OPTIONS ('path' = '\${BENCH_DATA}')|USING kafka OPTIONS ('kafka.bootstrap.servers' = '$BOOTSTRAP', 'subscribe' = '\${KAFKA_TOPIC}', 'startingOffsets' = 'earliest')|" \
    bench/queries/schema.sql > "$WORK/q1_kafka.cells"
  cat bench/queries/q1.cells >> "$WORK/q1_kafka.cells"
  small=$(instructions q1_kafka "$WORK/q1_kafka.cells" "$SMALL" KAFKA_TOPIC=small)
  big=$(instructions q1_kafka "$WORK/q1_kafka.cells" "$BIG" KAFKA_TOPIC=big)
  per_message "Q1 through Kafka (lz4, 8 partitions)" "$small" "$big"
fi
echo "(no target figure: it tracks regressions; lower is better)"
