import CellKernel

/// How a column's values are laid out in a record batch body: which buffers and children an
/// Arrow field of that type has, per the Arrow columnar format.
indirect enum Layout {
    /// No buffers at all (Arrow's Null type).
    case null
    /// A validity bitmap and one buffer of fixed-width values.
    case fixed(FixedKind)
    /// A validity bitmap and a bit-packed value buffer.
    case bool
    /// A validity bitmap, offsets (Int32, or Int64 when `large`) and UTF-8 bytes.
    case utf8(large: Bool)
    /// A validity bitmap, then each child.
    case structure([FieldSpec])
    /// A validity bitmap, offsets, then the elements' child.
    case list(FieldSpec, large: Bool)
    /// A list of an `entries` struct of (key, value).
    case map(entries: FieldSpec)
}

/// The fixed-width Arrow types cells reads, each with its width in bytes.
enum FixedKind {
    case int8, int16, int32, int64, uint8, uint16, uint32
    case float32, float64
    /// Days since the epoch (Int32) or milliseconds since the epoch (Int64).
    case date32, date64
    case timestamp(TimeUnit)
    case decimal128(precision: Int)

    var width: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32, .date32: 4
        case .int64, .float64, .date64, .timestamp: 8
        case .decimal128: 16
        }
    }
}

enum TimeUnit: Int16 {
    case second = 0, millisecond, microsecond, nanosecond
}

/// One Arrow field as cells reads it: its name, its kernel type and its body layout.
struct FieldSpec {
    var name: String
    var type: SQLType
    var layout: Layout
    /// Arrow's own flag; Spark marks a column NOT NULL when its plan proves it (a count, say).
    var nullable = true
}

/// What a message's header is, with the parts of it the reader uses.
enum MessageHeader {
    case schema([FieldSpec])
    case recordBatch(RecordBatchHeader)
}

struct RecordBatchHeader {
    var length: Int64
    /// (length, null count) per field node, pre-order over the schema's fields.
    var nodes: [(length: Int64, nullCount: Int64)]
    /// (offset, length) per buffer, relative to the body's start.
    var buffers: [(offset: Int64, length: Int64)]
}

/// Decoding of the flatbuffer tables of `Message.fbs` and `Schema.fbs`.
enum Metadata {
    static func message(_ buffer: FlatBuffer) throws(ArrowError) -> (header: MessageHeader, bodyLength: Int64) {
        let message = try buffer.root()
        // MetadataVersion V4 (3) is what Arrow 0.15+ and the pre-0.15 framing both use; V5 (4)
        // only adds union changes. Older versions laid buffers out differently.
        let version = try message.scalar(0, default: Int16(0))
        guard version >= 3 else { throw .unsupported("Arrow metadata version V\(version + 1)", at: message.position) }
        let headerType = try message.scalar(1, default: UInt8(0))
        let bodyLength = try message.scalar(3, default: Int64(0))
        guard bodyLength >= 0 else { throw ArrowError("negative message body length \(bodyLength)", at: message.position) }
        guard let header = try message.table(2) else { throw ArrowError("message without a header", at: message.position) }
        switch headerType {
        case 1: return (.schema(try schema(header)), bodyLength)
        case 2: throw .unsupported("a dictionary batch (dictionary-encoded column)", at: header.position)
        case 3: return (.recordBatch(try recordBatch(header)), bodyLength)
        case 4, 5: throw .unsupported("a tensor message", at: header.position)
        default: throw ArrowError("unknown message header type \(headerType)", at: message.position)
        }
    }

    static func schema(_ table: Table) throws(ArrowError) -> [FieldSpec] {
        guard try table.scalar(0, default: Int16(0)) == 0 else { throw .unsupported("big-endian data", at: table.position) }
        var fields: [FieldSpec] = []
        for field in try table.tables(1) { fields.append(try self.field(field, depth: 0)) }
        return fields
    }

    /// One `Field` table; `depth` counts the nested types around it, bounded as the kernel's.
    static func field(_ table: Table, depth: Int) throws(ArrowError) -> FieldSpec {
        var spec = try fieldType(table, depth: depth)
        spec.nullable = try table.bool(1)
        return spec
    }

