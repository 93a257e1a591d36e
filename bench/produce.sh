#!/usr/bin/env bash
# make bench-produce: `cells produce` against `kcat -P`, side by side in one run.
#
# The same N extended-schema transactions go to fresh topics of one embedded broker process
# with the same delivery settings (acks=all, idempotence, lz4). kcat reads the lines from a
# file made beforehand; cells generates them, JSON included, as it sends. Two pairings:
#   unkeyed: kcat's plain lines vs `cells produce --key none` (the original producer's way)
#   keyed:   kcat -K with card numbers as keys vs `cells produce` (its default, --key card)
# Runs alternate between the clients; every topic is checked to hold all N messages
# afterwards (the mock broker keeps ~5 MiB per partition, hence partitions and compression).
# Prints each run, the medians and the ratios against the target (issue 15): cells >= 1.2x
# kcat -P, keyed and unkeyed.
#
# cells sends with its own client (KafkaWire, --client auto picks it for these settings).
# With a C compiler at hand a third client runs too, librdkafka's ceiling:
# bench/produce_ceiling.c, librdkafka with nothing around it (the file's lines sent from its
# mapping, no copies, no JSON to make). Its ratio to kcat is the most any client of librdkafka
# with these settings can reach on this machine, which cells' own client is not bound by.
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=${CELLS:-.build/release/cells}
N=${BENCH_N:-1000000}
REPS=${BENCH_REPS:-3}
PARTITIONS=${BENCH_PARTITIONS:-128}
# Without a key librdkafka sticks to one random partition per batch: 1M messages filled only
# ~70 of 128 partitions, up to 42k messages in one, and a busy machine (larger batches) made
# one pass the mock broker's ~5 MiB and lose its oldest messages. Twice the partitions for those.
UNKEYED_PARTITIONS=${BENCH_UNKEYED_PARTITIONS:-$((2 * PARTITIONS))}
WORK=${BENCH_WORK:-bench-work}
SETTINGS=(-X acks=all -X enable.idempotence=true -X compression.codec=lz4)
CEILING_SETTINGS=(acks=all enable.idempotence=true compression.codec=lz4)
mkdir -p "$WORK"

CEILING=""
CC=$(command -v cc || command -v gcc || command -v clang || true)
if [ -n "$CC" ] && "$CC" -O2 -o "$WORK/produce_ceiling" bench/produce_ceiling.c $(pkg-config --cflags --libs rdkafka) 2>"$WORK/ceiling-build.log"; then
  CEILING="$WORK/produce_ceiling"
else
  echo "note: no ceiling client (no C compiler, or it failed: $WORK/ceiling-build.log)"
fi
CLIENTS=(kcat_unkeyed cells_unkeyed kcat_keyed cells_keyed)
[ -z "$CEILING" ] || CLIENTS+=(ceiling_unkeyed ceiling_keyed)

DATA="$WORK/tx_$N.jsonl"
KEYED="$WORK/tx_$N.keyed.tsv"
[ -s "$DATA" ] || timeout 900 "$CELLS" produce --schema extended --rate max --count "$N" --seed 42 --output "$DATA" --quiet
[ -s "$KEYED" ] || awk -F'"card_number":"' '{ split($2, k, "\""); print k[1] "\t" $0 }' "$DATA" > "$KEYED"

partitions() { case $1 in *unkeyed) echo "$UNKEYED_PARTITIONS" ;; *) echo "$PARTITIONS" ;; esac; }
topics=()
for r in $(seq "$REPS"); do
  for c in "${CLIENTS[@]}"; do
    topics+=(--topic "${c}_$r:$(partitions "$c")")
  done
done
rm -f "$WORK/bootstrap"
timeout 7200 "$CELLS" broker "${topics[@]}" --bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.log" &
BROKER=$!
trap 'kill -TERM $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true' EXIT
# Creating 12-30 topics of 128-256 partitions takes the mock broker several seconds, more when busy.
for _ in $(seq 300); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
[ -s "$WORK/bootstrap" ] || { echo "FAIL: the broker did not start in 30 s (see $WORK/broker.log)" >&2; exit 3; }
BOOTSTRAP=$(cat "$WORK/bootstrap")

# Runs a client, prints its line, appends "name rate" to $WORK/rates.
timed() {
  local name=$1 run=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N); timeout 900 "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v n="$N" -v c="$name" -v r="$run" \
    'BEGIN { printf "%-4s %-14s %8.2f s %10.0f msg/s\n", r, c, b - a, n / (b - a) }'
  awk -v a="$t0" -v b="$t1" -v n="$N" -v c="$name" 'BEGIN { printf "%s %.0f\n", c, n / (b - a) }' >> "$WORK/rates"
}

