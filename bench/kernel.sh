#!/usr/bin/env bash
# make bench-kernel: cells' engine against the anchors, side by side in one run.
#
#   1. Q1-Q4 of ../shared/anchors/common.py over the same 2M-event JSON-lines file, JSON
#      parsing included: cells (whole process: start-up, file source, AVAILABLE NOW) against
#      DuckDB read_json (one connection, timing the query only, as the anchors' script does),
#      runs alternating, cells then DuckDB, repetition by repetition, so changing load hits
#      both alike. Target (issue 15): cells >= 2.0x DuckDB. Spark too with BENCH_SPARK=1
#      (installs pyspark, ~15 min; its anchor script runs its own repetitions afterwards).
#   2. Peak memory of Q3 (100k groups), from those runs. Target: <= 100 MB.
#   3. The cost of checkpointing Q3 (100k groups of state) in micro-batches.
#   4. A stream-static join with a 100k-row table (cards.csv) against DuckDB's same join.
#   5. Row functions on every event (substr, hour, round, trim, LIKE) against DuckDB's same query.
# Q1 through Kafka is bench/kafka.sh. Prints medians and ratios. Needs python3 with venv (PyPI)
# for DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=${CELLS:-.build/release/cells}
ANCHORS=${ANCHORS:-../shared/anchors}
WORK=${BENCH_WORK:-$PWD/bench-work}
N=${BENCH_N:-2000000}
REPS=${BENCH_REPS:-3}
[ -f "$ANCHORS/bench_duckdb.py" ] || { echo "no anchors at $ANCHORS: set ANCHORS" >&2; exit 2; }
mkdir -p "$WORK"
DATA="$WORK/tx_${N}.jsonl"
export TZ=UTC

