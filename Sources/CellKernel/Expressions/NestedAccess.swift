/// Functions over STRUCT, ARRAY and MAP values, evaluated on their ``NestedEncoding`` bytes:
/// a field or an element is read by walking one row's slice, never by boxing the whole value.
public enum NestedFunction: Sendable, Hashable {
    /// Field `index` of a STRUCT (`s.a`).
    case field(index: Int)
    /// `arr[i]`: 0-based; out of range, negative or NULL is NULL (Spark's GetArrayItem).
    case arrayItem
    /// `element_at(arr, i)`: 1-based, negative counts from the end, out of range is NULL
    /// (non-ANSI). An index 0 is an error in Spark; the binder refuses a constant 0 and a
    /// computed 0 gives NULL here (a batch cannot raise a per-row error).
    case elementAt
    /// `m[k]` and `element_at(m, k)`: the value of key `k`, NULL when absent.
    case mapValue
    /// `size(x)` and `cardinality(x)`: elements or entries; -1 for NULL, as Spark 3.5 in its
    /// default non-ANSI mode (`spark.sql.legacy.sizeOfNull` is true, ANSI off).
    case size
    /// `array(a, b, ...)`, every argument already in the element type.
    case makeArray
    /// `struct(a, b, ...)` and `named_struct('a', x, ...)`: the arguments in field order.
    case makeStruct
    /// `map(k1, v1, ...)`: a NULL key makes the map NULL (Spark raises); a repeated key keeps
    /// its first position and its last value (Spark's LAST_WIN policy; its default EXCEPTION
    /// raises, which the binder does for constant keys).
    case makeMap
    /// `array_contains(arr, v)`: true if found; else NULL if the array has a NULL; else false.
    case arrayContains
    case mapKeys, mapValues
    /// `sort_array(arr, ascending)`: NULLs first ascending, last descending (Spark).
    case sortArray(ascending: Bool)
    /// `array_distinct(arr)`: first occurrences, in order, one NULL at most.
    case arrayDistinct
    /// `flatten(arr)`: the inner arrays end to end; NULL if any inner array is NULL.
    case flatten
    /// `to_json(x)`.
    case toJSON
    /// `from_json(text, schema)`: the call's type is the schema.
    case fromJSON
    /// `get_json_object(text, path)`; a nil path did not parse (every row NULL, as Spark).
    case getJSONObject(path: JSONPath?)
}

enum NestedAccess {
    /// How EXPLAIN prints a call: `u.name`, `tags[0]`, `m[k]`, else the SQL function's name.
    static func explain(_ function: NestedFunction, _ types: [SQLType], _ args: [String]) -> String {
        let name: String
        switch function {
        case .field(let index):
            if case .struct(let fields)? = types.first, index < fields.count, let base = args.first { return "\(base).\(fields[index].name)" }
            name = "field"
        case .arrayItem, .mapValue:
            if args.count == 2 { return "\(args[0])[\(args[1])]" }
            name = "element"
        case .elementAt: name = "element_at"
        case .size: name = "size"
        case .makeArray: name = "array"
        case .makeStruct: name = "struct"
        case .makeMap: name = "map"
        case .arrayContains: name = "array_contains"
        case .mapKeys: name = "map_keys"
        case .mapValues: name = "map_values"
        case .sortArray: name = "sort_array"
        case .arrayDistinct: name = "array_distinct"
        case .flatten: name = "flatten"
        case .toJSON: name = "to_json"
        case .fromJSON: name = "from_json"
        case .getJSONObject: name = "get_json_object"
        }
        return "\(name)(\(args.joined(separator: ", ")))"
    }

    static func apply(_ function: NestedFunction, _ inputs: [Column], type: SQLType, count: Int) -> Column {
        switch function {
        case .field(let index): return field(inputs[0], index: index, type: type)
        case .arrayItem: return arrayItem(inputs[0], inputs[1], type: type, oneBased: false)
        case .elementAt: return arrayItem(inputs[0], inputs[1], type: type, oneBased: true)
        case .mapValue: return mapValue(inputs[0], inputs[1], type: type)
        case .size: return size(inputs[0])
        case .makeArray: return makeArray(inputs, type: type, count: count)
        case .makeStruct: return makeStruct(inputs, type: type, count: count)
        case .makeMap: return makeMap(inputs, type: type, count: count)
        case .arrayContains: return arrayContains(inputs[0], inputs[1])
        case .mapKeys: return mapPart(inputs[0], keys: true, type: type)
        case .mapValues: return mapPart(inputs[0], keys: false, type: type)
        case .sortArray(let ascending): return CollectionFunctions.sortArray(inputs[0], ascending: ascending)
        case .arrayDistinct: return CollectionFunctions.arrayDistinct(inputs[0])
        case .flatten: return CollectionFunctions.flatten(inputs[0], type: type)
        case .toJSON: return JSONFunctions.toJSON(inputs[0])
        case .fromJSON: return JSONFunctions.fromJSON(inputs[0], type: type)
        case .getJSONObject(let path): return JSONFunctions.getJSONObject(inputs[0], path: path)
        }
    }