echo "produce: $N extended messages ($(du -m "$DATA" | cut -f1) MiB), $PARTITIONS partitions ($UNKEYED_PARTITIONS unkeyed), acks=all + idempotence + lz4, $REPS runs each"
: > "$WORK/rates"
for r in $(seq "$REPS"); do
  timed kcat_unkeyed "$r" kcat -b "$BOOTSTRAP" -P -t "kcat_unkeyed_$r" "${SETTINGS[@]}" -l "$DATA"
  timed cells_unkeyed "$r" "$CELLS" produce -b "$BOOTSTRAP" -t "cells_unkeyed_$r" "${SETTINGS[@]}" --key none \
    --schema extended --rate max --count "$N" --seed 42 --quiet
  timed kcat_keyed "$r" kcat -b "$BOOTSTRAP" -P -t "kcat_keyed_$r" "${SETTINGS[@]}" -K '\t' -l "$KEYED"
  timed cells_keyed "$r" "$CELLS" produce -b "$BOOTSTRAP" -t "cells_keyed_$r" "${SETTINGS[@]}" --key card \
    --schema extended --rate max --count "$N" --seed 42 --quiet
  if [ -n "$CEILING" ]; then
    timed ceiling_unkeyed "$r" "$CEILING" "$BOOTSTRAP" "ceiling_unkeyed_$r" "$DATA" unkeyed "${CEILING_SETTINGS[@]}"
    timed ceiling_keyed "$r" "$CEILING" "$BOOTSTRAP" "ceiling_keyed_$r" "$KEYED" keyed "${CEILING_SETTINGS[@]}"
  fi
done

# Every topic's partitions must end at offsets summing to N: each message appended once (acks=all
# and idempotence). The mock broker keeps ~5 MiB per partition and drops a partition's oldest
# batches past that, which unkeyed runs can reach on a fast machine (the sticky partitioner
# fills one partition for 10 ms at a time), so what is still there to read is counted and
# reported, not required.
end_offsets() {  # topic partitions
  local args=() p
  for p in $(seq 0 $(($2 - 1))); do args+=(-t "$1:$p:-1"); done
  timeout 300 kcat -b "$BOOTSTRAP" -Q "${args[@]}" | awk '$2 ~ /^\[/ && $3 == "offset" { s += $4 } END { print s + 0 }'
}
dropped=0
for r in $(seq "$REPS"); do
  for c in "${CLIENTS[@]}"; do
    appended=$(end_offsets "${c}_$r" "$(partitions "$c")")
    [ "$appended" -eq "$N" ] || { echo "FAIL: topic ${c}_$r has $appended of $N messages appended"; exit 1; }
    kept=$(timeout 900 kcat -b "$BOOTSTRAP" -C -t "${c}_$r" -o beginning -e -q | wc -l)
    [ "$kept" -eq "$N" ] || { echo "note: the mock broker kept $kept of topic ${c}_$r's $N messages (its ~5 MiB per partition)"; dropped=1; }
  done
done
echo "checked: all $((${#CLIENTS[@]} * REPS)) topics have exactly $N messages appended$([ "$dropped" -eq 0 ] && echo ", all still there to read")"

# Medians with sort (portable awk has no sort of its own).
median() { grep "^$1 " "$WORK/rates" | cut -d' ' -f2 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ku=$(median kcat_unkeyed); cu=$(median cells_unkeyed); kk=$(median kcat_keyed); ck=$(median cells_keyed)
awk -v ku="$ku" -v cu="$cu" -v kk="$kk" -v ck="$ck" 'BEGIN {
  printf "median msg/s   kcat unkeyed %9.0f   cells --key none %9.0f   ratio %.2fx (target >= 1.2x kcat -P)\n", ku, cu, cu / ku
  printf "median msg/s   kcat keyed   %9.0f   cells --key card %9.0f   ratio %.2fx (target >= 1.2x kcat -P -K)\n", kk, ck, ck / kk }'
if [ -n "$CEILING" ]; then
  xu=$(median ceiling_unkeyed); xk=$(median ceiling_keyed)
  awk -v ku="$ku" -v kk="$kk" -v xu="$xu" -v xk="$xk" 'BEGIN {
    printf "librdkafka ceiling: librdkafka alone (bench/produce_ceiling.c)   unkeyed %9.0f msg/s, %.2fx kcat   keyed %9.0f msg/s, %.2fx kcat\n", xu, xu / ku, xk, xk / kk }'
fi
