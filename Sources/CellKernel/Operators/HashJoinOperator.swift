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
        // Each probe row once, in order (an inner join where every row found one match, as in
        // an enrichment): the probe columns as they are, without copying their bytes.
        let identity = probeIndex.count == probeRows.count && probeIndex.indices.allSatisfy { probeIndex[$0] == $0 }
        let probeColumns = identity ? probeRows.columns : probeRows.columns.map { $0.gather(probeIndex) }
        let buildColumns = buildRows.columns.map { $0.gather(nullable: buildIndex) }
        let columns = shape.probeIsLeft ? probeColumns + buildColumns : buildColumns + probeColumns
        let fields = zip(shape.schema.fields, columns).map { Schema.Field(name: $0.name, type: $1.type, nullable: $0.nullable) }
        return Batch(schema: Schema(fields), columns: columns)
    }
}

/// The build side's keys, hashed: an open-addressing table (linear probing, at most half
/// full) of 8-byte slots, each a row number and the top 32 bits of its key hash. Rows with a
/// NULL key are left out (SQL's `=` never matches NULL).
///
/// Laid out for the probe, the hot loop of a stream-static join, whose cost is cache misses
/// (a 100k-row table is larger than the caches): a slot holds what decides a candidate, so a
/// probe row costs one miss to find its rows, not a chain of dependent ones; and a chunk is
/// probed in two passes, slots first and keys second, so that the misses of different rows
/// do not wait for each other. Keys are hashed a column at a time, strings eight bytes at a
/// step; a single string key (card numbers, ids) is compared with its buffers opened once.
struct HashJoinTable {
    private let keys: [Column]
    /// `(row + 1) << 32 | hash >> 32` per slot; 0 is an empty slot.
    private var slots: [UInt64]
    private let mask: Int

    init(keys: [Column], count: Int) {
        self.keys = keys
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        mask = capacity - 1
        var slots = [UInt64](repeating: 0, count: capacity)
        let (hashes, valid) = Self.hashes(keys, count: count)
        // Inserted in table order: rows of one key then lie along one probe sequence in that
        // order, and a probe finds them so.
        for row in 0..<count where valid[row] {
            var slot = Int(truncatingIfNeeded: hashes[row]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt64(row + 1) << 32 | hashes[row] >> 32
        }
        self.slots = slots
    }

    /// Calls `body(probeRow, buildRow)` for every pair with equal keys, in probe order (a
    /// probe row's matches in table order).
    func probe(_ probeKeys: [Column], count: Int, _ body: (Int, Int) -> Void) {
        guard count > 0 else { return }
        let (hashes, valid) = Self.hashes(probeKeys, count: count)
        // Pass 1: the slots whose hash bits are the row's, for every row (independent loads).
        var candidateProbe: [Int32] = [], candidateBuild: [Int32] = []
        candidateProbe.reserveCapacity(count)
        candidateBuild.reserveCapacity(count)
        slots.withUnsafeBufferPointer { slots in
            for row in 0..<count where valid[row] {
                let hash = hashes[row], tag = hash >> 32
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let entry = slots[slot]
                    if entry == 0 { break }
                    if entry & 0xFFFF_FFFF == tag {
                        candidateProbe.append(Int32(truncatingIfNeeded: row))
                        candidateBuild.append(Int32(truncatingIfNeeded: (entry >> 32) - 1))
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        // Pass 2: the keys themselves, for the candidates.
        if keys.count == 1, probeKeys.count == 1, case .bytes(let built) = keys[0].data, case .bytes(let probing) = probeKeys[0].data {
            built.bytes.withUnsafeBytes { builtBytes in
                probing.bytes.withUnsafeBytes { probingBytes in
                    built.offsets.withUnsafeBufferPointer { builtOffsets in
                        probing.offsets.withUnsafeBufferPointer { probingOffsets in
                            for c in candidateProbe.indices {
                                let p = Int(candidateProbe[c]), b = Int(candidateBuild[c])
                                let start = Int(probingOffsets[p]), other = Int(builtOffsets[b])
                                let length = Int(probingOffsets[p + 1]) - start
                                if Int(builtOffsets[b + 1]) - other == length, Self.bytesEqual(probingBytes, start, builtBytes, other, length) {
                                    body(p, b)
                                }
                            }
                        }
                    }
                }
            }
            return
        }
        for c in candidateProbe.indices {
            let p = Int(candidateProbe[c]), b = Int(candidateBuild[c])
            if Self.equal(probeKeys, p, keys, b) { body(p, b) }
        }
    }

    /// Whether `length` bytes at `i` of `a` equal those at `j` of `b` (both in range).
    @inline(__always)
    private static func bytesEqual(_ a: UnsafeRawBufferPointer, _ i: Int, _ b: UnsafeRawBufferPointer, _ j: Int, _ length: Int) -> Bool {
        var k = 0
        while k + 8 <= length {
            if a.loadUnaligned(fromByteOffset: i + k, as: UInt64.self) != b.loadUnaligned(fromByteOffset: j + k, as: UInt64.self) { return false }
            k += 8
        }
        while k < length {
            if a[i + k] != b[j + k] { return false }
            k += 1
        }
        return true
    }

    /// One hash per row over the key columns, and whether no key of the row is NULL: the same
    /// hash as the stream-stream join's (doubles normalized as Spark does, integers by value).
    @inline(__always)
    static func hashes(_ columns: [Column], count: Int) -> (hashes: [UInt64], valid: [Bool]) {
        StreamJoinSide.hash(columns, count: count)
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
                let same = x.bytes.withUnsafeBytes { xb in
                    y.bytes.withUnsafeBytes { yb in bytesEqual(xb, r.lowerBound, yb, s.lowerBound, r.count) }
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
