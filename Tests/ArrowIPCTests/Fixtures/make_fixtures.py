"""Writes the Arrow IPC stream fixtures for ArrowIPCTests.

Run from anywhere with a pyarrow (26 was used):
    /work/tools/sparkvenv/bin/python Tests/ArrowIPCTests/Fixtures/make_fixtures.py
The files are committed; rerun only to change them (the tests assert on the values below).
"""

import datetime as dt
import decimal
import os

import pyarrow as pa
import pyarrow.ipc as ipc

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, batches, schema=None, options=None):
    schema = schema or batches[0].schema
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, schema, options=options) as writer:
        for b in batches:
            writer.write_batch(b)
    with open(os.path.join(HERE, name + ".arrows"), "wb") as f:
        f.write(sink.getvalue().to_pybytes())


def batch(**columns):
    return pa.record_batch(list(columns.values()), names=list(columns.keys()))


UTC = "UTC"

# Every supported scalar type, with a NULL in the middle row.
scalars = batch(
    i8=pa.array([-128, None, 127], pa.int8()),
    i16=pa.array([-32768, None, 32767], pa.int16()),
    i32=pa.array([-2147483648, None, 2147483647], pa.int32()),
    i64=pa.array([-1, None, 42], pa.int64()),
    u8=pa.array([0, None, 255], pa.uint8()),
    u16=pa.array([0, None, 65535], pa.uint16()),
    u32=pa.array([0, None, 4294967295], pa.uint32()),
    f32=pa.array([1.5, None, -0.25], pa.float32()),
    f64=pa.array([3.25, None, -1e-300], pa.float64()),
    s=pa.array(["a", None, "xyz"], pa.utf8()),
    ls=pa.array(["large", None, ""], pa.large_utf8()),
    b=pa.array([True, None, False], pa.bool_()),
    d32=pa.array([dt.date(2024, 2, 29), None, dt.date(1969, 12, 31)], pa.date32()),
    d64=pa.array([dt.date(2024, 2, 29), None, dt.date(1969, 12, 31)], pa.date64()),
    ts_s=pa.array([1_700_000_000, None, -1], pa.timestamp("s", tz=UTC)),
    ts_ms=pa.array([1_700_000_000_123, None, -1], pa.timestamp("ms", tz="Europe/Madrid")),
    ts_us=pa.array([1_700_000_000_123_456, None, -1], pa.timestamp("us", tz=UTC)),
    ts_ns=pa.array([1_700_000_000_123_456_789, None, -1], pa.timestamp("ns")),
    dec=pa.array([decimal.Decimal("123.4500"), None, decimal.Decimal("-0.0001")], pa.decimal128(10, 4)),
    n=pa.nulls(3),
)
write("scalars", [scalars])

# Boundary values, unicode text, dates far from 1970.
big = 10**38 - 1
extremes = batch(
    i64=pa.array([-(2**63), 2**63 - 1, 0, 0, 0], pa.int64()),
    f64=pa.array([1e308, -0.0, float("nan"), float("inf"), -float("inf")], pa.float64()),
    dec=pa.array([decimal.Decimal(big), decimal.Decimal(-big), decimal.Decimal(0),
                  decimal.Decimal(1), decimal.Decimal(-1)], pa.decimal128(38, 0)),
    dec_frac=pa.array([decimal.Decimal("0." + "9" * 38), None, None, None, None], pa.decimal128(38, 38)),
    ts=pa.array([dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
                 dt.datetime(1970, 1, 1), None, dt.datetime(1969, 12, 31, 23, 59, 59, 999999)],
                pa.timestamp("us", tz=UTC)),
    d=pa.array([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1900, 3, 1), None,
                dt.date(1969, 1, 1)], pa.date32()),
    s=pa.array(["héllo wörld", "日本語", "🎉👩‍👩‍👧", "", "e\u0301"], pa.utf8()),
)
write("extremes", [extremes])

# Nested types with NULLs at every level.
point = pa.struct([("x", pa.int32()), ("label", pa.utf8())])
nested = batch(
    st=pa.array([{"x": 1, "label": "one"}, None, {"x": None, "label": "three"}, {"x": 4, "label": None}], point),
    li=pa.array([[1, 2, 3], None, [], [None, 5]], pa.list_(pa.int64())),
    ll=pa.array([["a"], ["b", None], None, []], pa.large_list(pa.utf8())),
    m=pa.array([[("k", 1.5), ("j", None)], None, [], [("z", -2.0)]], pa.map_(pa.utf8(), pa.float64())),
    ls=pa.array([[{"x": 1, "label": "p"}, None], [], None, [{"x": 2, "label": None}]], pa.list_(point)),
)
write("nested", [nested])

