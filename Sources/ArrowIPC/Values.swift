import CellKernel

/// Reads values out of checked ``ArrayData`` in the kernel's units: DATE in days, TIMESTAMP in
/// microseconds since the epoch (UTC), DECIMAL as its unscaled Int128, FLOAT widened to Double.
struct ValueReader {
    let bytes: [UInt8]

    @inline(__always)
    func isValid(_ array: ArrayData, _ row: Int) -> Bool {
        guard let bitmap = array.validity else { return true }
        return bytes.bit(bitmap, row)
    }

    /// Row `row` of an Int64-stored kind.
    func int64(_ kind: FixedKind, _ array: ArrayData, _ row: Int) throws(ArrowError) -> Int64 {
        let at = array.buffers[0].lowerBound + row * kind.width
        switch kind {
        case .int8: return Int64(Int8(bitPattern: bytes[at]))
        case .int16: return Int64(bytes.loadLE(Int16.self, at: at))
        case .int32, .date32: return Int64(bytes.loadLE(Int32.self, at: at))
        case .int64: return bytes.loadLE(Int64.self, at: at)
        case .uint8: return Int64(bytes[at])
        case .uint16: return Int64(bytes.loadLE(UInt16.self, at: at))
        case .uint32: return Int64(bytes.loadLE(UInt32.self, at: at))
        case .date64: return floorDivide(bytes.loadLE(Int64.self, at: at), 86_400_000)
        case .timestamp(let unit):
            let raw = bytes.loadLE(Int64.self, at: at)
            switch unit {
            case .second: return try scaled(raw, 1_000_000, at)
            case .millisecond: return try scaled(raw, 1_000, at)
            case .microsecond: return raw
            // Floor, not truncation: an instant just before the epoch stays before it.
            case .nanosecond: return floorDivide(raw, 1_000)
            }
        case .float32, .float64, .decimal128: preconditionFailure("\(kind) is not stored in Int64")
        }
    }

    private func scaled(_ value: Int64, _ factor: Int64, _ at: Int) throws(ArrowError) -> Int64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw ArrowError("timestamp \(value) is outside TIMESTAMP's range (Int64 microseconds)", at: at) }
        return product
    }

    func double(_ kind: FixedKind, _ array: ArrayData, _ row: Int) -> Double {
        let at = array.buffers[0].lowerBound + row * kind.width
        if case .float32 = kind { return Double(Float(bitPattern: bytes.loadLE(UInt32.self, at: at))) }
        return Double(bitPattern: bytes.loadLE(UInt64.self, at: at))
    }

    func decimal(_ precision: Int, _ array: ArrayData, _ row: Int) throws(ArrowError) -> Int128 {
        let at = array.buffers[0].lowerBound + row * 16
        let value = bytes.loadLE(Int128.self, at: at)
        // The kernel's DECIMAL arithmetic relies on values having at most `precision` digits.
        let limit = powersOfTen[precision]
        guard value > -limit, value < limit else {
            throw ArrowError("decimal value \(value) has more than \(precision) digits", at: at)
        }
        return value
    }

    func bool(_ array: ArrayData, _ row: Int) -> Bool { bytes.bit(array.buffers[0], row) }

    /// The range of element `row` of an offsets buffer, checked when the array was walked.
    func span(_ array: ArrayData, _ row: Int, large: Bool) -> Range<Int> {
        let offsets = array.buffers[0]
        if large {
            let at = offsets.lowerBound + row * 8
            return Int(bytes.loadLE(Int64.self, at: at))..<Int(bytes.loadLE(Int64.self, at: at + 8))
        }
        let at = offsets.lowerBound + row * 4
        return Int(bytes.loadLE(Int32.self, at: at))..<Int(bytes.loadLE(Int32.self, at: at + 4))
    }

    func string(_ array: ArrayData, _ row: Int, large: Bool) throws(ArrowError) -> String {
        let span = span(array, row, large: large)
        let start = array.buffers[1].lowerBound
        guard let s = String(validating: bytes[(start + span.lowerBound)..<(start + span.upperBound)], as: UTF8.self) else {
            throw ArrowError("string of row \(row) is not valid UTF-8", at: start + span.lowerBound)
        }
        return s
    }

    /// Row `row` as a boxed value; recursion is bounded by the type's depth, checked at the schema.
    func value(_ spec: FieldSpec, _ array: ArrayData, _ row: Int) throws(ArrowError) -> Value {
        guard isValid(array, row) else { return .null }
        switch spec.layout {
        case .null: return .null
        case .fixed(let kind):
            switch kind {
            case .float32, .float64: return .double(double(kind, array, row))
            case .decimal128(let precision): return .decimal(try decimal(precision, array, row))
            default: return .int(try int64(kind, array, row))
            }
        case .bool: return .bool(bool(array, row))
        case .utf8(let large): return .string(try string(array, row, large: large))
        case .structure(let fields):
            var values: [Value] = []
            values.reserveCapacity(fields.count)
            for (field, child) in zip(fields, array.children) { values.append(try value(field, child, row)) }
            return .structure(values)
        case .list(let element, let large):
            var values: [Value] = []
            for i in span(array, row, large: large) { values.append(try value(element, array.children[0], i)) }
            return .array(values)
        case .map(let entries):
            guard case .structure(let kv) = entries.layout else { preconditionFailure("map entries are a struct") }
            let pairs = array.children[0]
            var keys: [Value] = [], values: [Value] = []
            for i in span(array, row, large: false) {
                let key = try value(kv[0], pairs.children[0], i)
                guard !key.isNull else { throw ArrowError("map field '\(spec.name)' has a NULL key", at: pairs.children[0].validity?.lowerBound ?? 0) }
                keys.append(key)
                values.append(try value(kv[1], pairs.children[1], i))
            }
            return .map(keys: keys, values: values)
        }
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    return r < 0 ? q - 1 : q
}

