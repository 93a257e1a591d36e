/// Comparisons. Strings compare bytewise (UTF-8 order, as Spark's UTF8String); a NULL on
/// either side makes the result NULL, except for `<=>`.
enum Comparison {
    static func compare(_ op: ScalarFunction, _ a: Column, _ b: Column) -> Column {
        let n = a.count
        var out = [Bool](repeating: false, count: n)
        switch (a.data, b.data) {
        case (.int64(let x), .int64(let y)):
            for i in 0..<n { out[i] = holds(op, x[i] < y[i] ? -1 : (x[i] == y[i] ? 0 : 1)) }
        case (.double(let x), .double(let y)):
            for i in 0..<n { out[i] = holds(op, order(x[i], y[i])) }
        case (.int128(let x), .int128(let y)) where a.type == b.type:
            for i in 0..<n { out[i] = holds(op, x[i] < y[i] ? -1 : (x[i] == y[i] ? 0 : 1)) }
        case (.int128, _), (_, .int128):
            // Different scales (the binder casts to one type, so only for callers that do not).
            let x = Arithmetic.doubles(a), y = Arithmetic.doubles(b)
            for i in 0..<n { out[i] = holds(op, order(x[i], y[i])) }
        case (.bool(let x), .bool(let y)):
            for i in 0..<n { out[i] = holds(op, x[i] == y[i] ? 0 : (!x[i] ? -1 : 1)) }
        case (.bytes(let x), .bytes(let y)):
            x.bytes.withUnsafeBufferPointer { xb in
                y.bytes.withUnsafeBufferPointer { yb in
                    for i in 0..<n {
                        let r = x.range(i), s = y.range(i)
                        out[i] = holds(op, compareBytes(UnsafeBufferPointer(rebasing: xb[r]), UnsafeBufferPointer(rebasing: yb[s])))
                    }
                }
            }
        case (.int64, .double), (.double, .int64):
            let x = Arithmetic.doubles(a), y = Arithmetic.doubles(b)
            for i in 0..<n { out[i] = holds(op, order(x[i], y[i])) }
        default:
            preconditionFailure("cannot compare \(a.type) with \(b.type)")
        }
        if op == .nullSafeEqual {
            for i in 0..<n {
                let an = a.isNull(i), bn = b.isNull(i)
                if an || bn { out[i] = an && bn }
            }
            return Column(type: .boolean, data: .bool(out))
        }
        return Column(type: .boolean, data: .bool(out), validity: combinedValidity(a, b))
    }

    static func isComparison(_ op: ScalarFunction) -> Bool {
        switch op {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .nullSafeEqual: true
        default: false
        }
    }

    /// A STRING column against a non-NULL string constant: NULL where the column is.
    static func compare(_ op: ScalarFunction, _ a: Column, text: [UInt8]) -> Column {
        guard case .bytes(let x) = a.data else { preconditionFailure("compare \(a.type) with text") }
        let n = a.count
        var out = [Bool](repeating: false, count: n)
        x.bytes.withUnsafeBufferPointer { xb in
            x.offsets.withUnsafeBufferPointer { offsets in
                text.withUnsafeBufferPointer { t in
                    out.withUnsafeMutableBufferPointer { out in
                        for i in 0..<n {
                            let from = Int(offsets[i]), to = Int(offsets[i + 1])
                            if op == .equal || op == .notEqual {
                                // Equality needs no ordering: lengths first, then the bytes.
                                let same = to - from == t.count
                                    && (t.isEmpty || memcmpEqual(xb.baseAddress! + from, t.baseAddress!, t.count))
                                out[i] = same == (op == .equal)
                            } else {
                                out[i] = holds(op, compareBytes(UnsafeBufferPointer(rebasing: xb[from..<to]), t))
                            }
                        }
                    }
                }
            }
        }
        return Column(type: .boolean, data: .bool(out), validity: a.validity)
    }

    /// Spark orders NaN above every other double and equal to itself.
    @inline(__always)
    static func order(_ x: Double, _ y: Double) -> Int {
        if x < y { return -1 }
        if x > y { return 1 }
        if x == y { return 0 }
        return x.isNaN ? (y.isNaN ? 0 : 1) : -1
    }

    @inline(__always)
    static func holds(_ op: ScalarFunction, _ c: Int) -> Bool {
        switch op {
        case .equal, .nullSafeEqual: c == 0
        case .notEqual: c != 0
        case .less: c < 0
        case .lessOrEqual: c <= 0
        case .greater: c > 0
        case .greaterOrEqual: c >= 0
        default: false
        }
    }

    @inline(__always)
    static func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        for i in 0..<common where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// `x IN (list)`: true if equal to an element; else NULL if `x` or any element is NULL;
    /// else false (SQL's three-valued IN).
    static func inList(_ x: Column, _ list: ArraySlice<Column>, count: Int) -> Column {
        var found = [Bool](repeating: false, count: count)
        var sawNull = [Bool](repeating: false, count: count)
        for element in list {
            let eq = compare(.equal, x, element)
            guard case .bool(let v) = eq.data else { continue }
            for i in 0..<count {
                if eq.isNull(i) { sawNull[i] = true } else if v[i] { found[i] = true }
            }
        }
        var validity: [Bool] = []
        for i in 0..<count where !found[i] && sawNull[i] { markNull(&validity, i, count: count) }
        return Column(type: .boolean, data: .bool(found), validity: validity)
    }
}
