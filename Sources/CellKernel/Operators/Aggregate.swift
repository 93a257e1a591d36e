import CByteScan
#if canImport(Glibc)
import Glibc
#endif

/// The running state of one aggregate across all groups: flat arrays indexed by group id.
///
/// Sums of doubles are compensated (Neumaier), so a result does not depend on the order in
/// which micro-batches and partitions delivered the rows.
struct AggregateState: Sendable {
    let spec: AggregateSpec
    // Settable within the module so a snapshot can be restored (AggregateState+Snapshot.swift).
    var counts: [Int64] = []
    var integers: [Int64] = []
    /// DECIMAL sums, minimums and maximums (unscaled); ``overflowed`` marks a sum that left its
    /// precision, which is NULL in Spark (non-ANSI) whatever is added after.
    var decimals: [Int128] = []
    var doubles: [Double] = []
    var compensation: [Double] = []
    var seen: [Bool] = []
    var strings: [[UInt8]?] = []
    var distinct: [Set<[UInt8]>] = []
    var sketches: [HyperLogLog] = []
    /// first/last/min_by/max_by: the value kept per group (AggregateState+Extended.swift).
    var values: ValueSlots
    /// min_by/max_by: the ordering of the value kept per group.
    var orderings: ValueSlots
    /// percentile_approx: a sketch per group.
    var quantiles: [QuantileSketch] = []
    /// collect_list/collect_set: the elements per group; `counts` is unused.
    var collected: [CollectedValues] = []

    init(_ spec: AggregateSpec) {
        self.spec = spec
        values = ValueSlots(spec.argument?.type.storage ?? .int64)
        orderings = ValueSlots(spec.ordering?.type.storage ?? .int64)
    }

    mutating func grow(to groups: Int) {
        let missing = groups - counts.count
        guard missing > 0 else { return }
        counts += repeatElement(0, count: missing)
        seen += repeatElement(false, count: missing)
        switch spec.function {
        case .sum, .avg, .min, .max:
            integers += repeatElement(0, count: missing)
            doubles += repeatElement(0, count: missing)
            compensation += repeatElement(0, count: missing)
            if spec.argument?.type.storage == .bytes { strings += repeatElement(nil, count: missing) }
            if spec.argument?.type.storage == .int128 { decimals += repeatElement(0, count: missing) }
        case .countDistinct:
            distinct += repeatElement([], count: missing)
        case .approxCountDistinct:
            sketches += repeatElement(HyperLogLog(), count: missing)
        case .sumDistinct, .avgDistinct:
            distinct += repeatElement([], count: missing)
        case .stddevSamp, .stddevPop, .varSamp, .varPop:
            // The mean in `doubles`, M2 (the sum of squared deviations) in `compensation`.
            doubles += repeatElement(0, count: missing)
            compensation += repeatElement(0, count: missing)
        case .boolAnd, .boolOr:
            integers += repeatElement(0, count: missing)
        case .first, .last, .firstIgnoreNulls, .lastIgnoreNulls:
            values.grow(to: groups)
        case .minBy, .maxBy:
            values.grow(to: groups)
            orderings.grow(to: groups)
        case .percentileApprox:
            quantiles += repeatElement(QuantileSketch(relativeError: quantileError), count: missing)
        case .collectList, .collectSet:
            collected += repeatElement(CollectedValues(), count: missing)
        case .countAll, .count, .countIf:
            break
        }
    }

