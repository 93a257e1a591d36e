extension AggregateState {
    /// The bytes ``write(to:)`` takes for the per-group numbers (the bulk of most states).
    var fixedWidthSnapshotBytes: Int {
        64 + 9 * counts.count + 8 * (integers.count + doubles.count + compensation.count) + 16 * decimals.count
    }

    /// One aggregate's state for a snapshot: its function, then each per-group array with its
    /// length (arrays an aggregate does not use are empty, and stay so).
    func write(to out: inout SnapshotWriter) {
        out.string(spec.function.rawValue)
        out.reserve(fixedWidthSnapshotBytes)
        out.int(counts.count)
        out.words(counts)
        out.bools(seen)
        out.int(integers.count)
        out.words(integers)
        out.int(decimals.count)
        for v in decimals {
            out.u64(UInt64(truncatingIfNeeded: v))
            out.u64(UInt64(truncatingIfNeeded: v >> 64))
        }
        out.int(doubles.count)
        out.words(doubles)
        out.int(compensation.count)
        out.words(compensation)
        out.int(strings.count)
        for value in strings {
            out.bool(value != nil)
            if let value { out.blob(value) }
        }
        out.int(distinct.count)
        for set in distinct {
            out.int(set.count)
            // Sorted, so the same state always gives the same bytes (Set order is per process).
            for value in set.sorted(by: { $0.lexicographicallyPrecedes($1) }) { out.blob(value) }
        }
        out.int(sketches.count)
        for sketch in sketches { out.raw(sketch.registers) }
        // Only the aggregates that keep values write them: the bytes of the others (and of
        // every checkpoint taken before these aggregates existed) are unchanged.
        if spec.function.keepsValues { values.write(to: &out) }
        if spec.function == .minBy || spec.function == .maxBy { orderings.write(to: &out) }
        if spec.function == .percentileApprox {
            out.int(quantiles.count)
            for sketch in quantiles { sketch.write(to: &out) }
        }
        if spec.function.collects {
            out.int(collected.count)
            for values in collected {
                out.int(values.count)
                out.blob(values.bytes)
            }
        }
    }

    /// Reads one aggregate's state for `groups` groups, checking that it is the aggregate
    /// `spec` says and that every array has the length the aggregate needs.
    static func read(from reader: inout SnapshotReader, spec: AggregateSpec, groups: Int) throws(SnapshotError) -> AggregateState {
        let name = spec.function.rawValue
        let function = try reader.string("aggregate function")
        guard function == name else { throw .incompatible("the snapshot has aggregate \(function) where the query has \(name)") }
        var state = AggregateState(spec)
        // Arrays of a used kind hold one entry per group; others are empty.
        func length(_ what: String, unit: Int) throws(SnapshotError) -> Int {
            let n = try reader.count("\(name) \(what) count", unit: unit)
            guard n == 0 || n == groups else { throw .corrupt("\(name) has \(n) \(what) for \(groups) groups") }
            return n
        }
        let counted = try reader.count("\(name) counts", unit: 9)
        guard counted == groups else { throw .corrupt("\(name) has \(counted) counts for \(groups) groups") }
        for _ in 0..<counted { state.counts.append(try reader.i64("\(name) count")) }
        for _ in 0..<counted { state.seen.append(try reader.bool("\(name) seen flag")) }
        for _ in 0..<(try length("integers", unit: 8)) { state.integers.append(try reader.i64("\(name) integer")) }
        for _ in 0..<(try length("decimals", unit: 16)) {
            let low = try reader.u64("\(name) decimal")
            state.decimals.append(Int128(bitPattern: UInt128(try reader.u64("\(name) decimal")) << 64 | UInt128(low)))
        }
        for _ in 0..<(try length("doubles", unit: 8)) { state.doubles.append(try reader.f64("\(name) double")) }
        for _ in 0..<(try length("compensations", unit: 8)) { state.compensation.append(try reader.f64("\(name) compensation")) }
        for _ in 0..<(try length("strings", unit: 1)) {
            state.strings.append(try reader.bool("\(name) string flag") ? Array(try reader.blob("\(name) string")) : nil)
        }
        for _ in 0..<(try length("distinct sets", unit: 8)) {
            var set = Set<[UInt8]>()
            for _ in 0..<(try reader.count("\(name) set size", unit: 8)) { set.insert(Array(try reader.blob("\(name) set value"))) }
            state.distinct.append(set)
        }
        let registers = 1 << HyperLogLog.precision
        for _ in 0..<(try length("sketches", unit: registers)) {
            var sketch = HyperLogLog()
            sketch.registers = Array(try reader.take(registers, "\(name) sketch"))
            state.sketches.append(sketch)
        }
        if spec.function.keepsValues {
            state.values = try ValueSlots.read(from: &reader, storage: state.values.storage, groups: groups, what: "\(name) values")
        }
        if spec.function == .minBy || spec.function == .maxBy {
            state.orderings = try ValueSlots.read(from: &reader, storage: state.orderings.storage, groups: groups, what: "\(name) orderings")
        }
        if spec.function == .percentileApprox {
            let n = try reader.count("\(name) sketch count", unit: 16)
            guard n == groups else { throw .corrupt("\(name) has \(n) sketches for \(groups) groups") }
            for _ in 0..<n { state.quantiles.append(try QuantileSketch.read(from: &reader, relativeError: state.quantileError)) }
        }
        if spec.function.collects {
            let n = try reader.count("\(name) group count", unit: 16)
            guard n == groups else { throw .corrupt("\(name) has \(n) collections for \(groups) groups") }
            let type = spec.argument?.type ?? .null
            for _ in 0..<n {
                let count = try reader.count("\(name) element count", unit: 1)
                let bytes = Array(try reader.blob("\(name) elements"))
                guard let values = CollectedValues.restored(bytes, count: count, type: type, distinct: spec.function == .collectSet) else {
                    throw .corrupt("\(name) has elements that are not \(count) values of \(type)\(spec.function == .collectSet ? " without duplicates" : "")")
                }
                state.collected.append(values)
            }
        }
        // What grow(to:) would have allocated must be there, or the first update would trap.
        var needed = ([] as [(String, Int)])
        switch spec.function {
        case .sum, .avg, .min, .max:
            needed = [("integers", state.integers.count), ("doubles", state.doubles.count), ("compensations", state.compensation.count)]
            if spec.argument?.type.storage == .bytes { needed.append(("strings", state.strings.count)) }
            if spec.argument?.type.storage == .int128 { needed.append(("decimals", state.decimals.count)) }
        case .countDistinct, .sumDistinct, .avgDistinct: needed = [("distinct sets", state.distinct.count)]
        case .stddevSamp, .stddevPop, .varSamp, .varPop:
            needed = [("doubles", state.doubles.count), ("compensations", state.compensation.count)]
        case .boolAnd, .boolOr: needed = [("integers", state.integers.count)]
        case .countIf, .first, .last, .firstIgnoreNulls, .lastIgnoreNulls, .minBy, .maxBy, .percentileApprox, .collectList, .collectSet: break
        case .approxCountDistinct: needed = [("sketches", state.sketches.count)]
        case .countAll, .count: break
        }
        for (what, n) in needed where n != groups { throw .corrupt("\(name) has \(n) \(what) for \(groups) groups") }
        return state
    }
}
