/// Where a decoded row goes, one value per field: the decoder's commit step is written once,
/// generic over this, and specialized for each destination.
protocol JSONValueSink {
    mutating func appendNull(_ field: Int)
    mutating func append(_ field: Int, int64 value: Int64)
    mutating func append(_ field: Int, int128 value: Int128)
    mutating func append(_ field: Int, double value: Double)
    mutating func append(_ field: Int, bool value: Bool)
    mutating func append(_ field: Int, text: UnsafeRawBufferPointer)
    /// Validated JSON string contents that contain escapes.
    mutating func append(_ field: Int, escapedText text: UnsafePointer<UInt8>, count: Int)
}

/// Appends straight into `Column`s: for one document at a time.
struct JSONColumnsSink: JSONValueSink {
    var columns: [Column]

    @inline(__always) mutating func appendNull(_ field: Int) { columns[field].jsonAppendNull() }
    @inline(__always) mutating func append(_ field: Int, int64 value: Int64) { columns[field].jsonAppend(int64: value) }
    @inline(__always) mutating func append(_ field: Int, int128 value: Int128) { columns[field].jsonAppend(int128: value) }
    @inline(__always) mutating func append(_ field: Int, double value: Double) { columns[field].jsonAppend(double: value) }
    @inline(__always) mutating func append(_ field: Int, bool value: Bool) { columns[field].jsonAppend(bool: value) }
    @inline(__always) mutating func append(_ field: Int, text: UnsafeRawBufferPointer) { columns[field].jsonAppendText(text) }
    @inline(__always) mutating func append(_ field: Int, escapedText text: UnsafePointer<UInt8>, count: Int) {
        columns[field].jsonAppendUnescaped(text, count: count)
    }
}

/// The columns' vectors taken out of their `ColumnData` enums for the length of a batch.
///
/// An enum payload cannot be mutated in place, so every append to a `Column` moves its vector
/// out and back; over a batch that is most of the cost of storing a value. Here each vector
/// sits in an array of its own kind, where appends mutate it in place.
struct JSONBatchWriter: JSONValueSink {
    private var int64s: [[Int64]] = []
    private var int128s: [[Int128]] = []
    private var doubles: [[Double]] = []
    private var bools: [[Bool]] = []
    private var texts: [ByteVector] = []
    private var validity: [[Bool]] = []
    /// Per field: its storage and its position among the vectors of that storage.
    private var kinds: [StorageKind] = []
    private var positions: [Int] = []

    /// Takes the data of `columns`, which hold placeholders until ``restore(into:)``.
    init(taking columns: inout [Column]) {
        for i in columns.indices {
            var mask: [Bool] = []
            swap(&mask, &columns[i].validity)
            validity.append(mask)
            switch columns[i].jsonTakeData() {
            case .int64(let v):
                kinds.append(.int64)
                positions.append(int64s.count)
                int64s.append(v)
            case .int128(let v):
                kinds.append(.int128)
                positions.append(int128s.count)
                int128s.append(v)
            case .double(let v):
                kinds.append(.double)
                positions.append(doubles.count)
                doubles.append(v)
            case .bool(let v):
                kinds.append(.bool)
                positions.append(bools.count)
                bools.append(v)
            case .bytes(let v):
                kinds.append(.bytes)
                positions.append(texts.count)
                texts.append(v)
            }
        }
    }

    /// Gives the vectors back to the columns they were taken from.
    mutating func restore(into columns: inout [Column]) {
        for i in columns.indices {
            let k = positions[i]
            switch kinds[i] {
            case .int64:
                var v: [Int64] = []
                swap(&v, &int64s[k])
                columns[i].data = .int64(v)
            case .int128:
                var v: [Int128] = []
                swap(&v, &int128s[k])
                columns[i].data = .int128(v)
            case .double:
                var v: [Double] = []
                swap(&v, &doubles[k])
                columns[i].data = .double(v)
            case .bool:
                var v: [Bool] = []
                swap(&v, &bools[k])
                columns[i].data = .bool(v)
            case .bytes:
                var v = ByteVector()
                swap(&v, &texts[k])
                columns[i].data = .bytes(v)
            }
            swap(&columns[i].validity, &validity[i])
        }
    }

    /// Removes the last row (a document a stream drops after decoding it).
    mutating func removeLastRow() {
        for field in kinds.indices {
            let k = positions[field]
            switch kinds[field] {
            case .int64: int64s[k].removeLast()
            case .int128: int128s[k].removeLast()
            case .double: doubles[k].removeLast()
            case .bool: bools[k].removeLast()
            case .bytes: texts[k].removeLast()
            }
            if !validity[field].isEmpty { validity[field].removeLast() }
        }
    }

    private func count(_ field: Int) -> Int {
        let k = positions[field]
        switch kinds[field] {
        case .int64: return int64s[k].count
        case .int128: return int128s[k].count
        case .double: return doubles[k].count
        case .bool: return bools[k].count
        case .bytes: return texts[k].count
        }
    }

    @inline(__always)
    private mutating func markValid(_ field: Int) {
        if !validity[field].isEmpty { validity[field].append(true) }
    }

    @inline(__always)
    mutating func appendNull(_ field: Int) {
        // Same convention as `Column`: no mask until the first NULL, then one entry per row.
        if validity[field].isEmpty { validity[field] = Array(repeating: true, count: count(field)) }
        let k = positions[field]
        switch kinds[field] {
        case .int64: int64s[k].append(0)
        case .int128: int128s[k].append(0)
        case .double: doubles[k].append(0)
        case .bool: bools[k].append(false)
        case .bytes: texts[k].appendEmpty()
        }
        validity[field].append(false)
    }

    @inline(__always)
    mutating func append(_ field: Int, int64 value: Int64) {
        int64s[positions[field]].append(value)
        markValid(field)
    }

    @inline(__always)
    mutating func append(_ field: Int, int128 value: Int128) {
        int128s[positions[field]].append(value)
        markValid(field)
    }

    @inline(__always)
    mutating func append(_ field: Int, double value: Double) {
        doubles[positions[field]].append(value)
        markValid(field)
    }

    @inline(__always)
    mutating func append(_ field: Int, bool value: Bool) {
        bools[positions[field]].append(value)
        markValid(field)
    }

    @inline(__always)
    mutating func append(_ field: Int, text: UnsafeRawBufferPointer) {
        texts[positions[field]].append(text)
        markValid(field)
    }

    @inline(__always)
    mutating func append(_ field: Int, escapedText text: UnsafePointer<UInt8>, count: Int) {
        JSONUnescaping.appendUnescaped(text, count: count, to: &texts[positions[field]])
        markValid(field)
    }
}
