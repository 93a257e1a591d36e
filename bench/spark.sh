#!/usr/bin/env bash
# Time to the first table on Apache Spark (through Spark Connect) beside the local engine's:
# notebooks/work.cells over the same N seeded transactions in a file (Spark's Kafka connector
# is not installable here, so both engines read the file source), `cells run --all --trigger
# once`, from the process starting to its exit after the first table. Median of REPS runs each,
# on a local Spark Connect server (local[2]) started for the run and already warm (one run is
# thrown away first), so what is timed is cells' session set-up, the definitions and the first
# micro-batch, not the JVM's start.
# Uses a build of cells with the SparkConnect trait (CELLS_SPARK overrides it).
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=${CELLS_SPARK:-.build-spark/release/cells}
WORK=${BENCH_WORK:-$PWD/bench-work}
N=${BENCH_SPARK_N:-20000}
REPS=${BENCH_SPARK_REPS:-3}
mkdir -p "$WORK/spark-input"
export TZ=UTC

[ -x "$CELLS" ] || { echo "no $CELLS: build it first (swift build -c release --static-swift-stdlib --traits SparkConnect --scratch-path .build-spark)"; exit 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

scripts/spark-connect.sh install >/dev/null
address=$(scripts/spark-connect.sh start)
trap 'scripts/spark-connect.sh stop' EXIT

rm -f "$WORK/spark-input/"*
"$CELLS" produce --seed 7 --count "$N" --rate max -o "$WORK/spark-input/part-0.jsonl" --quiet >/dev/null
# work.cells as written, but for its source: the same records from the file.
python3 - "$WORK/spark-input" > "$WORK/work-files.cells" <<'PY'
import re, sys
text = open("notebooks/work.cells").read()
text = re.sub(r"CREATE SOURCE (\w+) USING kafka OPTIONS \(.*?\);",
              lambda m: f"CREATE SOURCE {m.group(1)} USING file OPTIONS ('path' = '{sys.argv[1]}');", text, flags=re.S)
print(text)
PY

first_table() {  # engine
  local start end
  start=$(date +%s.%N)
  "$CELLS" run "$WORK/work-files.cells" --all --trigger once --engine "$1" > "$WORK/spark-run.out" 2>&1 \
    || { echo "FAIL: cells --engine $1 (see $WORK/spark-run.out)" >&2; cat "$WORK/spark-run.out" >&2; exit 1; }
  end=$(date +%s.%N)
  grep -q "Batch: 0" "$WORK/spark-run.out" || { echo "FAIL: no table from --engine $1" >&2; exit 1; }
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

echo "== Time to the first table on Spark Connect: work.cells over $N transactions in a file, $REPS runs =="
first_table "$address" >/dev/null  # warm the server's JVM
spark=$(for _ in $(seq "$REPS"); do first_table "$address"; done | median)
local=$(for _ in $(seq "$REPS"); do first_table local; done | median)
awk -v s="$spark" -v l="$local" -v v="${SPARK_VERSION:-4.0.1}" 'BEGIN {
  printf "local engine: %.3f s · Spark Connect (%s, local[2], warm): %.3f s · Spark takes %.1fx the local time\n", l, v, s, s / l }'
