// Appends that cost no reference counting and no allocation per value.
//
// `Column`'s own appends bind the payload out of `data` (a retain per array), park a
// placeholder, append, and store it back: two atomic reference-count operations per array, and
// for STRING columns a fresh `ByteVector()` placeholder whose `[0]` offsets array is a heap
// allocation per value. These swap the payload out instead, which moves it, and park an empty
// `[Int64]`, which is free. They are otherwise the same operations.
//
// Why they stay separate from Types/Column+Append.swift (measured 2026-11-25, release, Q1 over
// 2M lines): routing the decoder through Column's own appends, even rewritten in these very
// forms, ran 1.7x to 60x slower; the slow variants copied the whole column on every append.
// The optimizer treats the two files differently in a way not yet understood: find out why
// before merging them.

extension Column {
    /// Moves the data out, leaving a placeholder that costs nothing to create or destroy.
    @inline(__always)
    mutating func jsonTakeData() -> ColumnData {
        var taken = ColumnData.int64([])
        swap(&taken, &data)
        return taken
    }

    @inline(__always)
    mutating func jsonAppendNull() {
        if validity.isEmpty { validity = Array(repeating: true, count: count) }
        switch jsonTakeData() {
        case .int64(var v): v.append(0); data = .int64(v)
        case .int128(var v): v.append(0); data = .int128(v)
        case .double(var v): v.append(0); data = .double(v)
        case .bool(var v): v.append(false); data = .bool(v)
        case .bytes(var v): v.appendEmpty(); data = .bytes(v)
        }
        validity.append(false)
    }

    @inline(__always)
    mutating func jsonAppend(int64 value: Int64) {
        guard case .int64(var v) = jsonTakeData() else { preconditionFailure("append Int64 to \(type)") }
        v.append(value)
        data = .int64(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func jsonAppend(int128 value: Int128) {
        guard case .int128(var v) = jsonTakeData() else { preconditionFailure("append Int128 to \(type)") }
        v.append(value)
        data = .int128(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func jsonAppend(double value: Double) {
        guard case .double(var v) = jsonTakeData() else { preconditionFailure("append Double to \(type)") }
        v.append(value)
        data = .double(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func jsonAppend(bool value: Bool) {
        guard case .bool(var v) = jsonTakeData() else { preconditionFailure("append Bool to \(type)") }
        v.append(value)
        data = .bool(v)
        if !validity.isEmpty { validity.append(true) }
    }

    @inline(__always)
    mutating func jsonAppendText(_ text: UnsafeRawBufferPointer) {
        guard case .bytes(var vector) = jsonTakeData() else { preconditionFailure("append text to \(type)") }
        vector.append(text)
        data = .bytes(vector)
        if !validity.isEmpty { validity.append(true) }
    }

    /// Appends the decoded contents of validated JSON string text that contains escapes.
    @inline(__always)
    mutating func jsonAppendUnescaped(_ text: UnsafePointer<UInt8>, count: Int) {
        guard case .bytes(var vector) = jsonTakeData() else { preconditionFailure("append text to \(type)") }
        JSONUnescaping.appendUnescaped(text, count: count, to: &vector)
        data = .bytes(vector)
        if !validity.isEmpty { validity.append(true) }
    }
}
