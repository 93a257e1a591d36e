/// How a requested field is converted: the SQL type flattened into what the hot loop switches on.
enum JSONFieldKind: UInt8 {
    case string, boolean, int32, int64, float, double, decimal, date, timestamp, null
    /// STRUCT, ARRAY or MAP: the value is encoded straight from the JSON bytes (``NestedJSON``).
    case nested

    init(_ type: SQLType) {
        switch type {
        case .string: self = .string
        case .boolean: self = .boolean
        case .int: self = .int32
        case .bigint: self = .int64
        case .float: self = .float
        case .double: self = .double
        case .decimal: self = .decimal
        case .date: self = .date
        case .timestamp: self = .timestamp
        case .null: self = .null
        case .struct, .array, .map: self = .nested
        }
    }
}

/// Per-field facts the decoder reads for every key it matches.
struct JSONFieldInfo {
    var kind: JSONFieldKind
    var precision: Int32
    var scale: Int32
    var nameStart: Int32
    var nameLength: Int32
    /// The next field requesting the same key, or -1: a key's value is read once per field.
    var nextSameName: Int32
}

/// An open-addressing table from key bytes to field index, sized at least eight slots per
/// field, so a key nobody requested almost always lands on an empty slot and costs a hash and
/// one load, with no byte comparison.
struct JSONFieldTable: Sendable {
    /// Field index + 1 per slot; 0 is empty.
    private(set) var slots: [Int16]
    private(set) var names: [UInt8]
    private(set) var info: [JSONFieldInfo]
    let shift: UInt64
    let multiplier: UInt64

    init(_ fields: [JSONFieldSpec]) {
        precondition(fields.count < Int(Int16.max), "too many JSON fields")
        var names: [UInt8] = []
        var info: [JSONFieldInfo] = []
        var firstByName: [String: Int] = [:]
        var lastByName: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            let start = names.count
            names.append(contentsOf: field.name.utf8)
            var precision: Int32 = 0
            var scale: Int32 = 0
            if case .decimal(let p, let s) = field.type {
                precision = Int32(clamping: p)
                scale = Int32(clamping: s)
            }
            info.append(JSONFieldInfo(kind: JSONFieldKind(field.type), precision: precision, scale: scale,
                                      nameStart: Int32(start), nameLength: Int32(names.count - start), nextSameName: -1))
            if let last = lastByName[field.name] {
                info[last].nextSameName = Int32(index)
            } else {
                firstByName[field.name] = index
            }
            lastByName[field.name] = index
        }
        names.append(0)  // keeps the buffer's base address non-nil when every name is empty

        var bits = 6
        while (1 << bits) < firstByName.count * 8 { bits += 1 }
        let size = 1 << bits
        let shift = UInt64(64 - bits)

        // Picks a multiplier that gives the requested names distinct home slots, so a requested
        // key never probes; the candidates are fixed, so the table is the same on every run.
        let distinct = firstByName.values.sorted()
        var candidate: UInt64 = 0x9E37_79B9_7F4A_7C15
        var chosen = candidate
        var fewestCollisions = Int.max
        for _ in 0..<64 {
            var used = Set<Int>()
            var collisions = 0
            for index in distinct {
                let home = names.withUnsafeBufferPointer { buffer in
                    JSONFieldTable.hash(buffer.baseAddress! + Int(info[index].nameStart), Int(info[index].nameLength),
                                        multiplier: candidate, shift: shift)
                }
                if !used.insert(home).inserted { collisions += 1 }
            }
            if collisions < fewestCollisions {
                fewestCollisions = collisions
                chosen = candidate
            }
            if collisions == 0 { break }
            candidate = candidate &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 | 1
        }

        var slots = [Int16](repeating: 0, count: size)
        for index in distinct {
            var slot = names.withUnsafeBufferPointer { buffer in
                JSONFieldTable.hash(buffer.baseAddress! + Int(info[index].nameStart), Int(info[index].nameLength),
                                    multiplier: chosen, shift: shift)
            }
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int16(index + 1)
        }
        self.slots = slots
        self.names = names
        self.info = info
        self.shift = shift
        self.multiplier = chosen
    }

    /// Mixes the length and the first and last four bytes of a key (overlapping when short).
    @inline(__always)
    static func hash(_ key: UnsafePointer<UInt8>, _ length: Int, multiplier: UInt64, shift: UInt64) -> Int {
        var x: UInt64
        if length >= 4 {
            let head = UnsafeRawPointer(key).loadUnaligned(as: UInt32.self)
            let tail = UnsafeRawPointer(key + length - 4).loadUnaligned(as: UInt32.self)
            x = UInt64(head) | UInt64(tail) << 32
        } else if length > 0 {
            x = UInt64(key[0]) | UInt64(key[length >> 1]) << 8 | UInt64(key[length - 1]) << 16
        } else {
            x = 0
        }
        x = (x &+ UInt64(truncatingIfNeeded: length) &* 0xFF51_AFD7_ED55_8CCD) &* multiplier
        return Int(truncatingIfNeeded: x >> shift)
    }

    /// Calls `body` with raw views of the table, valid for the duration of the call.
    @inline(__always)
    func withLookup<R>(_ body: (JSONFieldLookup) -> R) -> R {
        slots.withUnsafeBufferPointer { slots in
            names.withUnsafeBufferPointer { names in
                info.withUnsafeBufferPointer { info in
                    body(JSONFieldLookup(slots: slots.baseAddress!, mask: slots.count - 1, shift: shift,
                                         multiplier: multiplier, names: names.baseAddress!,
                                         info: info.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<JSONFieldInfo>.alignment)!,
                                         fieldCount: info.count))
                }
            }
        }
    }
}

/// The table as raw pointers, for the per-key path (no bounds checks, no reference counting).
struct JSONFieldLookup {
    let slots: UnsafePointer<Int16>
    let mask: Int
    let shift: UInt64
    let multiplier: UInt64
    let names: UnsafePointer<UInt8>
    let info: UnsafePointer<JSONFieldInfo>
    let fieldCount: Int

    /// The first field named by `key[0..<length]`, or -1.
    @inline(__always)
    func find(_ key: UnsafePointer<UInt8>, _ length: Int) -> Int {
        var slot = JSONFieldTable.hash(key, length, multiplier: multiplier, shift: shift)
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return -1 }
            let field = entry - 1
            let f = info[field]
            if Int(f.nameLength) == length && memcmpEqual(names + Int(f.nameStart), key, length) {
                return field
            }
            slot = (slot + 1) & mask
        }
    }
}