    /// Calls `body` with each row's reader, or appends NULL for a NULL row (and for a column of
    /// the NULL type, which has no bytes).
    static func eachRow(_ input: Column, into out: inout Column, _ body: (inout NestedReader, inout Column) -> Void) {
        guard case .bytes(let vector) = input.data else {
            for _ in 0..<input.count { out.appendNull() }
            return
        }
        vector.bytes.withUnsafeBytes { all in
            for row in 0..<input.count {
                if input.isNull(row) { out.appendNull(); continue }
                var reader = NestedReader(UnsafeRawBufferPointer(rebasing: all[vector.range(row)]))
                body(&reader, &out)
            }
        }
    }

    private static func field(_ input: Column, index: Int, type: SQLType) -> Column {
        var out = Column(type: type, capacity: input.count)
        guard case .struct(let fields) = input.type, index < fields.count else {
            return Column(repeating: .null, type: type, count: input.count)
        }
        eachRow(input, into: &out) { reader, out in
            for i in 0..<index where !reader.skipSlot(fields[i].type) { out.appendNull(); return }
            out.appendEncodedSlot(&reader, type: fields[index].type)
        }
        return out
    }

    /// Moves `reader`, at an array's count, to the slot of element `index`, or returns false
    /// when there is none (out of range or malformed).
    private static func seekElement(_ reader: inout NestedReader, _ element: SQLType, index: Int64, oneBased: Bool) -> Bool {
        guard let n = reader.uint32().map(Int64.init) else { return false }
        let position: Int64
        if oneBased {
            guard index != 0 else { return false }
            position = index > 0 ? index - 1 : n + index
        } else {
            position = index
        }
        guard position >= 0, position < n else { return false }
        for _ in 0..<position where !reader.skipSlot(element) { return false }
        return true
    }

    private static func arrayItem(_ array: Column, _ index: Column, type: SQLType, oneBased: Bool) -> Column {
        var out = Column(type: type, capacity: array.count)
        guard case .array(let element) = array.type, case .int64(let indices) = index.data else {
            return Column(repeating: .null, type: type, count: array.count)
        }
        var row = 0
        eachRow(array, into: &out) { reader, out in
            defer { row += 1 }
            guard !index.isNull(row), seekElement(&reader, element, index: indices[row], oneBased: oneBased) else {
                out.appendNull()
                return
            }
            out.appendEncodedSlot(&reader, type: element)
        }
        return out
    }

    /// Keys compare by their canonical encodings, which are equal exactly when the values are.
    private static func mapValue(_ map: Column, _ key: Column, type: SQLType) -> Column {
        var out = Column(type: type, capacity: map.count)
        guard case .map(let keyType, let valueType) = map.type else {
            return Column(repeating: .null, type: type, count: map.count)
        }
        var wanted: [UInt8] = []
        var row = 0
        eachRow(map, into: &out) { reader, out in
            defer { row += 1 }
            guard !key.isNull(row), let n = reader.uint32() else { out.appendNull(); return }
            wanted.removeAll(keepingCapacity: true)
            NestedEncoding.appendSlot(of: key, row: row, to: &wanted)
            for _ in 0..<n {
                guard let entryKey = reader.slotBytes(keyType) else { break }
                if entryKey.elementsEqual(wanted) {
                    out.appendEncodedSlot(&reader, type: valueType)
                    return
                }
                guard reader.skipSlot(valueType) else { break }
            }
            out.appendNull()
        }
        return out
    }