/// 10^0 ... 10^38: the bound of a DECIMAL of each precision.
let powersOfTen: [Int128] = (0...38).reduce(into: []) { powers, i in powers.append(i == 0 ? 1 : powers[i - 1] * 10) }

/// Accumulates one column over a stream's record batches, in the kernel's storage.
struct ColumnBuilder {
    let spec: FieldSpec
    private var ints: [Int64] = []
    private var wides: [Int128] = []
    private var doubles: [Double] = []
    private var bools: [Bool] = []
    /// Full length for the flat kinds; dropped at the end when no row is NULL.
    private var validity: [Bool] = []
    /// STRING and nested columns are built through the kernel's own encoding.
    private var column: Column
    /// Bytes in `column` so far: the kernel's byte vectors index with Int32.
    private var byteCount = 0
    private var scratch: [UInt8] = []

    init(_ spec: FieldSpec) {
        self.spec = spec
        column = Column(type: spec.type)
    }

    mutating func append(_ array: ArrayData, _ reader: ValueReader) throws(ArrowError) {
        let rows = array.length
        switch spec.layout {
        case .null:
            ints.append(contentsOf: repeatElement(0, count: rows))
            validity.append(contentsOf: repeatElement(false, count: rows))
            return
        case .fixed(let kind):
            switch kind {
            case .float32, .float64:
                for row in 0..<rows { doubles.append(reader.isValid(array, row) ? reader.double(kind, array, row) : 0) }
            case .decimal128(let precision):
                for row in 0..<rows { wides.append(reader.isValid(array, row) ? try reader.decimal(precision, array, row) : 0) }
            default:
                for row in 0..<rows { ints.append(reader.isValid(array, row) ? try reader.int64(kind, array, row) : 0) }
            }
        case .bool:
            for row in 0..<rows { bools.append(reader.isValid(array, row) && reader.bool(array, row)) }
        case .utf8, .structure, .list, .map:
            for row in 0..<rows {
                let value = try reader.value(spec, array, row)
                try account(value, at: array.buffers.first?.lowerBound ?? 0)
                column.append(value)
            }
            return
        }
        for row in 0..<rows { validity.append(reader.isValid(array, row)) }
    }

    private mutating func account(_ value: Value, at offset: Int) throws(ArrowError) {
        let size: Int
        switch value {
        case .null: return
        case .string(let s): size = s.utf8.count
        default:
            scratch.removeAll(keepingCapacity: true)
            _ = NestedEncoding.append(value, type: spec.type, to: &scratch)
            size = scratch.count
        }
        guard size <= Int(Int32.max) - byteCount else {
            throw ArrowError("column '\(spec.name)' holds more than 2 GiB of data", at: offset)
        }
        byteCount += size
    }

    func finish() -> Column {
        let mask = validity.contains(false) ? validity : []
        switch spec.type.storage {
        case .bytes: return column
        case .int64: return Column(type: spec.type, data: .int64(ints), validity: mask)
        case .int128: return Column(type: spec.type, data: .int128(wides), validity: mask)
        case .double: return Column(type: spec.type, data: .double(doubles), validity: mask)
        case .bool: return Column(type: spec.type, data: .bool(bools), validity: mask)
        }
    }
}
