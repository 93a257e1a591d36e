#if canImport(Glibc)
import Glibc
#endif

/// The statistical, boolean, first/last and min_by/max_by aggregates, and the DISTINCT sums.
///
/// Arrays they share with the older aggregates (so snapshots, deltas and compaction carry
/// them without a format change):
/// - variance and standard deviation: `counts` n, `doubles` the mean, `compensation` M2 (the
///   sum of squared deviations from the mean), updated as Welford and merged as Chan et al.,
///   in the very expressions of Spark's CentralMomentAgg, so Infinity and NaN come out where
///   Spark's do;
/// - count_if: `counts`; bool_and/bool_or: `integers` (1 or 0) and `seen`;
/// - first/last: `counts` (rows taken, so a first NULL is kept when nulls are respected) and
///   `values`; min_by/max_by: `seen` (an ordering was seen), `values` and `orderings`.
///
/// first/last follow arrival order. On one thread that is offset order; a fused scan's
/// threads each aggregate their share of a batch and are merged in thread order, and a
/// later batch always merges after an earlier one, so across batches "first" is first in
/// offset order, within a batch first in the order the scan handed rows to its threads. Spark
/// calls the result non-deterministic for the same reason.
extension AggregateState {
    mutating func updateExtended(_ ids: [Int32], _ input: Column, ordering: Column?) {
        switch spec.function {
        case .stddevSamp, .stddevPop, .varSamp, .varPop:
            let v = Arithmetic.doubles(input)
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                let g = Int(id)
                let n = Double(counts[g] + 1)
                let delta = v[row] - doubles[g]
                let deltaN = delta / n
                doubles[g] += deltaN
                compensation[g] += delta * (delta - deltaN)
                counts[g] += 1
            }
        case .countIf:
            guard case .bool(let v) = input.data else { return }
            for (row, id) in ids.enumerated() where v[row] && !input.isNull(row) { counts[Int(id)] += 1 }
        case .boolAnd, .boolOr:
            guard case .bool(let v) = input.data else { return }
            let isAnd = spec.function == .boolAnd
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                let g = Int(id), x: Int64 = v[row] ? 1 : 0
                integers[g] = !seen[g] ? x : (isAnd ? integers[g] & x : integers[g] | x)
                seen[g] = true
            }
        case .first:
            for (row, id) in ids.enumerated() where counts[Int(id)] == 0 {
                values.set(Int(id), from: input, row: row)
                counts[Int(id)] = 1
            }
        case .firstIgnoreNulls:
            for (row, id) in ids.enumerated() where counts[Int(id)] == 0 && !input.isNull(row) {
                values.set(Int(id), from: input, row: row)
                counts[Int(id)] = 1
            }
        case .last:
            // A string is copied into the group's buffer, whose capacity is kept: no allocation
            // per row once it is large enough.
            for (row, id) in ids.enumerated() {
                values.set(Int(id), from: input, row: row)
                counts[Int(id)] = 1
            }
        case .lastIgnoreNulls:
            for (row, id) in ids.enumerated() where !input.isNull(row) {
                values.set(Int(id), from: input, row: row)
                counts[Int(id)] = 1
            }
        case .minBy, .maxBy:
            guard let ordering else { return }
            let sign = spec.function == .minBy ? -1 : 1
            // Rows whose ordering is NULL are skipped; on ties the first row stays.
            for (row, id) in ids.enumerated() where !ordering.isNull(row) {
                let g = Int(id)
                if !seen[g] || orderings.order(ordering, row, against: g) * sign > 0 {
                    orderings.set(g, from: ordering, row: row)
                    values.set(g, from: input, row: row)
                    seen[g] = true
                }
            }
        default:
            break
        }
    }

    /// Folds group `g` of `other` into group `t`; `countBefore` is `t`'s count before the
    /// merge added `other`'s. `other` holds rows that arrived after this state's.
    mutating func mergeExtended(_ other: AggregateState, _ g: Int, into t: Int, countBefore: Int64) {
        switch spec.function {
        case .stddevSamp, .stddevPop, .varSamp, .varPop:
            let n2 = Double(other.counts[g])
            guard n2 > 0 else { return }
            let n1 = Double(countBefore)
            let n = n1 + n2
            let delta = other.doubles[g] - doubles[t]
            let deltaN = n == 0 ? 0 : delta / n
            doubles[t] += deltaN * n2
            compensation[t] = compensation[t] + other.compensation[g] + delta * deltaN * n1 * n2
        case .boolAnd, .boolOr:
            guard other.seen[g] else { return }
            let x = other.integers[g]
            integers[t] = !seen[t] ? x : (spec.function == .boolAnd ? integers[t] & x : integers[t] | x)
            seen[t] = true
        case .first, .firstIgnoreNulls:
            if countBefore == 0 && other.counts[g] > 0 { values.set(t, from: other.values, g) }
            counts[t] = Swift.min(counts[t], 1)
        case .last, .lastIgnoreNulls:
            if other.counts[g] > 0 { values.set(t, from: other.values, g) }
            counts[t] = Swift.min(counts[t], 1)
        case .minBy, .maxBy:
            guard other.seen[g] else { return }
            let sign = spec.function == .minBy ? -1 : 1
            if !seen[t] || orderings.order(other.orderings, g, against: t) * sign > 0 {
                orderings.set(t, from: other.orderings, g)
                values.set(t, from: other.values, g)
                seen[t] = true
            }
        default:
            break
        }
    }

    func appendExtended(_ g: Int, to out: inout Column) {
        switch spec.function {
        case .varPop, .stddevPop:
            guard counts[g] > 0 else { out.appendNull(); return }
            let variance = compensation[g] / Double(counts[g])
            out.append(spec.function == .varPop ? variance : sqrt(variance))
        case .varSamp, .stddevSamp:
            // Spark 3.5 (spark.sql.legacy.statisticalAggregate=false): NULL below two rows.
            guard counts[g] > 1 else { out.appendNull(); return }
            let variance = compensation[g] / Double(counts[g] - 1)
            out.append(spec.function == .varSamp ? variance : sqrt(variance))
        case .boolAnd, .boolOr:
            seen[g] ? out.append(integers[g] == 1) : out.appendNull()
        case .first, .last, .firstIgnoreNulls, .lastIgnoreNulls:
            values.append(g, to: &out)
        case .minBy, .maxBy:
            seen[g] ? values.append(g, to: &out) : out.appendNull()
        default:
            out.appendNull()
        }
    }

    /// `sum(DISTINCT x)` / `avg(DISTINCT x)` of group `g`: its distinct values (as the group
    /// table encodes them: a presence byte, then the value's words) summed in ascending order,
    /// so the result does not depend on arrival order.
    func appendDistinctSum(_ g: Int, to out: inout Column) {
        let set = distinct[g]
        guard !set.isEmpty else { out.appendNull(); return }
        let n = Int64(set.count)
        func word(_ key: [UInt8], _ at: Int) -> UInt64 {
            var w: UInt64 = 0
            for i in 0..<8 where at + i < key.count { w |= UInt64(key[at + i]) << UInt64(8 * i) }
            return w
        }
        switch spec.argument?.type.storage {
        case .int128?:
            let bound = sumBound
            var sum: Int128 = 0
            for key in set {
                let x = Int128(bitPattern: UInt128(word(key, 9)) << 64 | UInt128(word(key, 1)))
                // Both below 10^38 < 2^126 in magnitude: the addition cannot overflow.
                sum = sum &+ x
                if sum >= bound || sum <= -bound { out.appendNull(); return }
            }
            if spec.function == .sumDistinct { out.append(sum); return }
            guard case .decimal(_, let s)? = spec.argument?.type, case .decimal(let p2, let s2) = spec.resultType,
                  let mean = DecimalArithmetic.divide(sum, scale: s, by: Int128(n), scale: 0, resultScale: s2),
                  mean.magnitude < DecimalArithmetic.powerOfTen(p2).magnitude
            else { out.appendNull(); return }
            out.append(mean)
        case .int64? where spec.resultType.storage == .int64:
            // bigint sums wrap on overflow, as Spark's non-ANSI sum (and `sum` here) does.
            var sum: Int64 = 0
            for key in set { sum &+= Int64(bitPattern: word(key, 1)) }
            out.append(sum)
        default:
            let sorted = set.map { key in
                spec.argument?.type.storage == .int64 ? Double(Int64(bitPattern: word(key, 1))) : Double(bitPattern: word(key, 1))
            }.sorted()
            var sum = 0.0, c = 0.0
            for x in sorted {
                let t = sum + x
                if t.isFinite { c += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum }
                sum = t
            }
            let total = sum + c
            out.append(spec.function == .sumDistinct ? total : total / Double(n))
        }
    }
}

extension AggregateState {
    /// percentile_approx's relative rank error: 1 / accuracy (Spark's meaning of accuracy).
    var quantileError: Double {
        spec.parameters.count > 1 && spec.parameters[1] >= 1 ? 1 / spec.parameters[1] : 1.0 / 10_000
    }
}