[ -s "$DATA" ] || timeout 900 "$CELLS" produce --schema extended --rate max --count "$N" --seed 42 -o "$DATA" --quiet
cat "$DATA" > /dev/null   # warm the page cache: every engine reads it warm

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
seconds() { local t0 t1; t0=$(date +%s.%N); timeout 900 "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'; }

if [ ! -x "$WORK/venv/bin/python" ]; then
  timeout 120 python3 -m venv "$WORK/venv" && timeout 1200 "$WORK/venv/bin/pip" install -q duckdb orjson numpy
fi
PY="$WORK/venv/bin/python"
export ANCHORS ANCHOR_WORK="$WORK/anchors" ANCHOR_DATA="$DATA" ANCHOR_REPS="$REPS" ANCHOR_N="$N"

echo "== Q1-Q4 over $N events ($(du -m "$DATA" | cut -f1) MiB), $REPS runs each alternating cells and DuckDB, medians =="
# DuckDB as the anchors' bench_duckdb.py runs it (its view and columns, common.py's SQL and
# timer, one connection for all queries), but answering one query per line it reads, so that
# its runs can alternate with cells' processes.
coproc DUCK { exec timeout 3600 "$PY" -u -c '
import os, sys
sys.path.insert(0, os.environ["ANCHORS"])
import duckdb
from bench_duckdb import COLS
from common import DATA, DUCK_SQL, timeit
con = duckdb.connect()
con.sql(f"CREATE VIEW tx AS SELECT * FROM read_json({DATA!r}, format=\"newline_delimited\", columns={COLS})")
print("ready", flush=True)
for line in sys.stdin:
    t, _ = timeit(lambda: con.sql(DUCK_SQL[line.strip()]).fetchall())
    print(f"{t:.4f}", flush=True)
' 2>"$WORK/duckdb.log"; }
# Bash forgets DUCK and DUCK_PID once the process ends: keep them.
duck_pid=$DUCK_PID duck_out=${DUCK[0]} duck_in=${DUCK[1]}
trap 'kill $duck_pid 2>/dev/null || true' EXIT
read -r ready <&"$duck_out" && [ "$ready" = ready ] || { echo "FAIL: DuckDB did not start (see $WORK/duckdb.log)" >&2; exit 1; }
RUNS="$WORK/kernel-runs.txt"   # query engine wall_s [cpu_s rss_kb]
: > "$RUNS"
for q in Q1 Q2 Q3 Q4; do
  lower=$(echo "$q" | tr 'Q' 'q')
  cat bench/queries/schema.sql "bench/queries/$lower.cells" > "$WORK/$lower.cells"
  for _ in $(seq "$REPS"); do
    t0=$(date +%s.%N)
    BENCH_DATA="$DATA" timeout 900 /usr/bin/time -f '%U %S %M' -o "$WORK/cells.time" \
      "$CELLS" run "$WORK/$lower.cells" --all >/dev/null 2>"$WORK/cells.err" \
      || { echo "FAIL: cells run $lower.cells: $(tail -3 "$WORK/cells.err")" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v q="$q" -v a="$t0" -v b="$t1" '{ printf "%s cells %.3f %.2f %d\n", q, b - a, $1 + $2, $3 }' "$WORK/cells.time" >> "$RUNS"
    echo "$q" >&"$duck_in"
    read -r t <&"$duck_out" || { echo "FAIL: DuckDB stopped (see $WORK/duckdb.log)" >&2; exit 1; }
    echo "$q duckdb $t" >> "$RUNS"
  done
done
exec {duck_in}>&-   # DuckDB reads its end of input and exits
wait "$duck_pid" 2>/dev/null || true
trap - EXIT
of() { awk -v q="$1" -v e="$2" -v f="$3" '$1 == q && $2 == e { print $f }' "$RUNS" | median; }  # query engine field -> median

if [ "${BENCH_SPARK:-0}" = 1 ]; then
  rm -f "$ANCHOR_WORK/results/timings.jsonl"
  timeout 1800 "$WORK/venv/bin/pip" install -q pyspark
  SPARK_SHUFFLE_PARTITIONS=2 timeout 3600 "$PY" "$ANCHORS/bench_spark_batch.py" > "$WORK/spark.log" 2>&1
fi
spark() {  # query -> median seconds of the Spark anchor's runs, if any
  [ "${BENCH_SPARK:-0}" = 1 ] || return 0
  "$PY" -c "import json,sys; rows=[json.loads(l) for l in open('$ANCHOR_WORK/results/timings.jsonl')]; \
m=[r['median_s'] for r in rows if r['engine'].startswith('spark') and r['query']=='$1']; print(m[-1] if m else '')"
}
printf '%-4s %10s %10s %10s %12s %10s %12s\n' query cells "cells CPU" duckdb cells/duckdb spark cells/spark
for q in Q1 Q2 Q3 Q4; do
  c=$(of "$q" cells 3); cpu=$(of "$q" cells 4); d=$(of "$q" duckdb 3); s=$(spark "$q")
  awk -v q="$q" -v c="$c" -v cpu="$cpu" -v d="$d" -v s="$s" 'BEGIN {
    printf "%-4s %9.2fs %9.2fs %9.2fs %11.2fx %10s %12s   (target >= 2.0x DuckDB)\n", q, c, cpu, d, d / c,
      (s == "" ? "-" : sprintf("%.2fs", s)), (s == "" ? "-" : sprintf("%.2fx", s / c)) }'
done
echo "(ratios are speed-ups of cells: above 1 means cells was faster; cells is timed as a whole process, the anchors per query)"

echo
echo "== Memory: Q3 (100k groups) peak RSS =="
awk '$1 == "Q3" && $2 == "cells" { print $5 }' "$RUNS" | sort -n | awk -v reps="$REPS" '{ v[NR] = $1 } END {
  printf "cells Q3 peak RSS: %.0f MB median, %.0f MB at most, of %d runs (target <= 100 MB)\n", v[int((NR + 1) / 2)] / 1024, v[NR] / 1024, reps }'

echo
echo "== Checkpoint cost: Q3 (100k groups) in micro-batches, plain and with a checkpointLocation =="
# Two batches of about half the file each (BENCH_CHECKPOINT_BATCHES to change): a checkpoint
# (offsets, the state of up to 100k groups, commit, each fsynced) every ~0.4 s of work, more
# often than a 1-second trigger asks for.
SIZE=$(stat -c %s "$DATA")
PER=$(( SIZE / ${BENCH_CHECKPOINT_BATCHES:-2} + 4096 ))
sed -e "s|('path' = '\${BENCH_DATA}')|('path' = '\${BENCH_DATA}', 'maxOffsetsPerTrigger' = '$PER')|" bench/queries/schema.sql > "$WORK/q3_batches.cells"
cat bench/queries/q3.cells >> "$WORK/q3_batches.cells"
sed -e "s|START q3 OUTPUT MODE complete TRIGGER AVAILABLE NOW;|START q3 OUTPUT MODE complete TRIGGER AVAILABLE NOW USING memory OPTIONS ('checkpointLocation' = '\${BENCH_CHECKPOINT}');|" \
  "$WORK/q3_batches.cells" > "$WORK/q3_checkpointed.cells"
sed -i -e "s|START q3 OUTPUT MODE complete TRIGGER AVAILABLE NOW;|START q3 OUTPUT MODE complete TRIGGER AVAILABLE NOW USING memory;|" "$WORK/q3_batches.cells"
plain=() checked=()
for i in $(seq "$REPS"); do
  # Alternated, so that both see the same machine.
  plain+=("$(BENCH_DATA="$DATA" seconds "$CELLS" run "$WORK/q3_batches.cells" --all)")
  rm -rf "$WORK/chk_q3"
  checked+=("$(BENCH_DATA="$DATA" BENCH_CHECKPOINT="$WORK/chk_q3" seconds "$CELLS" run "$WORK/q3_checkpointed.cells" --all)")
done
p=$(printf '%s\n' "${plain[@]}" | median); c=$(printf '%s\n' "${checked[@]}" | median)
batches=$(( $(ls "$WORK/chk_q3/commits" | sort -n | tail -1) + 1 ))
awk -v p="$p" -v c="$c" -v b="$batches" 'BEGIN {
  printf "Q3 in %d batches, plain:        %6.2fs\nQ3 in %d batches, checkpointed: %6.2fs\ncheckpoint cost: %.1f%% of throughput (target <= 10%%)\n", b, p, b, c, (1 - p / c) * 100 }'

