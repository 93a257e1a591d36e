/// Spark's `Generate` over a batch: each input row as zero or more output rows (explode,
/// posexplode and their `_outer` forms), or exactly one (json_tuple).
///
/// Stateless and columnar: one pass over the argument column records, for every output row,
/// which input row it repeats (a list of row indices the input columns are then gathered by)
/// and appends the generated values straight into typed columns. Nothing is boxed per row
/// or per element, so a row whose array holds a million elements costs a million appends.
final class GenerateOperator: BatchOperator {
    let spec: GenerateSpec
    let input: any BatchOperator
    let schema: Schema

    init(_ spec: GenerateSpec, schema: Schema, input: any BatchOperator) {
        self.spec = spec
        self.schema = schema
        self.input = input
    }

    var inputs: [any BatchOperator] { [input] }

    func next(_ context: inout BatchContext) throws -> Batch {
        try Self.apply(spec, to: try input.next(&context), schema: schema)
    }

    /// The most rows one batch's generator may produce: past it memory, not the query, decides.
    static let maximumRows = 50_000_000

    var explainLine: String {
        let keys = spec.keys.map { ", '\($0)'" }.joined()
        let names = input.schema.fields.map(\.name)
        return "Generate \(spec.sqlName)(\(spec.argument.sqlText(columns: names))\(keys)) AS [\(spec.fields.map(\.name).joined(separator: ", "))]"
    }

    /// The generated rows of `batch`: its columns repeated, then the generated columns.
    static func apply(_ spec: GenerateSpec, to batch: Batch, schema: Schema) throws(GenerateError) -> Batch {
        let argument = Evaluator.evaluate(spec.argument, on: batch)
        var generated = spec.fields.map { Column(type: $0.type, capacity: batch.count) }
        let rows: [Int]
        switch spec.function {
        case .explode, .posexplode:
            rows = explode(argument, positions: spec.function == .posexplode, outer: spec.outer, into: &generated)
        case .jsonTuple:
            JSONTuple.extract(argument, keys: spec.keys, into: &generated)
            rows = Array(0..<batch.count)
        }
        let unread = Set(spec.unread)
        if rows.count > maximumRows {
            throw GenerateError("\(spec.sqlName)() made \(rows.count) rows out of one batch of \(batch.count); at most \(maximumRows) are allowed",
                                hint: "read smaller batches (the source's maxOffsetsPerTrigger), or filter the rows before exploding them")
        }
        // Text columns hold at most 2 GiB a batch (32-bit offsets): a column repeated per element
        // (`SELECT arr, explode(arr)`) can pass that long before memory runs out.
        for (c, column) in batch.columns.enumerated() where !unread.contains(c) && rows.count != batch.count {
            guard case .bytes(let vector) = column.data else { continue }
            var total = 0
            for r in rows { total += vector.range(r).count }
            if total > Int(Int32.max) {
                throw GenerateError("\(spec.sqlName)() would repeat column \(batch.schema.fields[c].name) into \(total) bytes in one batch; at most \(Int32.max) fit",
                                    hint: "do not select the exploded column itself beside its elements, or read smaller batches (maxOffsetsPerTrigger)")
            }
        }
        let repeated = rows.count == batch.count && spec.function == .jsonTuple ? batch.columns
            : batch.columns.enumerated().map { c, column in unread.contains(c) ? nulls(column.type, rows.count) : column.gather(rows) }
        return Batch(schema: schema, columns: repeated + generated)
    }

    /// A column of `count` NULLs: what stands for an input column nothing above reads.
    static func nulls(_ type: SQLType, _ count: Int) -> Column {
        let data: ColumnData = switch type.storage {
        case .int64: .int64(Array(repeating: 0, count: count))
        case .int128: .int128(Array(repeating: 0, count: count))
        case .double: .double(Array(repeating: 0, count: count))
        case .bool: .bool(Array(repeating: false, count: count))
        case .bytes:
            .bytes({ var v = ByteVector(capacity: count, averageLength: 0); for _ in 0..<count { v.appendEmpty() }; return v }())
        }
        return Column(type: type, data: data, validity: Array(repeating: false, count: count))
    }

