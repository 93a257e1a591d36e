/// The join's state in a checkpoint: both sides' buffered rows (columns, keys, event times,
/// matched flags) and the previous batch's watermark, which decides what the next batch
/// drops as late. Hashes and the index are rebuilt on restore, so they cost no disk.
extension StreamJoinOperator {
    var stateSignature: String {
        let leftNames = left.schema.fields.map(\.name), rightNames = right.schema.fields.map(\.name)
        let describe = { (fields: [Schema.Field]) in fields.map { "\($0.name) \($0.type)" }.joined(separator: ", ") }
        var text = "STREAM JOIN \(spec.kind.rawValue) left [\(describe(left.schema.fields))] right [\(describe(right.schema.fields))]"
        text += " keys [\(spec.leftKeys.map { $0.sqlText(columns: leftNames) }.joined(separator: ", "))]"
        text += " = [\(spec.rightKeys.map { $0.sqlText(columns: rightNames) }.joined(separator: ", "))]"
        if let condition = spec.condition { text += " ON \(condition.sqlText(columns: leftNames + rightNames))" }
        if let range = spec.timeRange {
            text += " TIME \(range.leftColumn) \(range.rightColumn) \(range.lowerMicros) \(range.upperMicros)"
        }
        return text
    }

    var stateBytes: [UInt8] {
        var out = SnapshotWriter()
        out.u16(Self.formatVersion)
        out.i64(previousWatermark)
        Self.write(leftState, to: &out)
        Self.write(rightState, to: &out)
        return out.bytes
    }

    func restoreState(_ bytes: [UInt8]) throws {
        var reader = SnapshotReader(bytes)
        let version = try reader.u16("stream join state version")
        guard version == Self.formatVersion else {
            throw SnapshotError.corrupt("stream join state version \(version), this build reads \(Self.formatVersion)")
        }
        let watermark = try reader.i64("stream join previous watermark")
        let restoredLeft = try Self.read(&reader, types: left.schema.fields.map(\.type), keyTypes: spec.leftKeys.map(\.type), side: "left")
        let restoredRight = try Self.read(&reader, types: right.schema.fields.map(\.type), keyTypes: spec.rightKeys.map(\.type), side: "right")
        guard reader.remaining == 0 else { throw SnapshotError.corrupt("\(reader.remaining) bytes after the stream join state") }
        restore(left: restoredLeft, right: restoredRight, previousWatermark: watermark)
    }

    var estimatedStateBytes: Int { leftState.estimatedBytes + rightState.estimatedBytes }
    var stateRows: Int { leftState.count + rightState.count }

    static var formatVersion: UInt16 { 1 }

    private static func write(_ side: StreamJoinSide, to out: inout SnapshotWriter) {
        out.int(side.count)
        for time in side.times { out.i64(time) }
        for flag in side.matched { out.bool(flag) }
        for column in side.columns + side.keys { write(column, to: &out) }
    }

    private static func read(_ reader: inout SnapshotReader, types: [SQLType], keyTypes: [SQLType], side: String) throws -> StreamJoinSide {
        let count = try reader.count("\(side) rows", unit: 9)
        var times: [Int64] = []
        times.reserveCapacity(count)
        for _ in 0..<count { times.append(try reader.i64("\(side) event time")) }
        var matched: [Bool] = []
        matched.reserveCapacity(count)
        for _ in 0..<count { matched.append(try reader.bool("\(side) matched flag")) }
        let columns = try types.enumerated().map { try read(&reader, type: $1, count: count, what: "\(side) column \($0)") }
        let keys = try keyTypes.enumerated().map { try read(&reader, type: $1, count: count, what: "\(side) key \($0)") }
        return StreamJoinSide(restoring: columns, keys: keys, times: times, matched: matched)
    }

    /// A column: a validity flag (and a byte per row when some row is NULL), then the values.
    private static func write(_ column: Column, to out: inout SnapshotWriter) {
        out.bool(!column.validity.isEmpty)
        for valid in column.validity { out.bool(valid) }
        switch column.data {
        case .int64(let v): for x in v { out.i64(x) }
        case .int128(let v):
            for x in v {
                out.u64(UInt64(truncatingIfNeeded: x))
                out.u64(UInt64(truncatingIfNeeded: x >> 64))
            }
        case .double(let v): for x in v { out.f64(x) }
        case .bool(let v): for x in v { out.bool(x) }
        case .bytes(let v): for i in 0..<v.count { out.blob(v.bytes[v.range(i)]) }
        }
    }

    private static func read(_ reader: inout SnapshotReader, type: SQLType, count: Int, what: String) throws -> Column {
        var validity: [Bool] = []
        if try reader.bool("\(what) has NULLs") {
            validity.reserveCapacity(count)
            for _ in 0..<count { validity.append(try reader.bool("\(what) validity")) }
        }
        var column = Column(type: type, capacity: count)
        for _ in 0..<count {
            switch type.storage {
            case .int64: column.append(try reader.i64(what))
            case .int128:
                let low = try reader.u64(what), high = try reader.u64(what)
                column.append(Int128(bitPattern: UInt128(high) << 64 | UInt128(low)))
            case .double: column.append(try reader.f64(what))
            case .bool: column.append(try reader.bool(what))
            case .bytes:
                let text = try reader.blob(what)
                column.withByteVector { $0.append(text) }
            }
        }
        column.validity = validity
        return column
    }
}
