@testable import CellKernel

// Evaluating SQL expressions over small columns, shared by the row-function, overflow,
// DECIMAL and hostile-argument suites.

/// A column of `type` holding `values`.
func column(_ type: SQLType, _ values: [Value]) -> Column {
    var c = Column(type: type, capacity: values.count)
    values.forEach { c.append($0) }
    return c
}

/// Parses, binds and evaluates SQL text over named columns (one row when there are none).
func evaluateSQL(_ text: String, over columns: [(String, SQLType, [Value])]) throws -> (type: SQLType, result: Column) {
    let binder = Binder(columns: columns.map { Binder.Column(name: $0.0, type: $0.1) })
    let bound = try binder.bind(try SQLParser.parseExpression(text))
    let data = columns.map { column($0.1, $0.2) }
    return (bound.type, Evaluator.evaluate(bound, columns: data, count: data.first?.count ?? 1))
}

/// The values of `text` evaluated over named columns.
func sql(_ text: String, _ columns: (String, SQLType, [Value])...) throws -> [Value] {
    try evaluateSQL(text, over: columns).result.values
}
