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

/// The columns' vectors taken out of their `ColumnData` enums for the length of a batch, with
/// the newest rows staged in raw memory.
///
/// An enum payload cannot be mutated in place, so every append to a `Column` moves its vector
/// out and back; here each vector sits in an array of its own kind instead. Even so, an
/// append to a Swift array checks uniqueness and capacity, and a string's bytes cost a call to
/// memcpy: together most of a decoded row's instructions. So a row's values are first written
/// to fixed-size raw buffers, one per field, with plain stores, and every ``stagedRows`` rows
/// each buffer goes into its array in one bulk append.
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
    private let staging: JSONStaging

    /// Rows a field holds in raw memory before they go to its array.
    static let stagedRows = 256

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
        staging = JSONStaging(kinds: kinds, rows: Self.stagedRows)
    }

    /// Gives the vectors back to the columns they were taken from.
    mutating func restore(into columns: inout [Column]) {
        for i in columns.indices {
            flush(i)
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

    /// Moves field `field`'s staged rows into its arrays.
    @inline(never)
    private mutating func flush(_ field: Int) {
        let lane = staging.lanes + field
        let n = lane.pointee.rows
        guard n > 0 else { return }
        let k = positions[field]
        if lane.pointee.nulls || !validity[field].isEmpty {
            // Same convention as `Column`: no mask until the first NULL, then one entry per row.
            if validity[field].isEmpty { validity[field] = Array(repeating: true, count: count(field)) }
            validity[field].append(contentsOf: UnsafeBufferPointer(start: lane.pointee.valid, count: n))
        }
        let values = lane.pointee.values
        switch kinds[field] {
        case .int64: int64s[k].append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Int64.self), count: n))
        case .int128: int128s[k].append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Int128.self), count: n))
        case .double: doubles[k].append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Double.self), count: n))
        case .bool: bools[k].append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Bool.self), count: n))
        case .bytes:
            texts[k].append(staged: UnsafeRawBufferPointer(start: lane.pointee.text, count: lane.pointee.textCount),
                            ends: UnsafeMutableBufferPointer(start: values.assumingMemoryBound(to: Int32.self), count: n))
            lane.pointee.textCount = 0
        }
        lane.pointee.rows = 0
        lane.pointee.nulls = false
    }

    /// Rows of `field` in its arrays, the staged ones not counted.
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

    /// The next staged row of `field`, its value to be stored at `values` (row `n`).
    @inline(__always)
    private mutating func stage<T>(_ field: Int, _ value: T, valid: Bool) {
        let lane = staging.lanes + field
        let n = lane.pointee.rows
        lane.pointee.values.assumingMemoryBound(to: T.self)[n] = value
        lane.pointee.valid[n] = valid
        lane.pointee.rows = n &+ 1
        if n &+ 1 == Self.stagedRows { flush(field) }
    }

    @inline(__always)
    mutating func appendNull(_ field: Int) {
        staging.lanes[field].nulls = true
        switch kinds[field] {
        case .int64: stage(field, Int64(0), valid: false)
        case .int128: stage(field, Int128(0), valid: false)
        case .double: stage(field, Double(0), valid: false)
        case .bool: stage(field, false, valid: false)
        case .bytes: stage(field, Int32(truncatingIfNeeded: staging.lanes[field].textCount), valid: false)
        }
    }

    @inline(__always)
    mutating func append(_ field: Int, int64 value: Int64) { stage(field, value, valid: true) }

    @inline(__always)
    mutating func append(_ field: Int, int128 value: Int128) { stage(field, value, valid: true) }

    @inline(__always)
    mutating func append(_ field: Int, double value: Double) { stage(field, value, valid: true) }

    @inline(__always)
    mutating func append(_ field: Int, bool value: Bool) { stage(field, value, valid: true) }

    @inline(__always)
    mutating func append(_ field: Int, text: UnsafeRawBufferPointer) {
        let lane = staging.lanes + field
        let used = lane.pointee.textCount
        let count = text.count
        if count > lane.pointee.textCapacity &- used {
            flush(field)
            if count > lane.pointee.textCapacity { staging.growText(field, to: count) }
        }
        let to = lane.pointee.text + lane.pointee.textCount
        if let from = text.baseAddress { UnsafeMutableRawPointer(to).copySmall(from: from, count: count) }
        lane.pointee.textCount &+= count
        stage(field, Int32(truncatingIfNeeded: lane.pointee.textCount), valid: true)
    }

    @inline(__always)
    mutating func append(_ field: Int, escapedText text: UnsafePointer<UInt8>, count: Int) {
        // Rare: unescaped into the vector itself, after the rows staged before it.
        flush(field)
        JSONUnescaping.appendUnescaped(text, count: count, to: &texts[positions[field]])
        if !validity[field].isEmpty { validity[field].append(true) }
    }
}

/// The raw memory of a ``JSONBatchWriter``'s staged rows, freed with it.
final class JSONStaging {
    /// One field's staged rows: values (a text field's are the Int32 ends of its strings in
    /// `text`), whether each is valid, and for text the bytes.
    struct Lane {
        var values: UnsafeMutableRawPointer
        var valid: UnsafeMutablePointer<Bool>
        var rows = 0
        /// Whether a staged row is NULL.
        var nulls = false
        var text: UnsafeMutablePointer<UInt8>
        var textCount = 0
        var textCapacity: Int
    }

    let lanes: UnsafeMutablePointer<Lane>
    private let count: Int

    init(kinds: [StorageKind], rows: Int) {
        count = kinds.count
        lanes = .allocate(capacity: max(count, 1))
        for (i, kind) in kinds.enumerated() {
            let stride = switch kind {
            case .int128: 16
            case .int64, .double: 8
            case .bytes: 4
            case .bool: 1
            }
            let textCapacity = kind == .bytes ? rows * 32 : 0
            (lanes + i).initialize(to: Lane(values: .allocate(byteCount: rows * stride, alignment: 16),
                                            valid: .allocate(capacity: rows),
                                            text: .allocate(capacity: max(textCapacity, 1)), textCapacity: textCapacity))
        }
    }

    deinit {
        for i in 0..<count {
            lanes[i].values.deallocate()
            lanes[i].valid.deallocate()
            lanes[i].text.deallocate()
        }
        lanes.deinitialize(count: count)
        lanes.deallocate()
    }

    /// Makes room for `capacity` staged text bytes in field `field`, which holds none.
    func growText(_ field: Int, to capacity: Int) {
        lanes[field].text.deallocate()
        lanes[field].text = .allocate(capacity: capacity)
        lanes[field].textCapacity = capacity
    }
}