echo
echo "== Stream-static join: the 2M events joined with a 100k-row table of cards, per segment =="
# The table: the data's first 100k distinct card numbers, each with one of 50 segments
# (written by DuckDB once; both engines read the same CSV, inside the timed query).
CARDS="$WORK/cards_${N}.csv"
[ -s "$CARDS" ] || timeout 900 "$PY" - "$DATA" "$CARDS" <<'PY'
import duckdb, sys
data, out = sys.argv[1], sys.argv[2]
duckdb.sql(f"""COPY (SELECT card_number, 'segment_' || (abs(hash(card_number)) % 50) AS segment
  FROM (SELECT DISTINCT card_number FROM read_json('{data}', format='newline_delimited', columns={{'card_number': 'VARCHAR'}}))
  ORDER BY card_number LIMIT 100000) TO '{out}' (HEADER)""")
PY
cat bench/queries/schema.sql bench/queries/join.cells > "$WORK/join.cells"
c=$(for _ in $(seq "$REPS"); do rm -rf "$WORK/join_out"; BENCH_DATA="$DATA" BENCH_CARDS="$CARDS" BENCH_OUT="$WORK/join_out" seconds "$CELLS" run "$WORK/join.cells" --all; done | median)
d=$(timeout 900 "$PY" - "$DATA" "$CARDS" "$REPS" "$WORK/join_duckdb.json" <<'PY'
import duckdb, json, statistics, sys, time
data, cards, reps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
con = duckdb.connect()
sql = f"""SELECT c.segment, count(*) AS n, sum(t.amount) AS total
  FROM read_json('{data}', format='newline_delimited', columns={{'card_number': 'VARCHAR', 'amount': 'DOUBLE'}}) t
  JOIN read_csv('{cards}', header=true, columns={{'card_number': 'VARCHAR', 'segment': 'VARCHAR'}}) c ON t.card_number = c.card_number GROUP BY c.segment"""
times = []
for _ in range(reps):
    t0 = time.perf_counter(); rows = con.sql(sql).fetchall(); times.append(time.perf_counter() - t0)
json.dump({r[0]: [r[1], r[2]] for r in rows}, open(out, "w"))
print(f"{statistics.median(times):.3f}")
PY
)
# Same table from both: counts equal, totals within rounding of the summation order.
timeout 300 "$PY" - "$WORK/join_out" "$WORK/join_duckdb.json" <<'PY'
import glob, json, sys
cells = {}
# Complete mode writes the whole table each batch: the last batch's file holds it.
for f in sorted(glob.glob(sys.argv[1] + "/part-*"), key=lambda f: int("".join(c for c in f.rsplit("/", 1)[1] if c.isdigit()) or 0))[-1:]:
    for line in open(f):
        r = json.loads(line); cells[r["segment"]] = [r["n"], r["total"]]
