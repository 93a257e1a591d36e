/// A physical operator of the local engine. Once per micro-batch, the driver asks the root
/// for its rows; each operator asks its inputs for theirs and transforms them: a tree of
/// operators run in pull order, one batch at a time.
///
/// Stateless operators (filter, project, window) are also applied a chunk at a time inside
/// a fused scan (``RowStep``); stateful ones keep what must outlive a batch behind
/// ``StatefulOperator``.
protocol BatchOperator: AnyObject {
    /// The columns of the rows this operator produces.
    var schema: Schema { get }
    var inputs: [any BatchOperator] { get }
    /// This micro-batch's rows.
    func next(_ context: inout BatchContext) throws -> Batch
    /// One line for EXPLAIN's physical plan.
    var explainLine: String { get }
    /// The operator's line, and a line for what it reads when that is not an operator of
    /// its own (a fused scan under its aggregation).
    var explainParts: (line: String, below: String?) { get }
}

/// What every operator of a batch shares: how results are emitted, the watermark the batch
/// started with, and counts for the progress line.
struct BatchContext {
    var mode: OutputMode
    /// The watermark as it stood when the batch began: what closes windows and marks rows late.
    var watermark: Int64
    var lateRows = 0
    /// Rows left out of every window: their event time is too extreme for a window to hold it.
    var outOfRangeTimes = 0
}

/// An operator whose state outlives a micro-batch: what a snapshot saves and restores, one
/// operator at a time.
protocol StatefulOperator: AnyObject {
    /// What the state means (keys, aggregates, window): a snapshot restores only into an
    /// operator with the same signature.
    var stateSignature: String { get }
    var stateBytes: [UInt8] { get }
    func restoreState(_ bytes: [UInt8]) throws
    /// About how much memory the state holds, and in how many rows.
    var estimatedStateBytes: Int { get }
    var stateRows: Int { get }

    /// The changes since the last ``markCheckpointed()``, as bytes ``applyStateDelta(_:)``
    /// takes: what an incremental checkpoint saves. Nil when the operator keeps no record of
    /// its changes; a checkpoint then saves all of ``stateBytes``.
    var stateDelta: [UInt8]? { get }
    /// About what share of the state changed since the last ``markCheckpointed()`` (0...1);
    /// nil when unknown. Past half, a checkpoint saves the whole state: a delta that size
    /// costs more to build and to restore than it saves.
    var changedShare: Double? { get }
    /// Applies a delta taken by ``stateDelta`` to the state it was taken after.
    func applyStateDelta(_ bytes: [UInt8]) throws
    /// The state as it stands is saved: the next delta starts from here.
    func markCheckpointed()
    /// ``stateBytes`` as it stands now, to be encoded later, on another thread: an operator
    /// whose state is a value captures it, and the next batch's changes copy what they
    /// touch, if the encoding still holds it then. By default, encoded now.
    var stateEncoding: @Sendable () -> [UInt8] { get }
}

extension StatefulOperator {
    var stateEncoding: @Sendable () -> [UInt8] {
        let bytes = stateBytes
        return { bytes }
    }
    var stateDelta: [UInt8]? { nil }
    var changedShare: Double? { nil }
    func applyStateDelta(_ bytes: [UInt8]) throws {
        throw SnapshotError.corrupt("\(stateSignature) keeps no deltas, but the checkpoint holds one for it")
    }
    func markCheckpointed() {}
}

extension BatchOperator {
    /// The physical plan below this operator, one line per operator, in EXPLAIN's style.
    func explainTree() -> String {
        var lines: [String] = []
        func walk(_ op: any BatchOperator, _ prefix: String, _ childPrefix: String) {
            let (line, below) = op.explainParts
            lines.append(prefix + line)
            if let below { lines.append(childPrefix + "+- " + below) }
            for input in op.inputs { walk(input, childPrefix + "+- ", childPrefix + "   ") }
        }
        walk(self, "", "")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every operator of the tree, root first.
    func allOperators() -> [any BatchOperator] {
        [self] + inputs.flatMap { $0.allOperators() }
    }

    /// Most operators are one line.
    var explainParts: (line: String, below: String?) { (explainLine, nil) }
}

/// A stateless step over a chunk of rows: the operators a fused scan runs per chunk, on
/// whichever thread decoded the chunk.
enum RowStep: Sendable {
    case filter(BoundExpression)
    case project([BoundExpression], Schema)
    case window(WindowSpec)
    /// A stream-static join's probe of its hashed table.
    case probe(HashJoinProbe)

    func apply(_ batch: Batch, outOfRange: inout Int) -> Batch {
        switch self {
        case .filter(let condition):
            return batch.filter(condition)
        case .project(let expressions, let schema):
            return Batch(schema: schema, columns: expressions.map { Evaluator.evaluate($0, on: batch) })
        case .window(let spec):
            let (windowed, dropped) = WindowOperator.assign(batch, spec)
            outOfRange += dropped
            return windowed
        case .probe(let join):
            return join.apply(batch)
        }
    }

    func describe(columns: [String]) -> String {
        switch self {
        case .filter(let condition): "Filter \(condition.sqlText(columns: columns))"
        case .project(let expressions, let schema): "Project " + projectionText(expressions, schema, columns: columns)
        case .window(let spec): "Window \(spec.time.sqlText(columns: columns)) size \(describeInterval(spec.sizeMicros))"
        case .probe(let join): "HashJoin \(join.shape.kindName) (the table hashed once, probed in the scan)"
        }
    }

