extension GroupTable {
    /// The group keys for a snapshot: every group's encoded key end to end, in group order
    /// (each key already a typed, length-prefixed encoding), after the number of groups. The
    /// ids between them in the arena are left out: a key's place is its id.
    func write(to out: inout SnapshotWriter) {
        out.int(count)
        out.int(keysByteCount)
        out.fill(keysByteCount) { copyKeys(0..<count, into: $0) }
    }

    /// Rebuilds a table from ``write(to:)``'s output. The arena is walked with the query's key
    /// types, checking every length, so damaged keys are an error rather than a crash; the
    /// keys are then inserted anew (hashes are not stored: they are cheap to recompute and
    /// keeping them out of the format leaves the hash function free to change).
    static func read(from reader: inout SnapshotReader, keyTypes: [SQLType]) throws(SnapshotError) -> GroupTable {
        let groups = try reader.count("group count")
        let arena = try reader.blob("group keys")
        var columns = keyTypes.map { Column(type: $0, capacity: groups) }
        var keys = SnapshotReader(Array(arena))
        for group in 0..<groups {
            for c in columns.indices {
                let what = "key \(c + 1) of group \(group)"
                guard try keys.bool("\(what) null flag") else { columns[c].appendNull(); continue }
                switch keyTypes[c].storage {
                case .int64: columns[c].append(try keys.i64(what))
                case .int128:
                    let low = try keys.u64(what)
                    columns[c].append(Int128(bitPattern: UInt128(try keys.u64(what)) << 64 | UInt128(low)))
                case .double: columns[c].append(try keys.f64(what))
                case .bool: columns[c].append(try keys.bool(what))
                case .bytes:
                    let length = try keys.u64("\(what) length")
                    guard length <= UInt64(keys.remaining) else {
                        throw .truncated(what: what, offset: keys.offset, needed: Int(clamping: length))
                    }
                    let text = try keys.take(Int(length), what)
                    text.withUnsafeBytes { columns[c].append(bytes: $0) }
                }
            }
        }
        guard keys.remaining == 0 else { throw .corrupt("\(keys.remaining) bytes left over after \(groups) group keys") }
        var table = GroupTable(keyTypes: keyTypes)
        if keyTypes.isEmpty {
            // A global aggregate has its one group whatever the input.
            if groups > 0 { _ = table.groupIDs([], count: 0) }
        } else {
            _ = table.groupIDs(columns, count: groups)
        }
        guard table.count == groups else { throw .corrupt("\(groups) groups, but only \(table.count) distinct keys") }
        return table
    }
}