duck = json.load(open(sys.argv[2]))
bad = [k for k in duck if k not in cells or cells[k][0] != duck[k][0] or abs(cells[k][1] - duck[k][1]) > 1e-6 * abs(duck[k][1])]
if bad or len(cells) != len(duck):
    sys.exit(f"FAIL: the join's results differ from DuckDB's ({len(cells)} vs {len(duck)} segments; e.g. {bad[:3]})")
print(f"same results as DuckDB ({len(duck)} segments, {sum(v[0] for v in duck.values())} joined rows)")
PY
awk -v c="$c" -v d="$d" 'BEGIN {
  printf "cells join: %6.2fs\nduckdb join: %6.2fs\nratio duckdb/cells: %.2fx (target >= 1.0x; cells timed as a whole process)\n", c, d, d / c }'

echo
echo "== Row functions on every event: substr, hour, round, trim and LIKE, grouped by prefix and hour =="
cat bench/queries/schema.sql bench/queries/functions.cells > "$WORK/functions.cells"
c=$(for _ in $(seq "$REPS"); do rm -rf "$WORK/functions_out"; BENCH_DATA="$DATA" BENCH_OUT="$WORK/functions_out" seconds "$CELLS" run "$WORK/functions.cells" --all; done | median)
# Amounts have two decimals, so round(amount, 0) has its ties at .50, exact in binary: DuckDB's
# rounding of the double and Spark's of its decimal text agree there.
d=$(timeout 900 "$PY" - "$DATA" "$REPS" "$WORK/functions_duckdb.json" <<'PY'
import duckdb, json, statistics, sys, time
data, reps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
con = duckdb.connect()
sql = f"""SELECT substr(card_number, 1, 2) AS prefix, hour(event_time) AS h, count(*) AS n, sum(round(amount, 0)) AS whole,
  sum(CASE WHEN trim(merchant) LIKE 'Mercado%' THEN 1 ELSE 0 END) AS mercado
  FROM read_json('{data}', format='newline_delimited',
    columns={{'card_number': 'VARCHAR', 'event_time': 'TIMESTAMP', 'amount': 'DOUBLE', 'merchant': 'VARCHAR'}}) GROUP BY 1, 2"""
times = []
for _ in range(reps):
    t0 = time.perf_counter(); rows = con.sql(sql).fetchall(); times.append(time.perf_counter() - t0)
json.dump({f"{r[0]} {r[1]}": [r[2], r[3], r[4]] for r in rows}, open(out, "w"))
print(f"{statistics.median(times):.3f}")
PY
)
timeout 300 "$PY" - "$WORK/functions_out" "$WORK/functions_duckdb.json" <<'PY'
import glob, json, sys
cells = {}
for f in sorted(glob.glob(sys.argv[1] + "/part-*"), key=lambda f: int("".join(c for c in f.rsplit("/", 1)[1] if c.isdigit()) or 0))[-1:]:
    for line in open(f):
        r = json.loads(line); cells[f"{r['prefix']} {r['h']}"] = [r["n"], r["whole"], r["mercado"]]
duck = json.load(open(sys.argv[2]))
bad = [k for k in duck if cells.get(k) != duck[k]]
if bad or len(cells) != len(duck):
    sys.exit(f"FAIL: the row functions' results differ from DuckDB's ({len(cells)} vs {len(duck)} groups; e.g. {[(k, cells.get(k), duck[k]) for k in bad[:3]]})")
print(f"same results as DuckDB ({len(duck)} groups, {sum(v[0] for v in duck.values())} events)")
PY
awk -v c="$c" -v d="$d" 'BEGIN {
  printf "cells functions: %6.2fs\nduckdb functions: %6.2fs\nratio duckdb/cells: %.2fx (cells timed as a whole process)\n", c, d, d / c }'
