#!/usr/bin/env bash
# make bench-kafka: Q1 through Kafka, cells against kcat and (BENCH_PEERS=1) its Python peers.
#
# 1M extended messages (BENCH_KAFKA_N) are preloaded, keyed by card and lz4-compressed, into one
# embedded broker (`cells broker`, 64 partitions: the mock broker keeps ~5 MiB per partition).
# The reference result comes from a raw dump of the topic (../shared/anchors/kafka/reference.py,
# which also checks that the broker kept every message). Then the engines run round-robin, one
# whole process each, timed by /usr/bin/time (../shared/anchors/kafka/roundrobin.py, the runner
# the anchors' figures come from, so the peers run with the same settings):
#   cells      `cells run` of the anchors' q1_kafka.cells (CREATE SOURCE ... USING kafka, AVAILABLE NOW)
#   kcat       `kcat -C -e` consuming the topic raw: no parsing, the floor of a librdkafka consumer
#   confluent  confluent-kafka + orjson loop                         } BENCH_PEERS=1: venvs with the
#   pathway    Pathway, pw.io.kafka.read static + groupby            } anchors' pinned versions (run.sh
#   quix       Quix Streams, no target (issue 15 names it beside Pathway) } SETUP_ONLY), ~10 min once
# Every engine's result is checked against the reference (counts equal, sums and averages within
# 1e-6 relative); a wrong one fails the script. Prints medians, each speed-up of cells next to
# its target from issue 15, CPU per message and cells' peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=${CELLS:-.build/release/cells}
ANCHORS=${ANCHORS:-../shared/anchors}
WORK=${BENCH_WORK:-$PWD/bench-work}
M=${BENCH_KAFKA_N:-1000000}
PARTITIONS=${BENCH_KAFKA_PARTITIONS:-64}
REPS=${BENCH_REPS:-3}
PEERS=${BENCH_KAFKA_PEERS:-confluent,pathway,quix}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
[ -x "$CELLS" ] || { echo "no cells binary at $CELLS: build it (make bench-kafka does) or set CELLS" >&2; exit 2; }
CELLS=$(realpath "$CELLS")
KAFKA_ANCHORS=$(cd "$ANCHORS/kafka" 2>/dev/null && pwd) || { echo "no anchors at $ANCHORS/kafka: set ANCHORS" >&2; exit 2; }
for tool in kcat python3 /usr/bin/time timeout; do command -v "$tool" >/dev/null || { echo "bench-kafka needs $tool" >&2; exit 2; }; done

ENGINES=cells,kcat
VENVS="$WORK/kafka-peers"
if [ "${BENCH_PEERS:-0}" = 1 ]; then
  ENGINES="$ENGINES,$PEERS"
  # run.sh makes (or reuses) the venvs with the versions the anchors were measured with.
  CELLS="$CELLS" SETUP_ONLY=1 ENGINES="$PEERS" BIG_ENGINES="$PEERS" timeout 3600 "$KAFKA_ANCHORS/run.sh" "$VENVS"
fi

OUT="$WORK/kafka"
mkdir -p "$OUT"
rm -f "$OUT/bootstrap" "$OUT/runs-bench.jsonl"
timeout 7200 "$CELLS" broker --topic "tx:$PARTITIONS" --bootstrap-file "$OUT/bootstrap" >/dev/null 2>"$OUT/broker.log" &
BROKER=$!
trap 'kill -TERM $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -s "$OUT/bootstrap" ] && break; sleep 0.1; done
[ -s "$OUT/bootstrap" ] || { echo "FAIL: the broker did not start in 30 s (see $OUT/broker.log)" >&2; exit 3; }
BOOTSTRAP=$(head -1 "$OUT/bootstrap")
BROKER_PID=$(pgrep -P "$BROKER" | head -1 || true)   # the broker itself, under `timeout`

timeout 900 "$CELLS" produce -b "$BOOTSTRAP" -t tx --schema extended --rate max --count "$M" --seed 42 \
  -X compression.codec=lz4 --quiet 2>/dev/null
# reference.py fails unless the dump holds all M messages.
timeout 900 kcat -C -b "$BOOTSTRAP" -t tx -o beginning -e -q | timeout 900 python3 "$KAFKA_ANCHORS/reference.py" "$M" "$OUT/reference.json" >/dev/null

echo "== Q1 through Kafka: $M messages on $PARTITIONS partitions, engines $ENGINES, $REPS round-robin rounds =="
status=0
runner=(timeout 7200 python3 "$KAFKA_ANCHORS/roundrobin.py" --bootstrap "$BOOTSTRAP" --n "$M" --reps "$REPS"
  --engines "$ENGINES" --work "$OUT" --venvs "$VENVS" --cells "$CELLS" --reference "$OUT/reference.json" --tag bench)
[ -n "$BROKER_PID" ] && runner+=(--broker-pid "$BROKER_PID")
"${runner[@]}" > "$OUT/roundrobin.log" 2>&1 || status=$?
grep '^\[' "$OUT/roundrobin.log" || { cat "$OUT/roundrobin.log"; exit 1; }

python3 - "$OUT/runs-bench.jsonl" "$M" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
n = int(sys.argv[2])
names = {"cells": "cells run (AVAILABLE NOW)", "kcat": "kcat -C -e raw (no parsing)",
         "confluent": "confluent-kafka + orjson", "pathway": "Pathway (1 thread)", "quix": "Quix Streams"}
targets = {"kcat": ">= 1.5x", "confluent": ">= 3x", "pathway": ">= 8x"}
med = {}
print(f"{'engine':30s} {'wall s':>7s} {'msg/s':>10s} {'CPU s':>6s} {'CPU us/msg':>10s} {'RSS MB':>7s}  result")
for e in dict.fromkeys(r["engine"] for r in runs):
    ok = [r for r in runs if r["engine"] == e and r["rc"] == 0]
    checks = ", ".join(sorted({r["check"] for r in runs if r["engine"] == e}))
    if not ok:
        print(f"{names.get(e, e):30s} {'-':>7s} {'-':>10s} {'-':>6s} {'-':>10s} {'-':>7s}  {checks}")
        continue
    wall = statistics.median(r["wall_s"] for r in ok)
    cpu = statistics.median(r["user_s"] + r["sys_s"] for r in ok)
    rss = statistics.median(r["rss_mb"] for r in ok)
    med[e] = (wall, cpu, rss)
    print(f"{names.get(e, e):30s} {wall:7.2f} {n / wall:10,.0f} {cpu:6.2f} {cpu / n * 1e6:10.2f} {rss:7.0f}  {checks}")
if "cells" in med:
    wall, cpu, rss = med["cells"]
    for e, (w, _, _) in med.items():
        if e != "cells":
            target = f"target {targets[e]}" if e in targets else "no target"
            print(f"speed-up of cells over {names.get(e, e)}: {w / wall:.2f}x ({target})")
    print(f"cells peak RSS through Kafka: {rss:.0f} MB (median; target: the consumer's queues bounded by a memory budget, not a message count)")
print("(medians of alternating runs, each a whole process; speed-ups are the peer's median wall time over cells')")
PY
[ "$status" -eq 0 ] || { echo "FAIL: a run failed or gave a wrong result (see $OUT/roundrobin.log and $OUT/out-bench/)"; exit 1; }
