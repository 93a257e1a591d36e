/// A bounds-checked reader of one flatbuffer: a message's metadata inside the stream's bytes.
///
/// Only what Arrow's `Message.fbs` and `Schema.fbs` need: tables through their vtables, scalar
/// fields with defaults, strings, vectors of structs and of tables. Every position is checked
/// against the metadata's range before it is read, so a hostile offset is an ``ArrowError``.
struct FlatBuffer {
    let bytes: [UInt8]
    /// The metadata's absolute range in `bytes`.
    let start: Int
    let end: Int

    func check(_ position: Int, _ size: Int, _ what: String) throws(ArrowError) {
        guard position >= start, position <= end - size else {
            throw ArrowError("flatbuffer \(what) points outside the message metadata", at: max(start, min(position, end)))
        }
    }

    /// A little-endian integer at an absolute position.
    func load<T: FixedWidthInteger>(_ type: T.Type, at position: Int, _ what: String = "field") throws(ArrowError) -> T {
        try check(position, MemoryLayout<T>.size, what)
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[position + i]) << (8 * i) }
        return value
    }

    /// The root table, whose offset is the buffer's first word.
    func root() throws(ArrowError) -> Table {
        try table(at: start + Int(load(UInt32.self, at: start, "root offset")))
    }

    func table(at position: Int) throws(ArrowError) -> Table {
        let vtable = position - Int(try load(Int32.self, at: position, "table"))
        let vtableSize = Int(try load(UInt16.self, at: vtable, "vtable"))
        let tableSize = Int(try load(UInt16.self, at: vtable + 2, "vtable"))
        guard vtableSize >= 4, vtableSize % 2 == 0 else { throw ArrowError("flatbuffer vtable of \(vtableSize) bytes", at: vtable) }
        try check(vtable, vtableSize, "vtable")
        try check(position, max(tableSize, 4), "table")
        return Table(buffer: self, position: position, vtable: vtable, vtableSize: vtableSize)
    }
}

/// One flatbuffer table: fields are found through its vtable; an absent field has its default.
struct Table {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let vtableSize: Int

    /// The absolute position of field `index`, nil when the table does not store it.
    func field(_ index: Int) throws(ArrowError) -> Int? {
        let entry = 4 + 2 * index
        guard entry + 2 <= vtableSize else { return nil }
        let offset = Int(try buffer.load(UInt16.self, at: vtable + entry, "vtable"))
        return offset == 0 ? nil : position + offset
    }

    func scalar<T: FixedWidthInteger>(_ index: Int, default value: T) throws(ArrowError) -> T {
        guard let p = try field(index) else { return value }
        return try buffer.load(T.self, at: p)
    }

    func bool(_ index: Int) throws(ArrowError) -> Bool { try scalar(index, default: UInt8(0)) != 0 }

    /// The target of an offset field (a table, string or vector).
    private func indirect(_ index: Int) throws(ArrowError) -> Int? {
        guard let p = try field(index) else { return nil }
        return p + Int(try buffer.load(UInt32.self, at: p, "offset"))
    }

    func table(_ index: Int) throws(ArrowError) -> Table? {
        guard let p = try indirect(index) else { return nil }
        return try buffer.table(at: p)
    }

    func string(_ index: Int) throws(ArrowError) -> String? {
        guard let p = try indirect(index) else { return nil }
        let count = Int(try buffer.load(UInt32.self, at: p, "string"))
        try buffer.check(p + 4, count, "string")
        return String(decoding: buffer.bytes[(p + 4)..<(p + 4 + count)], as: UTF8.self)
    }

    /// A vector field: the absolute position of its first element and its element count, with
    /// every element (of `stride` bytes) inside the metadata.
    func vector(_ index: Int, stride: Int) throws(ArrowError) -> (first: Int, count: Int)? {
        guard let p = try indirect(index) else { return nil }
        let count = Int(try buffer.load(UInt32.self, at: p, "vector"))
        guard count <= (buffer.end - p - 4) / stride else {
            throw ArrowError("flatbuffer vector of \(count) elements overruns the message metadata", at: p)
        }
        return (p + 4, count)
    }

    func tables(_ index: Int) throws(ArrowError) -> [Table] {
        guard let (first, count) = try vector(index, stride: 4) else { return [] }
        var tables: [Table] = []
        tables.reserveCapacity(count)
        for i in 0..<count {
            let p = first + 4 * i
            tables.append(try buffer.table(at: p + Int(try buffer.load(UInt32.self, at: p, "offset"))))
        }
        return tables
    }
}