    func outputSchema(_ input: Schema) -> Schema {
        switch self {
        case .filter: input
        case .project(_, let schema): schema
        case .window: Schema(input.fields + [.init(name: "window", type: .timestamp)])
        case .probe(let join): join.shape.schema
        }
    }
}

/// Filter, project or window as an operator of the tree (above an aggregation, or over a table).
final class RowOperator: BatchOperator {
    let step: RowStep
    let input: any BatchOperator
    let schema: Schema

    init(_ step: RowStep, input: any BatchOperator) {
        self.step = step
        self.input = input
        schema = step.outputSchema(input.schema)
    }

    var inputs: [any BatchOperator] { [input] }

    func next(_ context: inout BatchContext) throws -> Batch {
        step.apply(try input.next(&context), outOfRange: &context.outOfRangeTimes)
    }

    var explainLine: String { step.describe(columns: input.schema.fields.map(\.name)) }
}

/// ORDER BY and LIMIT over a batch's result (small: results, not input): a complete result
/// every batch, or a table.
final class SortOperator: BatchOperator {
    let keys: [SortKey]
    let limit: Int?
    let input: any BatchOperator

    init(keys: [SortKey], limit: Int?, input: any BatchOperator) {
        self.keys = keys
        self.limit = limit
        self.input = input
    }

    var schema: Schema { input.schema }
    var inputs: [any BatchOperator] { [input] }

    func next(_ context: inout BatchContext) throws -> Batch {
        let batch = try input.next(&context)
        return Batch(schema: batch.schema, columns: Self.sorted(batch.columns, by: keys, limit: limit))
    }

    var explainLine: String {
        let shown = keys.map { "\(schema.fields[$0.column].name) \($0.ascending ? "ASC" : "DESC")" }
        return [keys.isEmpty ? nil : "Sort [\(shown.joined(separator: ", "))]", limit.map { "Limit \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    static func sorted(_ columns: [Column], by keys: [SortKey], limit: Int?) -> [Column] {
        let count = columns.first?.count ?? 0
        guard !keys.isEmpty || (limit.map { $0 < count } ?? false) else { return columns }
        var order = Array(0..<count)
        if !keys.isEmpty {
            let values = keys.map { key in columns[key.column].values }
            order.sort { a, b in
                for (k, key) in keys.enumerated() {
                    let x = values[k][a], y = values[k][b]
                    if x == y { continue }
                    if x.isNull || y.isNull { return x.isNull == key.nullsFirst }
                    let less = Value.less(x, y)
                    return key.ascending ? less : !less
                }
                return a < b
            }
        }
        if let limit { order = Array(order.prefix(limit)) }
        return columns.map { $0.gather(order) }
    }
}

/// LIMIT in append mode: every batch adds rows to one result, so the limit counts the whole
/// stream's rows, as Spark's streaming global limit does. Once `limit` rows have been emitted,
/// later batches emit none.
final class StreamLimitOperator: BatchOperator, StatefulOperator {
    let limit: Int
    let input: any BatchOperator
    /// Rows emitted so far.
    private var emitted = 0

    init(limit: Int, input: any BatchOperator) {
        self.limit = limit
        self.input = input
    }

    var schema: Schema { input.schema }
    var inputs: [any BatchOperator] { [input] }

    func next(_ context: inout BatchContext) throws -> Batch {
        let batch = try input.next(&context)
        let rows = SortOperator.sorted(batch.columns, by: [], limit: max(0, limit - emitted))
        emitted += rows.first?.count ?? 0
        return Batch(schema: batch.schema, columns: rows)
    }

    var explainLine: String { "Limit \(limit) (over the whole stream)" }

    var stateSignature: String { "LIMIT \(limit) over the stream" }

    var stateBytes: [UInt8] { withUnsafeBytes(of: Int64(emitted).littleEndian) { Array($0) } }

    func restoreState(_ bytes: [UInt8]) throws {
        guard bytes.count == 8 else { throw SnapshotError.corrupt("a limit's state is 8 bytes, not \(bytes.count)") }
        let value = bytes.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
        guard value >= 0 else { throw SnapshotError.corrupt("a limit has emitted \(value) rows") }
        emitted = Int(clamping: value)
    }

    var estimatedStateBytes: Int { 0 }
    var stateRows: Int { 0 }
}

/// UNION ALL: every input's rows of this batch, one after the other.
final class UnionOperator: BatchOperator {
    let inputs: [any BatchOperator]
    let schema: Schema

    init(inputs: [any BatchOperator], schema: Schema) {
        self.inputs = inputs
        self.schema = schema
    }

    func next(_ context: inout BatchContext) throws -> Batch {
        var columns = schema.fields.map { Column(type: $0.type) }
        for input in inputs {
            let batch = try input.next(&context)
            for index in columns.indices { columns[index].append(contentsOf: batch.columns[index]) }
        }
        return Batch(schema: schema, columns: columns)
    }

    var explainLine: String { "UnionAll" }
}

/// A table read whole: what SELECT at the prompt runs over.
final class TableScanOperator: BatchOperator {
    let name: String
    let table: Batch

    init(name: String, table: Batch) {
        self.name = name
        self.table = table
    }

    var schema: Schema { table.schema }
    var inputs: [any BatchOperator] { [] }
    func next(_ context: inout BatchContext) throws -> Batch { table }
    var explainLine: String { "Scan table \(name) [\(schema.fields.map(\.name).joined(separator: ", "))]" }
}

extension Value {
    /// SQL ordering of two non-NULL values of one type.
    static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): x < y
        case let (.decimal(x), .decimal(y)): x < y
        case let (.double(x), .double(y)): Comparison.order(x, y) < 0
        case let (.string(x), .string(y)): Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case let (.bool(x), .bool(y)): !x && y
        default: false
        }
    }
}
