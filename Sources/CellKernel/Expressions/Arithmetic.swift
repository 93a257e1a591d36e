/// `+ - * / %` and unary minus, with Spark's non-ANSI results: integer overflow wraps, and
/// division or remainder by zero is NULL.
enum Arithmetic {
    static func binary(_ op: ScalarFunction, _ a: Column, _ b: Column, type: SQLType) -> Column {
        if case .decimal = type { return DecimalArithmetic.binary(op, a, b, type: type) }
        var validity = combinedValidity(a, b)
        switch (a.data, b.data) {
        case (.int64(let x), .int64(let y)) where type.storage == .int64:
            var out = [Int64](repeating: 0, count: x.count)
            for i in x.indices {
                switch op {
                case .add: out[i] = x[i] &+ y[i]
                case .subtract: out[i] = x[i] &- y[i]
                case .multiply: out[i] = x[i] &* y[i]
                case .remainder:
                    // Long.MinValue % -1 is 0 in Java, not an overflow.
                    if y[i] == 0 { markNull(&validity, i, count: x.count) } else { out[i] = x[i].remainderReportingOverflow(dividingBy: y[i]).partialValue }
                default: preconditionFailure("integer \(op)")
                }
            }
            if type == .int { for i in out.indices { out[i] = Int64(Int32(truncatingIfNeeded: out[i])) } }
            return Column(type: type, data: .int64(out), validity: validity)
        default:
            let x = doubles(a), y = doubles(b)
            var out = [Double](repeating: 0, count: x.count)
            for i in x.indices {
                switch op {
                case .add: out[i] = x[i] + y[i]
                case .subtract: out[i] = x[i] - y[i]
                case .multiply: out[i] = x[i] * y[i]
                case .divide, .remainder:
                    if y[i] == 0 {
                        markNull(&validity, i, count: x.count)
                    } else {
                        out[i] = op == .divide ? x[i] / y[i] : x[i].truncatingRemainder(dividingBy: y[i])
                    }
                default: preconditionFailure("double \(op)")
                }
            }
            if type == .float { for i in out.indices { out[i] = Double(Float(out[i])) } }
            return Column(type: type, data: .double(out), validity: validity)
        }
    }

    static func negate(_ a: Column, type: SQLType) -> Column {
        switch a.data {
        case .int64(let x): Column(type: type, data: .int64(x.map { 0 &- $0 }), validity: a.validity)
        // At most 38 digits: the negation always fits.
        case .int128(let x): Column(type: type, data: .int128(x.map { 0 &- $0 }), validity: a.validity)
        case .double(let x): Column(type: type, data: .double(x.map { -$0 }), validity: a.validity)
        default: preconditionFailure("negate \(a.type)")
        }
    }

    /// A numeric column's values as doubles (the planner casts before mixing kinds).
    static func doubles(_ c: Column) -> [Double] {
        switch c.data {
        case .double(let v): v
        case .int64(let v): v.map(Double.init)
        case .int128(let v):
            v.map { DecimalArithmetic.double($0, scale: DecimalArithmetic.scale(of: c.type)) }
        default: preconditionFailure("numeric column expected, found \(c.type)")
        }
    }
}
