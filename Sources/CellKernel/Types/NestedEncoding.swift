/// The canonical binary form of one STRUCT, ARRAY or MAP value, stored per row in a `.bytes`
/// column's ``ByteVector``: a nested value is one contiguous slice, so grouping, hashing and
/// equality work on its bytes, and a column of nested values still costs two allocations.
///
/// Layout (little-endian), where a *slot* is a flag byte (0 = NULL, 1 = present) followed, when
/// present, by the value:
/// - BOOLEAN: 1 byte; INT, BIGINT, DATE, TIMESTAMP: 8 bytes; FLOAT, DOUBLE: 8 bytes of the
///   Double's bits, with -0.0 and every NaN written as 0.0 and one NaN (as Spark normalizes
///   floating keys before grouping); DECIMAL: 16 bytes of the unscaled Int128;
///   STRING: UInt32 length + UTF-8 bytes;
/// - STRUCT: one slot per field, in declaration order;
/// - ARRAY: UInt32 count, then one slot per element;
/// - MAP: UInt32 count, then per entry a key slot (always present) and a value slot.
///
/// The form is canonical (one value has exactly one encoding), so equal values have equal bytes.
public enum NestedEncoding {
    /// Bytes of a slot's flag meaning NULL / present.
    public static let nullFlag: UInt8 = 0
    public static let presentFlag: UInt8 = 1

    /// The canonical bit pattern of a floating value (see the type's documentation).
    @inline(__always)
    public static func canonicalBits(_ d: Double) -> UInt64 {
        if d.isNaN { return Double.nan.bitPattern }
        return d == 0 ? 0 : d.bitPattern
    }