    private static func size(_ input: Column) -> Column {
        var sizes: [Int64] = []
        sizes.reserveCapacity(input.count)
        guard case .bytes(let vector) = input.data else {
            return Column(type: .int, data: .int64(Array(repeating: -1, count: input.count)))
        }
        vector.bytes.withUnsafeBytes { all in
            for row in 0..<input.count {
                var reader = NestedReader(UnsafeRawBufferPointer(rebasing: all[vector.range(row)]))
                sizes.append(input.isNull(row) ? -1 : reader.uint32().map(Int64.init) ?? -1)
            }
        }
        return Column(type: .int, data: .int64(sizes))
    }

    private static func makeArray(_ inputs: [Column], type: SQLType, count: Int) -> Column {
        var out = Column(type: type, capacity: count)
        var scratch: [UInt8] = []
        for row in 0..<count {
            scratch.removeAll(keepingCapacity: true)
            NestedEncoding.appendUInt32(UInt32(inputs.count), to: &scratch)
            for input in inputs { NestedEncoding.appendSlot(of: input, row: row, to: &scratch) }
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }

    private static func makeStruct(_ inputs: [Column], type: SQLType, count: Int) -> Column {
        var out = Column(type: type, capacity: count)
        var scratch: [UInt8] = []
        for row in 0..<count {
            scratch.removeAll(keepingCapacity: true)
            for input in inputs { NestedEncoding.appendSlot(of: input, row: row, to: &scratch) }
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }

    /// Entries are encoded into one reused buffer and named by ranges, so a row allocates nothing.
    private static func makeMap(_ inputs: [Column], type: SQLType, count: Int) -> Column {
        var out = Column(type: type, capacity: count)
        var encoded: [UInt8] = [], scratch: [UInt8] = []
        var entries: [(key: Range<Int>, value: Range<Int>)] = []
        let pairs = inputs.count / 2
        rows: for row in 0..<count {
            encoded.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
            for p in 0..<pairs {
                let key = inputs[2 * p], value = inputs[2 * p + 1]
                if key.isNull(row) { out.appendNull(); continue rows }
                let keyStart = encoded.count
                NestedEncoding.appendSlot(of: key, row: row, to: &encoded)
                let valueStart = encoded.count
                NestedEncoding.appendSlot(of: value, row: row, to: &encoded)
                let entry = (key: keyStart..<valueStart, value: valueStart..<encoded.count)
                if let i = entries.firstIndex(where: { encoded[$0.key].elementsEqual(encoded[entry.key]) }) {
                    entries[i].value = entry.value
                } else {
                    entries.append(entry)
                }
            }
            scratch.removeAll(keepingCapacity: true)
            NestedEncoding.appendUInt32(UInt32(entries.count), to: &scratch)
            for entry in entries {
                scratch.append(contentsOf: encoded[entry.key])
                scratch.append(contentsOf: encoded[entry.value])
            }
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }

    private static func arrayContains(_ array: Column, _ value: Column) -> Column {
        var out = Column(type: .boolean, capacity: array.count)
        guard case .array(let element) = array.type else { return Column(repeating: .null, type: .boolean, count: array.count) }
        var wanted: [UInt8] = []
        var row = 0
        eachRow(array, into: &out) { reader, out in
            defer { row += 1 }
            guard !value.isNull(row), let n = reader.uint32() else { out.appendNull(); return }
            wanted.removeAll(keepingCapacity: true)
            NestedEncoding.appendSlot(of: value, row: row, to: &wanted)
            var sawNull = false
            for _ in 0..<n {
                guard let slot = reader.slotBytes(element) else { out.appendNull(); return }
                if slot.first == NestedEncoding.nullFlag { sawNull = true; continue }
                if slot.elementsEqual(wanted) { out.append(true); return }
            }
            if sawNull { out.appendNull() } else { out.append(false) }
        }
        return out
    }

    /// `map_keys` / `map_values`: the entries' key or value slots, copied into an array.
    private static func mapPart(_ map: Column, keys: Bool, type: SQLType) -> Column {
        var out = Column(type: type, capacity: map.count)
        guard case .map(let keyType, let valueType) = map.type else { return Column(repeating: .null, type: type, count: map.count) }
        var scratch: [UInt8] = []
        eachRow(map, into: &out) { reader, out in
            guard let n = reader.uint32() else { out.appendNull(); return }
            scratch.removeAll(keepingCapacity: true)
            NestedEncoding.appendUInt32(n, to: &scratch)
            for _ in 0..<n {
                guard let k = reader.slotBytes(keyType), let v = reader.slotBytes(valueType) else { out.appendNull(); return }
                scratch.append(contentsOf: keys ? k : v)
            }
            scratch.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }
}