    private static func fieldType(_ table: Table, depth: Int) throws(ArrowError) -> FieldSpec {
        let name = try table.string(0) ?? ""
        if try table.field(4) != nil { throw .unsupported("dictionary-encoded field '\(name)'", at: table.position) }
        let typeCode = try table.scalar(2, default: UInt8(0))
        let type = try table.table(3)
        let at = type?.position ?? table.position

        func children(_ expected: Int?) throws(ArrowError) -> [FieldSpec] {
            guard depth < SQLType.maximumNestingDepth else {
                throw ArrowError("field '\(name)' nests deeper than \(SQLType.maximumNestingDepth) levels", at: table.position)
            }
            let tables = try table.tables(5)
            if let expected, tables.count != expected {
                throw ArrowError("field '\(name)' has \(tables.count) children, its type needs \(expected)", at: table.position)
            }
            var specs: [FieldSpec] = []
            for child in tables { specs.append(try field(child, depth: depth + 1)) }
            return specs
        }
        func fixed(_ kind: FixedKind, _ sqlType: SQLType) -> FieldSpec {
            FieldSpec(name: name, type: sqlType, layout: .fixed(kind))
        }

        switch typeCode {
        case 1: return FieldSpec(name: name, type: .null, layout: .null)
        case 2:
            let bits = try type?.scalar(0, default: Int32(0)) ?? 0
            let signed = try type?.bool(1) ?? false
            switch (bits, signed) {
            case (8, true): return fixed(.int8, .int)
            case (16, true): return fixed(.int16, .int)
            case (32, true): return fixed(.int32, .int)
            case (64, true): return fixed(.int64, .bigint)
            // Unsigned values widen into the next signed type that holds them all.
            case (8, false): return fixed(.uint8, .int)
            case (16, false): return fixed(.uint16, .int)
            case (32, false): return fixed(.uint32, .bigint)
            default: throw .unsupported("\(signed ? "" : "u")int\(bits) (field '\(name)')", at: at)
            }
        case 3:
            switch try type?.scalar(0, default: Int16(0)) ?? 0 {
            case 1: return fixed(.float32, .float)
            case 2: return fixed(.float64, .double)
            default: throw .unsupported("float16 (field '\(name)')", at: at)
            }
        case 5: return FieldSpec(name: name, type: .string, layout: .utf8(large: false))
        case 20: return FieldSpec(name: name, type: .string, layout: .utf8(large: true))
        case 6: return FieldSpec(name: name, type: .boolean, layout: .bool)
        case 7:
            let precision = Int(try type?.scalar(0, default: Int32(0)) ?? 0)
            let scale = Int(try type?.scalar(1, default: Int32(0)) ?? 0)
            let bits = try type?.scalar(2, default: Int32(128)) ?? 128
            guard bits == 128 else { throw .unsupported("decimal\(bits) (field '\(name)')", at: at) }
            guard (1...38).contains(precision), (0...precision).contains(scale) else {
                throw .unsupported("decimal(\(precision), \(scale)) (field '\(name)'; DECIMAL needs 1...38 digits, scale 0...precision)", at: at)
            }
            return fixed(.decimal128(precision: precision), .decimal(precision: precision, scale: scale))
        case 8:
            // Date's unit defaults to MILLISECOND.
            return (try type?.scalar(0, default: Int16(1)) ?? 1) == 0 ? fixed(.date32, .date) : fixed(.date64, .date)
        case 10:
            // The time zone (if any) only says how to display the instant: the values are UTC.
            let code = try type?.scalar(0, default: Int16(0)) ?? 0
            guard let unit = TimeUnit(rawValue: code) else { throw ArrowError("unknown time unit \(code)", at: at) }
            return fixed(.timestamp(unit), .timestamp)
        case 13:
            let fields = try children(nil)
            return FieldSpec(name: name, type: .struct(fields.map { StructField(name: $0.name, type: $0.type) }),
                             layout: .structure(fields))
        case 12, 21:
            let element = try children(1)[0]
            return FieldSpec(name: name, type: .array(element.type), layout: .list(element, large: typeCode == 21))
        case 17:
            // A map is a list of non-null `entries` structs of (key, value); the entries struct
            // is not a level of its own in the kernel's type, so its children count as ours.
            guard depth < SQLType.maximumNestingDepth else {
                throw ArrowError("field '\(name)' nests deeper than \(SQLType.maximumNestingDepth) levels", at: table.position)
            }
            let entriesTables = try table.tables(5)
            guard entriesTables.count == 1 else { throw ArrowError("map field '\(name)' without one entries child", at: table.position) }
            let entries = try field(entriesTables[0], depth: depth)
            guard case .structure(let kv) = entries.layout, kv.count == 2 else {
                throw ArrowError("map field '\(name)' whose entries are not a (key, value) struct", at: table.position)
            }
            return FieldSpec(name: name, type: .map(key: kv[0].type, value: kv[1].type), layout: .map(entries: entries))
        default:
            throw .unsupported("Arrow type \(typeName(typeCode)) (field '\(name)')", at: at)
        }
    }

    static func typeName(_ code: UInt8) -> String {
        let names: [UInt8: String] = [
            0: "NONE", 4: "Binary", 9: "Time", 11: "Interval", 14: "Union", 15: "FixedSizeBinary",
            16: "FixedSizeList", 18: "Duration", 19: "LargeBinary", 22: "RunEndEncoded",
            23: "BinaryView", 24: "Utf8View", 25: "ListView", 26: "LargeListView",
        ]
        return names[code] ?? "#\(code)"
    }

    static func recordBatch(_ table: Table) throws(ArrowError) -> RecordBatchHeader {
        if try table.field(3) != nil { throw .unsupported("body compression (LZ4/ZSTD)", at: table.position) }
        let length = try table.scalar(0, default: Int64(0))
        var nodes: [(length: Int64, nullCount: Int64)] = []
        if let (first, count) = try table.vector(1, stride: 16) {
            nodes.reserveCapacity(count)
            for i in 0..<count {
                let p = first + 16 * i
                nodes.append((try table.buffer.load(Int64.self, at: p), try table.buffer.load(Int64.self, at: p + 8)))
            }
        }
        var buffers: [(offset: Int64, length: Int64)] = []
        if let (first, count) = try table.vector(2, stride: 16) {
            buffers.reserveCapacity(count)
            for i in 0..<count {
                let p = first + 16 * i
                buffers.append((try table.buffer.load(Int64.self, at: p), try table.buffer.load(Int64.self, at: p + 8)))
            }
        }
        return RecordBatchHeader(length: length, nodes: nodes, buffers: buffers)
    }
}