    @inline(__always)
    public static func appendUInt32(_ x: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always)
    public static func appendUInt64(_ x: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Overwrites the UInt32 at `position` (a count written before its elements were known).
    @inline(__always)
    public static func patchUInt32(_ x: UInt32, at position: Int, in out: inout [UInt8]) {
        let le = x.littleEndian
        for i in 0..<4 { out[position + i] = UInt8(truncatingIfNeeded: le >> (8 * UInt32(i))) }
    }

    /// Appends the encoding of a non-NULL boxed value of `type`; `false` when the value does not
    /// fit the type (then `out` may hold a partial prefix, which the caller discards).
    public static func append(_ value: Value, type: SQLType, to out: inout [UInt8]) -> Bool {
        switch (type, value) {
        case (.boolean, .bool(let b)): out.append(b ? 1 : 0)
        case (.int, .int(let i)), (.bigint, .int(let i)), (.date, .int(let i)), (.timestamp, .int(let i)):
            appendUInt64(UInt64(bitPattern: i), to: &out)
        case (.float, .double(let d)), (.double, .double(let d)): appendUInt64(canonicalBits(d), to: &out)
        case (.decimal, .decimal(let u)): appendInt128(u, to: &out)
        case (.decimal, .int(let i)): appendInt128(Int128(i), to: &out)
        case (.string, .string(let s)):
            appendUInt32(UInt32(truncatingIfNeeded: s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        case (.struct(let fields), .structure(let values)):
            guard fields.count == values.count else { return false }
            for (field, v) in zip(fields, values) where !appendSlot(v, type: field.type, to: &out) { return false }
        case (.array(let element), .array(let values)):
            appendUInt32(UInt32(truncatingIfNeeded: values.count), to: &out)
            for v in values where !appendSlot(v, type: element, to: &out) { return false }
        case (.map(let keyType, let valueType), .map(let keys, let values)):
            guard keys.count == values.count else { return false }
            appendUInt32(UInt32(truncatingIfNeeded: keys.count), to: &out)
            for (k, v) in zip(keys, values) {
                guard !k.isNull, appendSlot(k, type: keyType, to: &out), appendSlot(v, type: valueType, to: &out) else {
                    return false
                }
            }
        default: return false
        }
        return true
    }

    /// A flag byte, then the value when it is not NULL.
    public static func appendSlot(_ value: Value, type: SQLType, to out: inout [UInt8]) -> Bool {
        if value.isNull { out.append(nullFlag); return true }
        out.append(presentFlag)
        return append(value, type: type, to: &out)
    }

    public static func appendInt128(_ u: Int128, to out: inout [UInt8]) {
        withUnsafeBytes(of: u.littleEndian) { out.append(contentsOf: $0) }
    }
}

/// Reads encoded nested values without copying: a cursor over one row's slice.
///
/// Every read checks bounds and returns nil on truncated or foreign bytes, so a corrupt slice
/// (a checkpoint from another version, say) is a NULL, never a trap.
public struct NestedReader {
    public let bytes: UnsafeRawBufferPointer
    public var position: Int

    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    public var atEnd: Bool { position >= bytes.count }

    public mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func uint32() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var x: UInt32 = 0
        for i in 0..<4 { x |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return x
    }

    public mutating func uint64() -> UInt64? {
        guard position + 8 <= bytes.count else { return nil }
        var x: UInt64 = 0
        for i in 0..<8 { x |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return x
    }

    public mutating func int128() -> Int128? {
        guard let low = uint64(), let high = uint64() else { return nil }
        return Int128(bitPattern: UInt128(high) << 64 | UInt128(low))
    }

    /// The bytes of a STRING value.
    public mutating func string() -> UnsafeRawBufferPointer? {
        guard let n = uint32().map(Int.init), n <= bytes.count - position else { return nil }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
    }

    /// Moves past one non-NULL value of `type`; false on malformed bytes.
    /// Recursion follows the type, whose depth ``SQLType/maximumNestingDepth`` bounds.
    public mutating func skip(_ type: SQLType) -> Bool {
        switch type {
        case .boolean: return byte() != nil
        case .int, .bigint, .date, .timestamp, .float, .double, .null: return uint64() != nil
        case .decimal: return int128() != nil
        case .string: return string() != nil
        case .struct(let fields):
            for field in fields where !skipSlot(field.type) { return false }
            return true
        case .array(let element):
            guard let n = uint32() else { return false }
            for _ in 0..<n where !skipSlot(element) { return false }
            return true
        case .map(let key, let value):
            guard let n = uint32() else { return false }
            for _ in 0..<n where !skipSlot(key) || !skipSlot(value) { return false }
            return true
        }
    }

    /// Moves past one slot; false on malformed bytes.
    public mutating func skipSlot(_ type: SQLType) -> Bool {
        guard let flag = byte() else { return false }
        return flag == NestedEncoding.nullFlag || skip(type)
    }

    /// Reads one non-NULL value of `type` as a boxed value (for results and tests).
    public mutating func value(_ type: SQLType) -> Value? {
        switch type {
        case .boolean: return byte().map { .bool($0 != 0) }
        case .int, .bigint, .date, .timestamp, .null: return uint64().map { .int(Int64(bitPattern: $0)) }
        case .float, .double: return uint64().map { .double(Double(bitPattern: $0)) }
        case .decimal: return int128().map { .decimal($0) }
        case .string: return string().map { .string(String(decoding: $0, as: UTF8.self)) }
        case .struct(let fields):
            var values: [Value] = []
            values.reserveCapacity(fields.count)
            for field in fields {
                guard let v = slot(field.type) else { return nil }
                values.append(v)
            }
            return .structure(values)
        case .array(let element):
            guard let n = uint32() else { return nil }
            var values: [Value] = []
            for _ in 0..<n {
                guard let v = slot(element) else { return nil }
                values.append(v)
            }
            return .array(values)
        case .map(let keyType, let valueType):
            guard let n = uint32() else { return nil }
            var keys: [Value] = [], values: [Value] = []
            for _ in 0..<n {
                guard let k = slot(keyType), let v = slot(valueType) else { return nil }
                keys.append(k)
                values.append(v)
            }
            return .map(keys: keys, values: values)
        }
    }

    /// One slot as a boxed value (`.null` for a NULL slot), nil on malformed bytes.
    public mutating func slot(_ type: SQLType) -> Value? {
        guard let flag = byte() else { return nil }
        return flag == NestedEncoding.nullFlag ? .null : value(type)
    }
}

extension NestedEncoding {
    /// Appends row `row` of a typed column as one slot (flag, then value): how constructors
    /// such as `array(a, b)` and map lookups encode values straight from columns.
    public static func appendSlot(of column: Column, row: Int, to out: inout [UInt8]) {
        if column.isNull(row) { out.append(nullFlag); return }
        out.append(presentFlag)
        appendValue(of: column, row: row, to: &out)
    }

    /// Appends the value of a non-NULL row of a typed column (no flag byte).
    public static func appendValue(of column: Column, row: Int, to out: inout [UInt8]) {
        switch column.data {
        case .int64(let v): appendUInt64(UInt64(bitPattern: v[row]), to: &out)
        case .double(let v): appendUInt64(canonicalBits(v[row]), to: &out)
        case .bool(let v): out.append(v[row] ? 1 : 0)
        case .int128(let v): appendInt128(v[row], to: &out)
        case .bytes(let v):
            v.withElement(row) { raw in
                // A STRING carries its length; a nested value is already its own encoding.
                if !column.type.isNested { appendUInt32(UInt32(truncatingIfNeeded: raw.count), to: &out) }
                out.append(contentsOf: raw)
            }
        }
    }
}

extension NestedReader {
    /// The bytes of the non-NULL value of `type` at the cursor, moving past it (nil on bad bytes).
    public mutating func valueBytes(_ type: SQLType) -> UnsafeRawBufferPointer? {
        let start = position
        guard skip(type) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// The bytes of the slot (flag included) at the cursor, moving past it (nil on bad bytes).
    public mutating func slotBytes(_ type: SQLType) -> UnsafeRawBufferPointer? {
        let start = position
        guard skipSlot(type) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }
}

extension Column {
    /// Appends the non-NULL value of `type` a reader is at, moving past it; false (nothing
    /// appended) on malformed bytes. The column's type must be `type`.
    public mutating func appendEncoded(_ r: inout NestedReader, type: SQLType) -> Bool {
        switch type.storage {
        case .int64:
            guard let x = r.uint64() else { return false }
            append(Int64(bitPattern: x))
        case .double:
            guard let x = r.uint64() else { return false }
            append(Double(bitPattern: x))
        case .bool:
            guard let b = r.byte() else { return false }
            append(b != 0)
        case .int128:
            guard let u = r.int128() else { return false }
            append(u)
        case .bytes:
            if type.isNested {
                guard let raw = r.valueBytes(type) else { return false }
                append(bytes: raw)
            } else {
                guard let raw = r.string() else { return false }
                append(bytes: raw)
            }
        }
        return true
    }

    /// Appends the slot a reader is at (NULL for a NULL slot or malformed bytes).
    public mutating func appendEncodedSlot(_ r: inout NestedReader, type: SQLType) {
        guard let flag = r.byte(), flag != NestedEncoding.nullFlag, appendEncoded(&r, type: type) else {
            appendNull()
            return
        }
    }
}