    /// Folds a batch into the state: `ids[i]` is row i's group, `input` the argument column.
    mutating func update(_ ids: [Int32], _ input: Column?, ordering: Column? = nil) {
        guard let input else {
            countRows(ids)
            return
        }
        switch spec.function {
        case .countAll:
            countRows(ids)
        case .count:
            for (row, id) in ids.enumerated() where !input.isNull(row) { counts[Int(id)] += 1 }
        case .sum, .avg:
            switch input.data {
            case .int128(let v):
                let bound = sumBound
                for (row, id) in ids.enumerated() where !input.isNull(row) {
                    addDecimal(v[row], to: Int(id), bound: bound)
                    counts[Int(id)] += 1
                    seen[Int(id)] = true
                }
            case .int64(let v) where spec.function == .sum && spec.resultType.storage == .int64:
                for (row, id) in ids.enumerated() where !input.isNull(row) {
                    integers[Int(id)] &+= v[row]
                    seen[Int(id)] = true
                }
            default:
                let v = Arithmetic.doubles(input)
                if input.validity.isEmpty {
                    addDoubles(ids, v)
                    return
                }
                for (row, id) in ids.enumerated() where !input.isNull(row) {
                    add(v[row], to: Int(id))
                    counts[Int(id)] += 1
                    seen[Int(id)] = true
                }
            }
        case .min, .max:
            updateExtreme(ids, input, wantMax: spec.function == .max)
        case .countDistinct:
            var key: [UInt8] = []
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                key.removeAll(keepingCapacity: true)
                GroupTable.encode(input, row, into: &key)
                distinct[Int(id)].insert(key)
            }
        case .approxCountDistinct:
            var key: [UInt8] = []
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                key.removeAll(keepingCapacity: true)
                GroupTable.encode(input, row, into: &key)
                sketches[Int(id)].add(GroupTable.hash(key))
            }
        case .sumDistinct, .avgDistinct:
            var key: [UInt8] = []
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                key.removeAll(keepingCapacity: true)
                GroupTable.encode(input, row, into: &key)
                distinct[Int(id)].insert(key)
            }
        case .stddevSamp, .stddevPop, .varSamp, .varPop, .countIf, .boolAnd, .boolOr,
             .first, .last, .firstIgnoreNulls, .lastIgnoreNulls, .minBy, .maxBy:
            updateExtended(ids, input, ordering: ordering)
        case .collectList, .collectSet:
            let distinct = spec.function == .collectSet
            for (row, id) in ids.enumerated() where !input.isNull(row) { collected[Int(id)].add(input, row, distinct: distinct) }
        case .percentileApprox:
            switch input.data {
            case .int64(let v):
                for (row, id) in ids.enumerated() where !input.isNull(row) { quantiles[Int(id)].add(QuantileSketch.key(v[row])) }
            case .double(let v):
                for (row, id) in ids.enumerated() where !input.isNull(row) { quantiles[Int(id)].add(QuantileSketch.key(v[row])) }
            default:
                break  // the binder casts every other type to DOUBLE
            }
        }
    }

    /// Groups from which a state's arrays outgrow a core's private caches (128 KiB an array
    /// of counts), so that every row's update would wait for a line from memory.
    static let farGroups = 1 << 14

    /// Rows ahead of the one being added whose groups' lines are asked for.
    static let prefetchDistance = 16

    /// `counts[ids[i]] += 1` for every row.
    private mutating func countRows(_ ids: [Int32]) {
        let far = counts.count >= Self.farGroups
        ids.withUnsafeBufferPointer { ids in
            counts.withUnsafeMutableBufferPointer { counts in
                for row in ids.indices {
                    if far && row + Self.prefetchDistance < ids.count {
                        cells_prefetch(counts.baseAddress! + Int(ids[row + Self.prefetchDistance]))
                    }
                    counts[Int(ids[row])] += 1
                }
            }
        }
    }

    /// Adds every row's double to its group's sum, for a column without NULLs. With many
    /// groups, the lines of groups a few rows on are asked for first, so the misses of many
    /// rows overlap instead of holding each update up in turn.
    private mutating func addDoubles(_ ids: [Int32], _ v: [Double]) {
        // The buffers below are not bounds-checked in release builds: ids come from the
        // state's own table, which `grow(to:)` sized these arrays for; the values are the rows.
        precondition(v.count >= ids.count, "fewer values than rows")
        let far = counts.count >= Self.farGroups
        ids.withUnsafeBufferPointer { ids in
            v.withUnsafeBufferPointer { v in
                withSumBuffers { state in
                    for row in ids.indices {
                        if far && row + Self.prefetchDistance < ids.count { state.prefetch(Int(ids[row + Self.prefetchDistance])) }
                        let id = Int(ids[row])
                        state.add(v[row], to: id)
                        state.counts[id] += 1
                        state.seen[id] = true
                    }
                }
            }
        }
    }

    /// What a sum of doubles keeps per group, as buffers, for the loops over many rows.
    private struct SumBuffers {
        let sums: UnsafeMutableBufferPointer<Double>
        let compensation: UnsafeMutableBufferPointer<Double>
        let counts: UnsafeMutableBufferPointer<Int64>
        let seen: UnsafeMutableBufferPointer<Bool>

        /// Asks for group `id`'s lines.
        @inline(__always)
        func prefetch(_ id: Int) {
            cells_prefetch(sums.baseAddress! + id)
            cells_prefetch(compensation.baseAddress! + id)
            cells_prefetch(counts.baseAddress! + id)
            cells_prefetch(seen.baseAddress! + id)
        }

        @inline(__always)
        func add(_ x: Double, to id: Int) {
            AggregateState.add(x, to: &sums[id], &compensation[id])
        }
    }

    private mutating func withSumBuffers(_ body: (SumBuffers) -> Void) {
        doubles.withUnsafeMutableBufferPointer { sums in
            compensation.withUnsafeMutableBufferPointer { compensation in
                counts.withUnsafeMutableBufferPointer { counts in
                    seen.withUnsafeMutableBufferPointer { seen in
                        body(SumBuffers(sums: sums, compensation: compensation, counts: counts, seen: seen))
                    }
                }
            }
        }
    }

    /// Sentinel for a DECIMAL sum that overflowed: no in-range sum comes near it.
    static let overflowedSum = Int128.min

    /// 10^p of the sum's buffer type (DECIMAL(min(p + 10, 38), s)): a sum reaching it overflowed.
    var sumBound: Int128 {
        guard case .decimal(let p, let s)? = spec.argument?.type else { return .max }
        return DecimalArithmetic.powerOfTen(AggregateFunction.sum.resultType(for: .decimal(precision: p, scale: s)).decimalPrecision)
    }

    @inline(__always)
    private mutating func addDecimal(_ x: Int128, to id: Int, bound: Int128) {
        let sum = decimals[id]
        guard sum != Self.overflowedSum else { return }
        // Both terms are below 10^38 < 2^127 / 2 in magnitude: the addition itself cannot overflow.
        let t = sum &+ x
        decimals[id] = t >= bound || t <= -bound ? Self.overflowedSum : t
    }

    @inline(__always)
    private mutating func add(_ x: Double, to id: Int) {
        Self.add(x, to: &doubles[id], &compensation[id])
    }

    /// Neumaier's step: `x` added to `sum`, the rounding error it made to `compensation`.
    @inline(__always)
    private static func add(_ x: Double, to sum: inout Double, _ compensation: inout Double) {
        let t = sum + x
        // Past the double range the sum is ±Infinity (as Spark's) or NaN; a compensation
        // computed from it would be NaN and spoil an Infinity.
        if t.isFinite { compensation += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum }
        sum = t
    }

    private mutating func updateExtreme(_ ids: [Int32], _ input: Column, wantMax: Bool) {
        switch input.data {
        case .int128(let v):
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                let g = Int(id)
                if !seen[g] || (wantMax ? v[row] > decimals[g] : v[row] < decimals[g]) { decimals[g] = v[row] }
                seen[g] = true
            }
        case .int64(let v):
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                let g = Int(id)
                if !seen[g] || (wantMax ? v[row] > integers[g] : v[row] < integers[g]) { integers[g] = v[row] }
                seen[g] = true
            }
        case .double(let v):
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                let g = Int(id)
                let c = Comparison.order(v[row], doubles[g])
                if !seen[g] || (wantMax ? c > 0 : c < 0) { doubles[g] = v[row] }
                seen[g] = true
            }
        case .bool(let v):
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                let g = Int(id), x: Int64 = v[row] ? 1 : 0
                if !seen[g] || (wantMax ? x > integers[g] : x < integers[g]) { integers[g] = x }
                seen[g] = true
            }
        case .bytes(let v):
            v.bytes.withUnsafeBufferPointer { all in
                for (row, id) in ids.enumerated() where !input.isNull(row) {
                    let g = Int(id)
                    let candidate = UnsafeBufferPointer(rebasing: all[v.range(row)])
                    let better: Bool = if let current = strings[g] {
                        current.withUnsafeBufferPointer { c in
                            let order = Comparison.compareBytes(candidate, c)
                            return wantMax ? order > 0 : order < 0
                        }
                    } else { true }
                    if better { strings[g] = Array(candidate) }
                }
            }
        }
    }

    /// Folds another partial state of the same aggregate in: group `g` of `other` is group
    /// `ids[g]` here. What two threads computed over two halves of a batch becomes one.
    mutating func merge(_ other: AggregateState, into ids: [Int32]) {
        // The commonest aggregates, counts and sums of doubles, in loops of their own: a
        // merge runs on one thread after the lanes, over every group they made.
        // Partials' groups land all over a big state: as in an update, the groups a few
        // ahead are asked for first.
        let far = counts.count >= Self.farGroups
        switch spec.function {
        case .countAll, .count, .countIf:
            ids.withUnsafeBufferPointer { ids in
                counts.withUnsafeMutableBufferPointer { counts in
                    for (g, target) in ids.enumerated() {
                        if far && g + Self.prefetchDistance < ids.count {
                            cells_prefetch(counts.baseAddress! + Int(ids[g + Self.prefetchDistance]))
                        }
                        counts[Int(target)] += other.counts[g]
                    }
                }
            }
            return
        case .sum, .avg:
            guard decimals.isEmpty && !(spec.function == .sum && spec.resultType.storage == .int64) else { break }
            mergeDoubles(other, into: ids, far: far)
            return
        default:
            break
        }
        for (g, target) in ids.enumerated() {
            let t = Int(target)
            counts[t] += other.counts[g]
            switch spec.function {
            case .countAll, .count, .countIf: break  // merged above
            case .countDistinct, .sumDistinct, .avgDistinct: distinct[t].formUnion(other.distinct[g])
            case .stddevSamp, .stddevPop, .varSamp, .varPop, .boolAnd, .boolOr,
                 .first, .last, .firstIgnoreNulls, .lastIgnoreNulls, .minBy, .maxBy:
                // `counts` were added above; these need the counts before the merge.
                mergeExtended(other, g, into: t, countBefore: counts[t] - other.counts[g])
            case .percentileApprox: quantiles[t].merge(other.quantiles[g])
            // `other` holds later rows: its elements go after these, so a list keeps arrival order.
            case .collectList, .collectSet: collected[t].append(contentsOf: other.collected[g], distinct: spec.function == .collectSet)
            case .approxCountDistinct: sketches[t].merge(other.sketches[g])
            case .sum, .avg:
                guard other.seen[g] else { continue }
                // Sums of doubles were merged above: these are DECIMAL or BIGINT ones.
                if !decimals.isEmpty {
                    let theirs = other.decimals[g]
                    if theirs == Self.overflowedSum { decimals[t] = Self.overflowedSum } else { addDecimal(theirs, to: t, bound: sumBound) }
                } else {
                    integers[t] &+= other.integers[g]
                }
                seen[t] = true
            case .min, .max:
                let wantMax = spec.function == .max
                if !strings.isEmpty {
                    guard let candidate = other.strings[g] else { continue }
                    let better = strings[t].map { current in
                        let order = candidate.withUnsafeBufferPointer { c in current.withUnsafeBufferPointer { Comparison.compareBytes(c, $0) } }
                        return wantMax ? order > 0 : order < 0
                    } ?? true
                    if better { strings[t] = candidate }
                    continue
                }
                guard other.seen[g] else { continue }
                if !decimals.isEmpty {
                    if !seen[t] || (wantMax ? other.decimals[g] > decimals[t] : other.decimals[g] < decimals[t]) { decimals[t] = other.decimals[g] }
                } else if spec.resultType.storage == .double {
                    let c = Comparison.order(other.doubles[g], doubles[t])
                    if !seen[t] || (wantMax ? c > 0 : c < 0) { doubles[t] = other.doubles[g] }
                } else if !seen[t] || (wantMax ? other.integers[g] > integers[t] : other.integers[g] < integers[t]) {
                    integers[t] = other.integers[g]
                }
                seen[t] = true
            }
        }
    }

    /// ``merge(_:into:)`` for sums of doubles, over buffers.
    private mutating func mergeDoubles(_ other: AggregateState, into ids: [Int32], far: Bool) {
        // `ids` are this state's groups, which `grow(to:)` sized its arrays for.
        ids.withUnsafeBufferPointer { ids in
            withSumBuffers { state in
                for (g, target) in ids.enumerated() {
                    if far && g + Self.prefetchDistance < ids.count { state.prefetch(Int(ids[g + Self.prefetchDistance])) }
                    let t = Int(target)
                    state.counts[t] += other.counts[g]
                    guard other.seen[g] else { continue }
                    state.add(other.doubles[g], to: t)
                    state.add(other.compensation[g], to: t)
                    state.seen[t] = true
                }
            }
        }
    }

    /// The state of groups `ids` only, renumbered 0..<ids.count.
    func compacted(_ ids: [Int]) -> AggregateState {
        var copy = AggregateState(spec)
        copy.counts = ids.map { counts[$0] }
        copy.seen = ids.map { seen[$0] }
        if !integers.isEmpty { copy.integers = ids.map { integers[$0] } }
        if !decimals.isEmpty { copy.decimals = ids.map { decimals[$0] } }
        if !doubles.isEmpty { copy.doubles = ids.map { doubles[$0] } }
        if !compensation.isEmpty { copy.compensation = ids.map { compensation[$0] } }
        if !strings.isEmpty { copy.strings = ids.map { strings[$0] } }
        if !distinct.isEmpty { copy.distinct = ids.map { distinct[$0] } }
        if !sketches.isEmpty { copy.sketches = ids.map { sketches[$0] } }
        if values.count > 0 { copy.values = values.compacted(ids) }
        if orderings.count > 0 { copy.orderings = orderings.compacted(ids) }
        if !quantiles.isEmpty { copy.quantiles = ids.map { quantiles[$0] } }
        if !collected.isEmpty { copy.collected = ids.map { collected[$0] } }
        return copy
    }

    /// The aggregate's value for each group in `ids`.
    func result(_ ids: [Int]) -> Column {
        var out = Column(type: spec.resultType, capacity: ids.count)
        for g in ids {
            switch spec.function {
            case .countAll, .count, .countIf: out.append(counts[g])
            case .sumDistinct, .avgDistinct: appendDistinctSum(g, to: &out)
            case .stddevSamp, .stddevPop, .varSamp, .varPop, .boolAnd, .boolOr,
                 .first, .last, .firstIgnoreNulls, .lastIgnoreNulls, .minBy, .maxBy:
                appendExtended(g, to: &out)
            case .percentileApprox:
                guard let key = quantiles[g].quantile(spec.parameters.first ?? 0.5) else { out.appendNull(); continue }
                spec.resultType.storage == .double ? out.append(QuantileSketch.double(key)) : out.append(QuantileSketch.integer(key))
            case .countDistinct: out.append(Int64(distinct[g].count))
            // An empty group (only NULLs) is an empty array, as Spark's.
            case .collectList, .collectSet: collected[g].appendResult(to: &out)
            case .approxCountDistinct: out.append(sketches[g].estimate)
            case .sum:
                guard seen[g] else { out.appendNull(); continue }
                if !decimals.isEmpty {
                    decimals[g] == Self.overflowedSum ? out.appendNull() : out.append(decimals[g])
                } else if spec.resultType.storage == .int64 { out.append(integers[g]) } else { out.append(doubles[g] + compensation[g]) }
            case .avg:
                guard seen[g] else { out.appendNull(); continue }
                if !decimals.isEmpty {
                    guard decimals[g] != Self.overflowedSum, case .decimal(_, let s)? = spec.argument?.type,
                          case .decimal(let p2, let s2) = spec.resultType,
                          let mean = DecimalArithmetic.divide(decimals[g], scale: s, by: Int128(counts[g]), scale: 0,
                                                              resultScale: s2), mean.magnitude < DecimalArithmetic.powerOfTen(p2).magnitude
                    else { out.appendNull(); continue }
                    out.append(mean)
                    continue
                }
                out.append((doubles[g] + compensation[g]) / Double(counts[g]))
            case .min, .max:
                guard seen[g] || strings.indices.contains(g) && strings[g] != nil else { out.appendNull(); continue }
                switch spec.resultType.storage {
                case .int64: out.append(integers[g])
                case .int128: out.append(decimals[g])
                case .double: out.append(doubles[g])
                case .bool: out.append(integers[g] == 1)
                case .bytes: strings[g]!.withUnsafeBytes { out.append(bytes: $0) }
                }
            }
        }
        return out
    }
}

/// HyperLogLog with 2^9 registers (Spark's default relative error of 5%), with linear
/// counting for small cardinalities.
struct HyperLogLog: Sendable, Hashable {
    static let precision = 9
    var registers = [UInt8](repeating: 0, count: 1 << precision)

    mutating func add(_ hash: UInt64) {
        let index = Int(hash >> (64 - UInt64(Self.precision)))
        let rest = hash << UInt64(Self.precision) | (1 << (UInt64(Self.precision) - 1))
        let rank = UInt8(rest.leadingZeroBitCount + 1)
        if rank > registers[index] { registers[index] = rank }
    }

    mutating func merge(_ other: HyperLogLog) {
        for i in registers.indices where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
    }

    var estimate: Int64 {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 {
            return Int64((m * log(m / Double(zeros))).rounded())
        }
        return Int64(raw.rounded())
    }
}
