/// AND, OR, NOT, COALESCE and CASE, with SQL's three-valued logic.
enum Logic {
    static func connective(_ op: ScalarFunction, _ a: Column, _ b: Column) -> Column {
        // The planner casts operands to BOOLEAN; anything else is unknown, so NULL, not a trap.
        guard case .bool(let x) = a.data, case .bool(let y) = b.data else { return allNull(a.count) }
        let n = x.count
        var out = [Bool](repeating: false, count: n)
        var validity: [Bool] = []
        for i in 0..<n {
            let an = a.isNull(i), bn = b.isNull(i)
            if op == .and {
                // false AND anything is false; true AND NULL is NULL.
                if (!an && !x[i]) || (!bn && !y[i]) { out[i] = false } else if an || bn { markNull(&validity, i, count: n) } else { out[i] = true }
            } else {
                if (!an && x[i]) || (!bn && y[i]) { out[i] = true } else if an || bn { markNull(&validity, i, count: n) } else { out[i] = false }
            }
        }
        return Column(type: .boolean, data: .bool(out), validity: validity)
    }

    static func not(_ a: Column) -> Column {
        guard case .bool(let x) = a.data else { return allNull(a.count) }
        return Column(type: .boolean, data: .bool(x.map { !$0 }), validity: a.validity)
    }

    /// A BOOLEAN column of `count` NULLs.
    private static func allNull(_ count: Int) -> Column {
        Column(type: .boolean, data: .bool(Array(repeating: false, count: count)), validity: Array(repeating: false, count: count))
    }

    static func coalesce(_ inputs: [Column], type: SQLType, count: Int) -> Column {
        var out = Column(type: type, capacity: count)
        for i in 0..<count {
            out.append(inputs.first { !$0.isNull(i) }?.value(at: i) ?? .null)
        }
        return out
    }

    static func caseWhen(_ inputs: [Column], type: SQLType, count: Int) -> Column {
        var out = Column(type: type, capacity: count)
        let pairs = (inputs.count - 1) / 2
        for i in 0..<count {
            var chosen = inputs[inputs.count - 1]
            for p in 0..<pairs {
                let condition = inputs[2 * p]
                if !condition.isNull(i), case .bool(let v) = condition.data, v[i] {
                    chosen = inputs[2 * p + 1]
                    break
                }
            }
            out.append(chosen.value(at: i))
        }
        return out
    }
}
