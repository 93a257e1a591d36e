extension Column {
    /// Moves the data out, leaving an empty `[Int64]`, which costs nothing to make: the taken
    /// vector is then uniquely referenced, so appending to it never copies it.
    @inline(__always)
    mutating func takeData() -> ColumnData {
        var taken = ColumnData.int64([])
        swap(&taken, &data)
        return taken
    }

    /// Appends a NULL: a zero value of the physical kind, marked invalid.
    @inline(__always)
    mutating func appendNull() {
        if validity.isEmpty { validity = Array(repeating: true, count: count) }
        switch takeData() {
        case .int64(var v): v.append(0); data = .int64(v)
        case .int128(var v): v.append(0); data = .int128(v)
        case .double(var v): v.append(0); data = .double(v)
        case .bool(var v): v.append(false); data = .bool(v)
        case .bytes(var v): v.appendEmpty(); data = .bytes(v)
        }
        validity.append(false)
    }

    @inline(__always)
    mutating func append(_ value: Int64) {
        guard case .int64(var v) = takeData() else { preconditionFailure("append Int64 to \(type)") }
        v.append(value)
        data = .int64(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func append(_ value: Int128) {
        guard case .int128(var v) = takeData() else { preconditionFailure("append Int128 to \(type)") }
        v.append(value)
        data = .int128(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func append(_ value: Double) {
        guard case .double(var v) = takeData() else { preconditionFailure("append Double to \(type)") }
        v.append(value)
        data = .double(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func append(_ value: Bool) {
        guard case .bool(var v) = takeData() else { preconditionFailure("append Bool to \(type)") }
        v.append(value)
        data = .bool(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        guard case .bytes(var v) = takeData() else { preconditionFailure("append bytes to \(type)") }
        v.append(bytes)
        data = .bytes(v)
        if !validity.isEmpty { validity.append(true) }
    }

    /// Appends every row of `other`, a column of the same type: a vector at a time, not a
    /// boxed value per row.
    mutating func append(contentsOf other: Column) {
        guard other.count > 0 else { return }
        if !validity.isEmpty || other.hasNulls {
            let mine = validity.isEmpty ? Array(repeating: true, count: count) : validity
            validity = mine + (other.validity.isEmpty ? Array(repeating: true, count: other.count) : other.validity)
        }
        switch (takeData(), other.data) {
        case (.int64(var a), .int64(let b)): a.append(contentsOf: b); data = .int64(a)
        case (.int128(var a), .int128(let b)): a.append(contentsOf: b); data = .int128(a)
        case (.double(var a), .double(let b)): a.append(contentsOf: b); data = .double(a)
        case (.bool(var a), .bool(let b)): a.append(contentsOf: b); data = .bool(a)
        case (.bytes(var a), .bytes(let b)): a.append(contentsOf: b); data = .bytes(a)
        default: preconditionFailure("append \(other.type) rows to \(type)")
        }
    }

    mutating func append(_ string: String) {
        var s = string
        s.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Gives mutable access to the byte vector (for decoders that build a string in pieces);
    /// the caller appends exactly one element and then calls ``markLastValid()``.
    @inline(__always)
    mutating func withByteVector<R>(_ body: (inout ByteVector) -> R) -> R {
        guard case .bytes(var v) = takeData() else { preconditionFailure("byte access to \(type)") }
        defer { data = .bytes(v) }
        return body(&v)
    }

    /// Records the validity of a value appended through ``withByteVector(_:)``.
    @inline(__always)
    mutating func markLastValid() {
        if !validity.isEmpty { validity.append(true) }
    }

    /// Removes the last row: for decoders that find a record malformed after writing part of it.
    mutating func removeLast() {
        switch takeData() {
        case .int64(var v): v.removeLast(); data = .int64(v)
        case .int128(var v): v.removeLast(); data = .int128(v)
        case .double(var v): v.removeLast(); data = .double(v)
        case .bool(var v): v.removeLast(); data = .bool(v)
        case .bytes(var v): v.removeLast(); data = .bytes(v)
        }
        if !validity.isEmpty { validity.removeLast() }
    }

    /// Turns the last row into a NULL (Spark's PERMISSIVE mode nulls the fields it could not
    /// read and keeps the others).
    mutating func nullifyLast() {
        removeLast()
        appendNull()
    }
}

/// Marks `row` of a validity vector null, materialising the vector (all valid) on first use.
func markNull(_ validity: inout [Bool], _ row: Int, count: Int) {
    if validity.isEmpty { validity = Array(repeating: true, count: count) }
    validity[row] = false
}
