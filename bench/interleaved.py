#!/usr/bin/env python3
"""Q1-Q4: cells and DuckDB alternating query by query, repetition by repetition.

On a shared machine the load changes from minute to minute, so runs to be compared must
alternate. kernel.sh alternates one cells binary with DuckDB; here each repetition runs every
given cells binary and then DuckDB on the same query back to back, to compare binaries too.

  bench-work/venv/bin/python bench/interleaved.py REPS CELLS [CELLS...]

Needs BENCH_WORK (default bench-work) holding tx_2000000.jsonl and q1..q4.cells (kernel.sh
writes them), and ../shared/anchors. cells is timed as a whole process (wall and user+sys
CPU), DuckDB per query inside one connection, as the anchors do.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ.get("BENCH_WORK", os.path.join(ROOT, "bench-work"))
DATA = os.path.join(WORK, "tx_2000000.jsonl")
sys.path.insert(0, os.environ.get("ANCHORS", os.path.join(ROOT, "..", "shared", "anchors")))
os.environ.setdefault("ANCHOR_DATA", DATA)
import duckdb  # noqa: E402
from common import DUCK_SQL, SCHEMA_FIELDS  # noqa: E402

reps, binaries = int(sys.argv[1]), sys.argv[2:]
types = {"string": "VARCHAR", "double": "DOUBLE", "int": "INTEGER", "timestamp": "TIMESTAMP"}
columns = "{" + ", ".join(f"{n}: '{types[t]}'" for n, t in SCHEMA_FIELDS) + "}"
con = duckdb.connect()
con.sql(f"CREATE VIEW tx AS SELECT * FROM read_json('{DATA}', format='newline_delimited', columns={columns})")
env = dict(os.environ, BENCH_DATA=DATA, TZ="UTC")


def run_cells(binary, query):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([binary, "run", os.path.join(WORK, f"{query.lower()}.cells"), "--all"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


for query in ["Q1", "Q2", "Q3", "Q4"]:
    walls = {b: [] for b in binaries}
    cpus = {b: [] for b in binaries}
    duck = []
    for _ in range(reps):
        for b in binaries:
            w, c = run_cells(b, query)
            walls[b].append(w)
            cpus[b].append(c)
        start = time.perf_counter()
        con.sql(DUCK_SQL[query]).fetchall()
        duck.append(time.perf_counter() - start)
    d = statistics.median(duck)
    line = f"{query}  duckdb {d:.2f}s"
    for b in binaries:
        w = statistics.median(walls[b])
        line += f" | {os.path.basename(b)} {w:.2f}s cpu {statistics.median(cpus[b]):.2f}s {d / w:.2f}x"
    print(line, flush=True)
