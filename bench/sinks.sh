#!/usr/bin/env bash
# make bench-sinks: what keeping results in a database costs, beside the memory sink.
#
# Q3 (count and sum per card number, 100k groups) in update mode over the same 2M events as
# bench/kernel.sh, in micro-batches of about a quarter of the file each, so every batch changes
# most of the 100k groups and each sink upserts about 100k rows per batch. Each sink runs with a
# checkpoint (its exactly-once mode: the batch log in the same transaction as the rows), the
# memory sink too, so the difference is the sink's own cost. PostgreSQL is a throwaway server on
# loopback (scripts/postgres.sh). The tables are checked against the memory sink's counts.
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=${CELLS:-.build/release/cells}
WORK=${BENCH_WORK:-$PWD/bench-work}
N=${BENCH_N:-2000000}
REPS=${BENCH_REPS:-3}
BATCHES=${BENCH_SINK_BATCHES:-4}
mkdir -p "$WORK"
DATA="$WORK/tx_${N}.jsonl"
export TZ=UTC

[ -s "$DATA" ] || "$CELLS" produce --schema extended --rate max --count "$N" --seed 42 -o "$DATA" --quiet
cat "$DATA" > /dev/null

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/sink_err.log" || { cat "$WORK/sink_err.log" >&2; exit 1; }; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'; }

PG_URL=$(PG_DIR="$WORK/postgres" scripts/postgres.sh start)
trap 'PG_DIR="$WORK/postgres" scripts/postgres.sh stop' EXIT

SIZE=$(stat -c %s "$DATA")
PER=$(( SIZE / BATCHES + 4096 ))
notebook() {  # sink-clause -> notebook file
  local file="$WORK/q3_sink_$2.cells"
  sed -e "s|('path' = '\${BENCH_DATA}')|('path' = '\${BENCH_DATA}', 'maxOffsetsPerTrigger' = '$PER')|" bench/queries/schema.sql > "$file"
  cat >> "$file" <<EOF
CREATE VIEW q3 AS SELECT card_number, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_number;
START q3 OUTPUT MODE update TRIGGER AVAILABLE NOW USING $1;
EOF
  echo "$file"
}
MEMORY=$(notebook "memory OPTIONS ('checkpointLocation' = '\${BENCH_CHECKPOINT}')" memory)
SQLITE=$(notebook "sqlite OPTIONS ('path' = '\${BENCH_DB}', 'dbtable' = 'q3', 'checkpointLocation' = '\${BENCH_CHECKPOINT}')" sqlite)
POSTGRES=$(notebook "postgres OPTIONS ('url' = '$PG_URL', 'dbtable' = 'q3', 'checkpointLocation' = '\${BENCH_CHECKPOINT}')" postgres)

m=() s=() p=()
for _ in $(seq "$REPS"); do
  # Alternated, so that all three see the same machine.
  rm -rf "$WORK/chk_sink"
  m+=("$(BENCH_DATA="$DATA" BENCH_CHECKPOINT="$WORK/chk_sink" seconds "$CELLS" run "$MEMORY" --all)")
  rm -rf "$WORK/chk_sink" "$WORK/q3.db"
  s+=("$(BENCH_DATA="$DATA" BENCH_CHECKPOINT="$WORK/chk_sink" BENCH_DB="$WORK/q3.db" seconds "$CELLS" run "$SQLITE" --all)")
  rm -rf "$WORK/chk_sink"
  psql -q "$PG_URL" -c "DROP TABLE IF EXISTS q3; DROP TABLE IF EXISTS _cells_batches" >/dev/null 2>&1
  p+=("$(BENCH_DATA="$DATA" BENCH_CHECKPOINT="$WORK/chk_sink" seconds "$CELLS" run "$POSTGRES" --all)")
done
batches=$(( $(ls "$WORK/chk_sink/commits" | sort -n | tail -1) + 1 ))

# The tables hold every group once, with the events' total count.
expected=$(wc -l < "$DATA")
read -r s_groups s_events < <(sqlite3 -separator ' ' "$WORK/q3.db" "SELECT count(*), sum(n) FROM q3")
read -r p_groups p_events < <(psql -At -F ' ' "$PG_URL" -c "SELECT count(*), sum(n) FROM q3")
[ "$s_events" = "$expected" ] && [ "$p_events" = "$expected" ] && [ "$s_groups" = "$p_groups" ] \
  || { echo "FAIL: sqlite holds $s_groups groups/$s_events events, postgres $p_groups/$p_events, of $expected events"; exit 1; }

mm=$(printf '%s\n' "${m[@]}" | median); sm=$(printf '%s\n' "${s[@]}" | median); pm=$(printf '%s\n' "${p[@]}" | median)
echo "== Sinks: Q3 update mode, $s_groups groups, $batches batches, checkpointed, $REPS runs, medians =="
awk -v m="$mm" -v s="$sm" -v p="$pm" -v b="$batches" -v g="$s_groups" 'BEGIN {
  printf "%-10s %9s %14s %16s\n", "sink", "time", "vs memory", "~upserts/s"
  printf "%-10s %8.2fs %14s %16s\n", "memory", m, "1.00x", "-"
  printf "%-10s %8.2fs %13.2fx %16.0f\n", "sqlite", s, s / m, (s > m ? b * g / (s - m) : 0)
  printf "%-10s %8.2fs %13.2fx %16.0f\n", "postgres", p, p / m, (p > m ? b * g / (p - m) : 0)
  print "(vs memory: the whole run'\''s time over the memory sink'\''s; ~upserts/s: about every group per batch, over the time the sink added)" }'