# Several record batches in one stream.
multi = [batch(id=pa.array(list(range(start, start + n)), pa.int64()),
               name=pa.array([f"row{i}" if i % 3 else None for i in range(start, start + n)], pa.utf8()))
         for start, n in [(0, 3), (3, 0), (3, 5), (8, 1)]]
write("multi_batch", multi)

# The same batches in the pre-0.15 framing (no 0xFFFFFFFF continuation marker).
write("legacy_format", multi, options=ipc.IpcWriteOptions(use_legacy_format=True))

# A schema and no record batch at all.
write("empty", [], schema=pa.schema([("a", pa.int64()), ("b", pa.utf8()),
                                     ("c", pa.struct([("d", pa.float64())]))]))

# What Spark Connect sends for a streaming aggregation's result.
write("spark_avg", [batch(**{"captura": pa.array(["2024-01-01 10:00", None, "2024-01-01 10:01"], pa.utf8()),
                            "avg(valor)": pa.array([12.5, 7.0, None], pa.float64())})])
window = pa.struct([pa.field("start", pa.timestamp("us", tz="Etc/UTC")),
                    pa.field("end", pa.timestamp("us", tz="Etc/UTC"))])
# Spark marks count(*) NOT NULL.
window_schema = pa.schema([pa.field("window", window), pa.field("brand", pa.utf8()),
                           pa.field("transactions", pa.int64(), nullable=False), pa.field("total", pa.float64())])
write("spark_window", [pa.record_batch([
    pa.array([{"start": dt.datetime(2024, 5, 1, 12, 0), "end": dt.datetime(2024, 5, 1, 12, 5)},
              {"start": dt.datetime(2024, 5, 1, 12, 5), "end": dt.datetime(2024, 5, 1, 12, 10)}], window),
    pa.array(["Acme", "Globex"], pa.utf8()),
    pa.array([17, 3], pa.int64()),
    pa.array([1234.5, 99.99], pa.float64()),
], schema=window_schema)])

# A single string column with a distinctive shape, for the tests that corrupt bytes.
write("strings7", [batch(s=pa.array(["alpha", "beta", None, "gamma", "delta", "epsilon", "zeta"], pa.utf8()))])

# Only a NULL-typed column: its rows cost no body bytes, so the reader must bound them itself.
write("nulls_only", [batch(n=pa.nulls(5))])

# Twenty of them: each within bounds, together more rows than the stream's size allows.
write("nulls_wide", [batch(**{f"n{i}": pa.nulls(5) for i in range(20)})])

# 10^13 seconds (year ~318,857) is past Int64 microseconds.
write("timestamp_overflow", [batch(t=pa.array([0, 10**13], pa.timestamp("s")))])


def deep_list(levels):
    value, typ = 7, pa.int64()
    for _ in range(levels):
        value, typ = [value], pa.list_(typ)
    return pa.array([value], typ)


# pyarrow writes record batches only up to 63 nested levels, so the deeper ones are schemas only:
# 64 levels is the kernel's limit (accepted), 65 is past it (refused).
write("deep63", [batch(d=deep_list(63))])
write("deep64", [], schema=pa.schema([("d", deep_list(64).type)]))
write("deep65", [], schema=pa.schema([("d", deep_list(65).type)]))

# Features the reader refuses, each with its own message.
write("unsupported_binary", [batch(x=pa.array([b"\x00"], pa.binary()))])
write("unsupported_dictionary", [batch(x=pa.array(["a", "b", "a"]).dictionary_encode())])
write("unsupported_lz4", [batch(x=pa.array(list(range(100)), pa.int64()))],
      options=ipc.IpcWriteOptions(compression="lz4"))
write("unsupported_uint64", [batch(x=pa.array([1], pa.uint64()))])
write("unsupported_float16", [batch(x=pa.array([1], pa.int16()).view(pa.float16()))])
write("unsupported_fixed_size_list", [batch(x=pa.array([[1, 2]], pa.list_(pa.int64(), 2)))])
write("unsupported_interval", [batch(x=pa.array([pa.scalar((1, 2, 3), pa.month_day_nano_interval())]))])
write("unsupported_union", [batch(x=pa.UnionArray.from_sparse(pa.array([0], pa.int8()), [pa.array([1])]))])
write("unsupported_time", [batch(x=pa.array([1], pa.time32("s")))])
