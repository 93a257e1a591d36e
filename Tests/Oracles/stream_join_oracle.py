#!/usr/bin/env python3
"""An independent model of a stream-stream join under watermarks, micro-batch by micro-batch.

Written from Spark 3.5's rules (StreamingSymmetricHashJoinExec, WatermarkTracker), not from the
engine's code, and stdlib only. Reads a plan (JSON) on stdin:

  {"kind": "inner" | "leftOuter",
   "leftDelay": ms, "rightDelay": ms,          # each stream's WATERMARK ... DELAY
   "lower": ms, "upper": ms,                   # right.t - left.t within [lower, upper]
   "steps": [{"left": [[key|null, payload, t_ms], ...],
              "right": [[key|null, payload, t_ms], ...]}, ...]}

and writes on stdout one entry per micro-batch, the data batch of each step and then the
batch without data Spark runs when the watermark moved:

  {"rows": [[lkey, lpayload, rpayload|null], ...],   # sorted, pairs and outer rows
   "late": n, "state": n,                           # late rows dropped, state rows after it
   "watermark": ms,                                 # after the batch (as its progress says)
   "lateMark": ms, "evictMark": ms,                 # the watermarks it ran with
   "spark": {"rows": [...], "state": n}}            # Spark's variant, see below

The rules:
- the global watermark is the least of the streams' (max event time seen - delay), only
  streams that have shown an event time count (multipleWatermarkPolicy=min), and it never
  goes back; a batch evicts with the watermark computed before it ("for eviction") and drops
  as late the rows at or before the previous batch's ("for late events");
- a left row can meet future right rows only while t_left + upper > watermark (a future right
  row is after the watermark), a right row only while t_right - lower > watermark: otherwise
  it leaves the state, and an unmatched left row of a left outer join is then emitted once
  with NULLs;
- NULL keys: an inner join drops them on both sides (Spark infers IsNotNull filters), a left
  outer join keeps the left's (they match nothing and come out as outer rows), drops the
  right's;
- after a batch in which the watermark moved, a batch without data runs (shouldRunAnotherBatch),
  unless the step says "drain": false (its data came in before that batch could run: the
  next step's batch then runs with the moved watermark).

Two variants differ in one case only, a new row that is already past the state watermark
when it arrives (possible when the watermark jumps by more than the range in one batch):
- "rows"/"state" (the engine's documented choice): every new row joins both ways and enters
  the state, then eviction runs: such a left row still meets the batch's new right rows, and
  if unmatched is emitted as an outer row at once;
- "spark": Spark 3.5 does not store such a row (AddingProcessedRowToStateCompletionIterator),
  so the other side's new rows of the same batch do not meet it, and an unmatched left row is
  never emitted.
"""
import json
import sys


def main():
    plan = json.load(sys.stdin)
    outer = plan["kind"] == "leftOuter"
    lower, upper = plan["lower"], plan["upper"]
    delays = [plan["leftDelay"], plan["rightDelay"]]
    max_time = [None, None]
    watermark = 0  # Spark's watermark starts at the epoch
    previous = 0
    engine = Join(outer, lower, upper, spark=False)
    spark = Join(outer, lower, upper, spark=True)
    batches = []

    def run(left, right):
        nonlocal previous, watermark
        late_mark, evict_mark = previous, watermark
        entry = {"lateMark": late_mark, "evictMark": evict_mark}
        for name, join in (("engine", engine), ("spark", spark)):
            rows, late = join.batch(left, right, late_mark, evict_mark)
            result = {"rows": sorted(rows, key=json.dumps), "state": join.state_rows(), "late": late}
            if name == "engine":
                entry.update(result)
            else:
                entry["spark"] = result
        batches.append(entry)
        previous = max(previous, evict_mark)
        # The watermark after the batch: every row the stream read counts, late ones too.
        for side, rows in ((0, left), (1, right)):
            for key, _, t in rows:
                if key is None and not (outer and side == 0):
                    continue  # filtered before the watermark operator sees it (IsNotNull pushed down)
                max_time[side] = t if max_time[side] is None else max(max_time[side], t)
        marks = [m - d for m, d in zip(max_time, delays) if m is not None]
        if marks and min(marks) > watermark:
            watermark = min(marks)
        entry["watermark"] = watermark
        return watermark > evict_mark

    for step in plan["steps"]:
        if run(step["left"], step["right"]) and step.get("drain", True):
            run([], [])  # the batch without data: the watermark moved
    json.dump(batches, sys.stdout)


class Join:
    def __init__(self, outer, lower, upper, spark):
        self.outer, self.lower, self.upper, self.spark = outer, lower, upper, spark
        self.left = []   # [key, payload, t, matched]
        self.right = []

    def state_rows(self):
        return len(self.left) + len(self.right)

    def in_range(self, tl, tr):
        return self.lower <= tr - tl <= self.upper

    def left_expired(self, t, mark):
        return mark > 0 and t <= mark - self.upper

    def right_expired(self, t, mark):
        return mark > 0 and t <= mark + self.lower

    def batch(self, left, right, late_mark, evict_mark):
        late = 0
        new_left, new_right = [], []
        for side, rows, out in ((0, left, new_left), (1, right, new_right)):
            for key, payload, t in rows:
                if late_mark > 0 and t <= late_mark:
                    late += 1
                    continue
                if key is None and not (self.outer and side == 0):
                    continue
                out.append([key, payload, t, False])
        rows = []
        # The left's new rows meet the right's buffered rows.
        old_right = list(self.right)
        for row in new_left:
            for other in old_right:
                if row[0] is not None and row[0] == other[0] and self.in_range(row[2], other[2]):
                    rows.append([row[0], row[1], other[1]])
                    row[3] = other[3] = True
            if not (self.spark and self.left_expired(row[2], evict_mark)):
                self.left.append(row)
        # The right's new rows meet every buffered left row (the left's new ones included).
        for row in new_right:
            for other in self.left:
                if other[0] is not None and row[0] == other[0] and self.in_range(other[2], row[2]):
                    rows.append([other[0], other[1], row[1]])
                    row[3] = other[3] = True
            if not (self.spark and self.right_expired(row[2], evict_mark)):
                self.right.append(row)
        # Eviction by the watermark; unmatched left rows of a left outer join come out.
        kept = []
        for row in self.left:
            if self.left_expired(row[2], evict_mark):
                if self.outer and not row[3]:
                    rows.append([row[0], row[1], None])
            else:
                kept.append(row)
        self.left = kept
        self.right = [row for row in self.right if not self.right_expired(row[2], evict_mark)]
        return rows, late


if __name__ == "__main__":
    main()
