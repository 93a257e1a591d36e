/// The array functions that reorder or regroup elements: `sort_array`, `array_distinct`,
/// `flatten`. Elements are compared by their canonical bytes (equality) or boxed values (order).
enum CollectionFunctions {
    /// Spark's order of two non-NULL scalars of one type: NaN above every number, strings by
    /// their UTF-8 bytes.
    static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return !x && y
        case (.int(let x), .int(let y)): return x < y
        case (.decimal(let x), .decimal(let y)): return x < y
        case (.double(let x), .double(let y)):
            if x.isNaN { return false }
            return y.isNaN || x < y
        case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        default: return false
        }
    }

    static func sortArray(_ array: Column, ascending: Bool) -> Column {
        var out = Column(type: array.type, capacity: array.count)
        guard case .array(let element) = array.type else { return out }
        var scratch: [UInt8] = []
        NestedAccess.eachRow(array, into: &out) { reader, out in
            guard let n = reader.uint32() else { out.appendNull(); return }
            var values: [Value] = []
            values.reserveCapacity(Int(n))
            for _ in 0..<n {
                guard let v = reader.slot(element) else { out.appendNull(); return }
                values.append(v)
            }
            let nulls = values.filter(\.isNull).count
            var present = values.filter { !$0.isNull }
            present.sort(by: ascending ? { less($0, $1) } : { less($1, $0) })
            scratch.removeAll(keepingCapacity: true)
            NestedEncoding.appendUInt32(n, to: &scratch)
            if ascending { for _ in 0..<nulls { scratch.append(NestedEncoding.nullFlag) } }
            for v in present { _ = NestedEncoding.appendSlot(v, type: element, to: &scratch) }
            if !ascending { for _ in 0..<nulls { scratch.append(NestedEncoding.nullFlag) } }
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }

    /// Hashes each element's slot bytes, so a million distinct elements cost a million lookups.
    static func arrayDistinct(_ array: Column) -> Column {
        var out = Column(type: array.type, capacity: array.count)
        guard case .array(let element) = array.type else { return out }
        var scratch: [UInt8] = []
        NestedAccess.eachRow(array, into: &out) { reader, out in
            guard let n = reader.uint32() else { out.appendNull(); return }
            var seen = Set<[UInt8]>()
            var kept: UInt32 = 0
            scratch.removeAll(keepingCapacity: true)
            NestedEncoding.appendUInt32(0, to: &scratch)
            for _ in 0..<n {
                guard let slot = reader.slotBytes(element) else { out.appendNull(); return }
                let bytes = Array(slot)
                if seen.insert(bytes).inserted {
                    scratch.append(contentsOf: bytes)
                    kept += 1
                }
            }
            NestedEncoding.patchUInt32(kept, at: 0, in: &scratch)
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }

    static func flatten(_ array: Column, type: SQLType) -> Column {
        var out = Column(type: type, capacity: array.count)
        guard case .array(.array(let element)) = array.type else { return out }
        var scratch: [UInt8] = []
        NestedAccess.eachRow(array, into: &out) { reader, out in
            guard let n = reader.uint32() else { out.appendNull(); return }
            var total: UInt32 = 0
            scratch.removeAll(keepingCapacity: true)
            NestedEncoding.appendUInt32(0, to: &scratch)
            for _ in 0..<n {
                guard let flag = reader.byte(), flag != NestedEncoding.nullFlag, let m = reader.uint32() else {
                    out.appendNull()
                    return
                }
                for _ in 0..<m {
                    guard let slot = reader.slotBytes(element) else { out.appendNull(); return }
                    scratch.append(contentsOf: slot)
                }
                total &+= m
            }
            NestedEncoding.patchUInt32(total, at: 0, in: &scratch)
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }
}
