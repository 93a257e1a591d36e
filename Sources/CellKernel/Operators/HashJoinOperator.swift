/// A join of a stream with a static table (Spark's stream-static join): the table side is
/// read and hashed once, when the query's first batch runs; every batch of the stream side then
/// probes it. Nothing outlives a batch but the hash table, so there is no state to checkpoint.
///
/// Output columns are always the join's left input's, then its right's, whichever side probes.
/// Inner joins keep matching pairs; an outer join also keeps each probe row that matches
/// nothing, with NULLs for the table's columns (Spark runs a stream-static outer join only with
/// the stream as the preserved side).
final class HashJoinOperator: BatchOperator {
    /// The side read once and hashed, and the side read every batch.
    let build: any BatchOperator
    let probe: any BatchOperator
    let shape: HashJoinShape
    var schema: Schema { shape.schema }

    private var hashed: HashJoinProbe?

    init(build: any BatchOperator, probe: any BatchOperator, shape: HashJoinShape) {
        self.build = build
        self.probe = probe
        self.shape = shape
    }

    var inputs: [any BatchOperator] { shape.probeIsLeft ? [probe, build] : [build, probe] }

    var explainLine: String {
        let (built, probing) = shape.probeIsLeft ? ("right", "left") : ("left", "right")
        return "HashJoin \(shape.kindName) (\(built) side hashed once, \(probing) side probes each batch)"
    }

    func next(_ context: inout BatchContext) throws -> Batch {
        if hashed == nil { hashed = HashJoinProbe(buildRows: try build.next(&context), shape: shape) }
        let input = try probe.next(&context)
        return hashed!.apply(input)
    }
}

/// What a hash join is, apart from its rows: which side probes, the keys of each side, what
/// is kept, the output.
struct HashJoinShape: Sendable {
    /// Whether the probe side is the join's left input (its columns come first).
    var probeIsLeft: Bool
    var buildKeys: [BoundExpression]
    var probeKeys: [BoundExpression]
    /// Keep probe rows without a match (LEFT JOIN with the probe on the left, RIGHT JOIN with it on the right).
    var preserveProbe: Bool
    /// The rest of the ON condition, over the left's columns then the right's.
    var condition: BoundExpression?
    var schema: Schema
    var kindName: String
}

/// The hashed table side of a stream-static join and how a batch of the other side probes
/// it: a value, so the fused scan's threads probe one table each chunk, on the thread that
/// decoded the chunk (the join then costs no pass of its own over the batch).
struct HashJoinProbe: Sendable {
    let table: HashJoinTable
    let buildRows: Batch
    let shape: HashJoinShape

    init(buildRows: Batch, shape: HashJoinShape) {
        table = HashJoinTable(keys: shape.buildKeys.map { Evaluator.evaluate($0, on: buildRows) }, count: buildRows.count)
        self.buildRows = buildRows
        self.shape = shape
    }

    /// The joined rows of `input` (rows of the probe side).
    func apply(_ input: Batch) -> Batch {
        let keys = shape.probeKeys.map { Evaluator.evaluate($0, on: input) }
        var probeIndex: [Int] = [], buildIndex: [Int] = []
        probeIndex.reserveCapacity(input.count)
        buildIndex.reserveCapacity(input.count)
        table.probe(keys, count: input.count) { p, b in
            probeIndex.append(p)
            buildIndex.append(b)
        }
        if let condition = shape.condition {
            let pairs = assemble(input, probeIndex, buildIndex)
            let mask = Evaluator.evaluate(condition, on: pairs)
            var keptProbe: [Int] = [], keptBuild: [Int] = []
            if case .bool(let keep) = mask.data {
                for i in 0..<min(keep.count, probeIndex.count) where keep[i] && !mask.isNull(i) {
                    keptProbe.append(probeIndex[i])
                    keptBuild.append(buildIndex[i])
                }
            }
            probeIndex = keptProbe
            buildIndex = keptBuild
        }
        if shape.preserveProbe {
            var matched = [Bool](repeating: false, count: input.count)
            for p in probeIndex { matched[p] = true }
            for p in 0..<input.count where !matched[p] {
                probeIndex.append(p)
                buildIndex.append(-1)
            }
        }
        return assemble(input, probeIndex, buildIndex)
    }

    /// The pairs as rows: left columns then right ones; a build index of -1 is all NULLs.
    private func assemble(_ probeRows: Batch, _ probeIndex: [Int], _ buildIndex: [Int]) -> Batch {
        let probeColumns = probeRows.columns.map { $0.gather(probeIndex) }
        let buildColumns = buildRows.columns.map { $0.gather(nullable: buildIndex) }
        let columns = shape.probeIsLeft ? probeColumns + buildColumns : buildColumns + probeColumns
        let fields = zip(shape.schema.fields, columns).map { Schema.Field(name: $0.name, type: $1.type, nullable: $0.nullable) }
        return Batch(schema: Schema(fields), columns: columns)
    }
}