    /// Appends the elements (or entries) of every row of `argument` to `columns` (`pos` first
    /// when `positions`), and returns the input row of each output row.
    ///
    /// A row whose bytes do not read as its type (a corrupt slice: the encoding is checked,
    /// never trusted) generates what it had read up to the fault, and then stops: no trap.
    static func explode(_ argument: Column, positions: Bool, outer: Bool, into columns: inout [Column]) -> [Int] {
        guard case .bytes(let vector) = argument.data else {
            // Only a NULL literal is not bytes here (the binder types the argument ARRAY or MAP).
            var rows: [Int] = []
            if outer {
                for r in 0..<argument.count {
                    rows.append(r)
                    for c in columns.indices { columns[c].appendNull() }
                }
            }
            return rows
        }
        let (keyType, valueType): (SQLType?, SQLType) = switch argument.type {
        case .array(let element): (nil, element)
        case .map(let key, let value): (key, value)
        default: (nil, .null)
        }
        let first = positions ? 1 : 0
        var rows: [Int] = []
        rows.reserveCapacity(argument.count)
        vector.bytes.withUnsafeBytes { all in
            for r in 0..<argument.count {
                var produced = 0
                if !argument.isNull(r) {
                    var reader = NestedReader(UnsafeRawBufferPointer(rebasing: all[vector.range(r)]))
                    let count = Int(reader.uint32() ?? 0)
                    elements: for i in 0..<count {
                        // Read the whole entry before appending any of it, so the columns stay aligned.
                        let keyStart = reader.position
                        if let keyType, !reader.skipSlot(keyType) { break elements }
                        let valueStart = reader.position
                        guard reader.skipSlot(valueType) else { break elements }
                        rows.append(r)
                        if positions { columns[0].append(Int64(i)) }
                        if let keyType {
                            appendSlot(reader.bytes, from: keyStart, type: keyType, to: &columns[first])
                        }
                        appendSlot(reader.bytes, from: valueStart, type: valueType, to: &columns[columns.count - 1])
                        produced += 1
                    }
                }
                if produced == 0 && outer {
                    rows.append(r)
                    for c in columns.indices { columns[c].appendNull() }
                }
            }
        }
        return rows
    }

    /// Appends the (already validated) slot at `start` of `slice` to `column`, typed as the
    /// column's storage: scalars as values, nested values as their encoded bytes.
    @inline(__always)
    private static func appendSlot(_ slice: UnsafeRawBufferPointer, from start: Int, type: SQLType, to column: inout Column) {
        var reader = NestedReader(slice, position: start)
        guard let flag = reader.byte(), flag != NestedEncoding.nullFlag else { column.appendNull(); return }
        switch type {
        case .boolean: column.append((reader.byte() ?? 0) != 0)
        case .int, .bigint, .date, .timestamp: column.append(Int64(bitPattern: reader.uint64() ?? 0))
        case .float, .double: column.append(Double(bitPattern: reader.uint64() ?? 0))
        case .decimal: column.append(reader.int128() ?? 0)
        case .string:
            if let text = reader.string() { column.append(bytes: text) } else { column.appendNull() }
        case .null: column.appendNull()
        case .struct, .array, .map:
            let valueStart = reader.position
            if reader.skip(type) {
                column.append(bytes: UnsafeRawBufferPointer(rebasing: slice[valueStart..<reader.position]))
            } else {
                column.appendNull()
            }
        }
    }
}

/// A generator's output that cannot be built (too many rows, or too many bytes, in one batch).
struct GenerateError: Error, CustomStringConvertible {
    let message: String
    let hint: String

    init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }

    var description: String { "\(message)\nhint: \(hint)" }
}
