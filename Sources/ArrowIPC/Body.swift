import CellKernel

/// One field node of a record batch with its buffers located and checked: every range is
/// inside the body and every offset inside its target, so reading values cannot go astray.
struct ArrayData {
    var length: Int
    /// Absolute range of the validity bitmap; nil when no value is NULL.
    var validity: Range<Int>?
    /// Absolute ranges of the type's other buffers (values; or offsets then bytes).
    var buffers: [Range<Int>]
    var children: [ArrayData]
}

/// Walks a record batch's field nodes and buffers in the schema's pre-order, checking each.
struct BodyWalker {
    let bytes: [UInt8]
    let header: RecordBatchHeader
    /// The body's absolute start and length.
    let body: Int
    let bodyLength: Int
    /// Where the record batch's metadata is: the offset for errors about its nodes and buffers.
    let metadata: Int
    var nextNode = 0
    var nextBuffer = 0
    /// Rows of NULL-typed (bufferless) nodes still allowed: they cost no body bytes, so without
    /// a bound a few bytes could ask for billions of rows.
    var bufferlessBudget: Int

    mutating func node() throws(ArrowError) -> (length: Int, nullCount: Int) {
        guard nextNode < header.nodes.count else {
            throw ArrowError("record batch has \(header.nodes.count) field nodes, the schema needs more", at: metadata)
        }
        let (length, nullCount) = header.nodes[nextNode]
        nextNode += 1
        // No real column has more rows than bits in the stream (NULL-typed ones aside, which
        // the budget bounds), so a larger length is corrupt before any buffer is looked at.
        guard length >= 0, nullCount >= 0, nullCount <= length, length <= Int64(bytes.count) * 8 + (1 << 16) else {
            throw ArrowError("field node \(nextNode - 1) has length \(length) and null count \(nullCount)", at: metadata)
        }
        return (Int(length), Int(nullCount))
    }

    mutating func buffer() throws(ArrowError) -> Range<Int> {
        guard nextBuffer < header.buffers.count else {
            throw ArrowError("record batch has \(header.buffers.count) buffers, the schema needs more", at: metadata)
        }
        let (offset, length) = header.buffers[nextBuffer]
        nextBuffer += 1
        guard offset >= 0, length >= 0, offset <= Int64(bodyLength), length <= Int64(bodyLength) - offset else {
            throw ArrowError("buffer \(nextBuffer - 1) (offset \(offset), length \(length)) is outside the \(bodyLength)-byte body", at: metadata)
        }
        return (body + Int(offset))..<(body + Int(offset) + Int(length))
    }

    mutating func validity(_ length: Int, _ nullCount: Int) throws(ArrowError) -> Range<Int>? {
        let bitmap = try buffer()
        guard nullCount > 0 else { return nil }
        guard bitmap.count >= bitmapBytes(length) else {
            throw ArrowError("validity bitmap of \(bitmap.count) bytes for \(length) rows", at: bitmap.lowerBound)
        }
        return bitmap
    }

    mutating func charge(_ rows: Int) throws(ArrowError) {
        guard rows <= bufferlessBudget else {
            throw ArrowError("NULL-typed columns claim more rows than the stream can describe", at: metadata)
        }
        bufferlessBudget -= rows
    }

    mutating func array(_ spec: FieldSpec) throws(ArrowError) -> ArrayData {
        let (length, nullCount) = try node()
        switch spec.layout {
        case .null:
            try charge(length)
            return ArrayData(length: length, validity: nil, buffers: [], children: [])
        case .fixed(let kind):
            let validity = try validity(length, nullCount)
            let values = try buffer()
            guard length <= values.count / kind.width else {
                throw ArrowError("values buffer of \(values.count) bytes for \(length) rows of field '\(spec.name)'", at: values.lowerBound)
            }
            return ArrayData(length: length, validity: validity, buffers: [values], children: [])
        case .bool:
            let validity = try validity(length, nullCount)
            let values = try buffer()
            guard values.count >= bitmapBytes(length) else {
                throw ArrowError("boolean buffer of \(values.count) bytes for \(length) rows of field '\(spec.name)'", at: values.lowerBound)
            }
            return ArrayData(length: length, validity: validity, buffers: [values], children: [])
        case .utf8(let large):
            let validity = try validity(length, nullCount)
            let offsets = try buffer()
            let data = try buffer()
            try checkOffsets(offsets, large: large, length: length, limit: data.count, spec.name)
            return ArrayData(length: length, validity: validity, buffers: [offsets, data], children: [])
        case .structure(let fields):
            let validity = try validity(length, nullCount)
            if fields.isEmpty { try charge(length) }
            var children: [ArrayData] = []
            for field in fields { children.append(try child(field, atLeast: length, of: spec.name)) }
            return ArrayData(length: length, validity: validity, buffers: [], children: children)
        case .list(let element, let large):
            let validity = try validity(length, nullCount)
            let offsets = try buffer()
            let child = try array(element)
            try checkOffsets(offsets, large: large, length: length, limit: child.length, spec.name)
            return ArrayData(length: length, validity: validity, buffers: [offsets], children: [child])
        case .map(let entries):
            let validity = try validity(length, nullCount)
            let offsets = try buffer()
            let child = try array(entries)
            if child.validity != nil { throw ArrowError("map field '\(spec.name)' has NULL entries", at: metadata) }
            try checkOffsets(offsets, large: false, length: length, limit: child.length, spec.name)
            return ArrayData(length: length, validity: validity, buffers: [offsets], children: [child])
        }
    }

    mutating func child(_ field: FieldSpec, atLeast length: Int, of parent: String) throws(ArrowError) -> ArrayData {
        let child = try array(field)
        guard child.length >= length else {
            throw ArrowError("field '\(field.name)' of '\(parent)' has \(child.length) rows, its struct \(length)", at: metadata)
        }
        return child
    }

    /// Offsets must be `length + 1` non-decreasing values inside `0...limit`.
    func checkOffsets(_ offsets: Range<Int>, large: Bool, length: Int, limit: Int, _ name: String) throws(ArrowError) {
        // A zero-length array may leave its offsets buffer empty.
        if length == 0 && offsets.isEmpty { return }
        let width = large ? 8 : 4
        guard length < offsets.count / width else {
            throw ArrowError("offsets buffer of \(offsets.count) bytes for \(length) rows of field '\(name)'", at: offsets.lowerBound)
        }
        var previous = 0
        for i in 0...length {
            let at = offsets.lowerBound + i * width
            let offset = large ? Int(bytes.loadLE(Int64.self, at: at)) : Int(bytes.loadLE(Int32.self, at: at))
            guard offset >= 0, offset <= limit, i == 0 || offset >= previous else {
                throw ArrowError("offset \(offset) of row \(max(i - 1, 0)) of field '\(name)' is outside 0...\(limit) or decreasing", at: at)
            }
            previous = offset
        }
    }
}

func bitmapBytes(_ bits: Int) -> Int { bits / 8 + (bits % 8 == 0 ? 0 : 1) }

extension [UInt8] {
    /// A little-endian value at a position the caller has checked.
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_ type: T.Type, at position: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: T.self)) }
    }

    @inline(__always)
    func bit(_ range: Range<Int>, _ index: Int) -> Bool {
        self[range.lowerBound + index >> 3] & (1 << UInt8(index & 7)) != 0
    }
}