/// The build side's keys, hashed: buckets of row chains, over the key columns as they are.
/// Rows with a NULL key are left out (SQL's `=` never matches NULL).
struct HashJoinTable {
    private let keys: [Column]
    /// First row of each bucket's chain, -1 for none; `nextRow[r]` the row after `r`.
    private var heads: [Int32]
    private var nextRow: [Int32]
    private let mask: Int

    init(keys: [Column], count: Int) {
        self.keys = keys
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        mask = capacity - 1
        heads = [Int32](repeating: -1, count: capacity)
        nextRow = [Int32](repeating: -1, count: count)
        // Inserted last row first, so each chain lists rows in table order.
        for row in stride(from: count - 1, through: 0, by: -1) {
            guard let hash = Self.hash(keys, row) else { continue }
            let bucket = Int(truncatingIfNeeded: hash) & mask
            nextRow[row] = heads[bucket]
            heads[bucket] = Int32(truncatingIfNeeded: row)
        }
    }

    /// Calls `body(probeRow, buildRow)` for every pair with equal keys, in probe order.
    func probe(_ probeKeys: [Column], count: Int, _ body: (Int, Int) -> Void) {
        for row in 0..<count {
            guard let hash = Self.hash(probeKeys, row) else { continue }
            var candidate = heads[Int(truncatingIfNeeded: hash) & mask]
            while candidate >= 0 {
                let b = Int(candidate)
                if Self.equal(probeKeys, row, keys, b) { body(row, b) }
                candidate = nextRow[b]
            }
        }
    }

    /// The keys of `row`, hashed; nil when one is NULL.
    @inline(__always)
    static func hash(_ columns: [Column], _ row: Int) -> UInt64? {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for column in columns {
            if column.isNull(row) { return nil }
            let v: UInt64
            switch column.data {
            case .int64(let a): v = UInt64(bitPattern: a[row])
            case .int128(let a): v = UInt64(truncatingIfNeeded: a[row]) ^ (UInt64(truncatingIfNeeded: a[row] >> 64) &* 0x100_0000_01B3)
            case .double(let a): v = normalized(a[row]).bitPattern
            case .bool(let a): v = a[row] ? 1 : 2
            case .bytes(let bytes):
                let range = bytes.range(row)
                v = bytes.bytes.withUnsafeBufferPointer { buffer in
                    var f: UInt64 = 0xCBF2_9CE4_8422_2325
                    for i in range { f = (f ^ UInt64(buffer[i])) &* 0x100_0000_01B3 }
                    return f
                }
            }
            h = mix(h ^ v)
        }
        return h
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// As Spark normalizes floating-point join keys: -0.0 is 0.0, and every NaN is one NaN
    /// (so NaN keys match each other, unlike NaN = NaN in an expression).
    @inline(__always)
    static func normalized(_ d: Double) -> Double {
        d.isNaN ? .nan : d == 0 ? 0 : d
    }

    @inline(__always)
    static func equal(_ a: [Column], _ i: Int, _ b: [Column], _ j: Int) -> Bool {
        for k in a.indices {
            switch (a[k].data, b[k].data) {
            case (.int64(let x), .int64(let y)): if x[i] != y[j] { return false }
            case (.int128(let x), .int128(let y)): if x[i] != y[j] { return false }
            case (.double(let x), .double(let y)): if normalized(x[i]).bitPattern != normalized(y[j]).bitPattern { return false }
            case (.bool(let x), .bool(let y)): if x[i] != y[j] { return false }
            case (.bytes(let x), .bytes(let y)):
                let r = x.range(i), s = y.range(j)
                guard r.count == s.count else { return false }
                let same = x.bytes.withUnsafeBufferPointer { xb in
                    y.bytes.withUnsafeBufferPointer { yb in xb[r].elementsEqual(yb[s]) }
                }
                if !same { return false }
            default: return false
            }
        }
        return true
    }
}

extension Column {
    /// The rows at `rows`, in that order; a negative index gives a NULL (an outer join's missing side).
    func gather(nullable rows: [Int]) -> Column {
        guard rows.contains(where: { $0 < 0 }) else { return gather(rows) }
        if count == 0 {
            // An empty table: every row is NULL (no index is valid).
            var filled = Column(type: type, capacity: rows.count)
            for _ in rows { filled.appendNull() }
            return filled
        }
        var filled = gather(rows.map { max($0, 0) })
        var validity = filled.validity.isEmpty ? [Bool](repeating: true, count: rows.count) : filled.validity
        for (i, r) in rows.enumerated() where r < 0 { validity[i] = false }
        filled.validity = validity
        return filled
    }
}
