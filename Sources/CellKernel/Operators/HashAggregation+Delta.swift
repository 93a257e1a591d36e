/// Which groups changed since the last checkpoint, and which left the state: what an
/// incremental checkpoint saves instead of every group.
///
/// A flag per group rather than a set of ids, so marking costs a test of one byte; it is set
/// where a batch first touches a group, which is once per group per batch whatever the number
/// of rows. Off (and empty) until a checkpoint or a restore gives a state to change from.
struct ChangeLog: Sendable {
    private(set) var isOn = false
    /// Per group id: changed since the checkpoint.
    private(set) var changed: [Bool] = []
    /// The changed ids, each once, in the order they were marked.
    private(set) var changedIDs: [Int] = []
    /// Keys of groups removed since the checkpoint (windows the watermark closed), each once;
    /// nil while the log is off (a partial aggregation per scan thread allocates none).
    private(set) var removed: GroupTable?

    /// From now on, changes are counted from the state as it is, with `groups` groups.
    ///
    /// Called after every checkpoint: the flags set are cleared one by one and the arrays keep
    /// their memory, so a checkpoint costs what changed, not what is held.
    mutating func start(groups: Int, keyTypes: [SQLType]) {
        if isOn {
            changed.withUnsafeMutableBufferPointer { flags in
                for id in changedIDs { flags[id] = false }
            }
            changedIDs.removeAll(keepingCapacity: true)
            if changed.count > groups { changed.removeLast(changed.count - groups) }
            grow(to: groups)
        } else {
            isOn = true
            changed = Array(repeating: false, count: groups)
            changedIDs = []
        }
        if removed?.count != 0 || removed?.keyTypes != keyTypes { removed = GroupTable(keyTypes: keyTypes) }
    }

    /// Stops keeping changes (and frees what was kept): the next checkpoint must be whole.
    mutating func stop() {
        self = ChangeLog()
    }

    @inline(__always)
    mutating func grow(to groups: Int) {
        if changed.count < groups { changed += repeatElement(false, count: groups - changed.count) }
    }

    /// Marks groups `ids` changed; each must be below the count ``grow(to:)`` was given (they
    /// are ids the group table just handed out).
    mutating func markChanged(_ ids: [Int32]) {
        var marked = changedIDs
        changedIDs = []
        changed.withUnsafeMutableBufferPointer { flags in
            for id in ids where !flags[Int(id)] {
                flags[Int(id)] = true
                marked.append(Int(id))
            }
        }
        changedIDs = marked
    }

    /// Remembers the keys of the groups of `table` not in `keep`, and renumbers the changed
    /// flags as ``HashAggregation/retain(_:)`` renumbers the groups (in the order of `keep`).
    ///
    /// Removed keys are kept until the next checkpoint; if they come to outweigh the groups
    /// still held (a query restored from a snapshot that never checkpoints again), the log
    /// stops, rather than grow without bound: a delta that size would not be worth it.
    mutating func recordRemoval(from table: GroupTable, keeping keep: [Int]) {
        grow(to: table.count)
        var kept = [Bool](repeating: false, count: table.count)
        for id in keep { kept[id] = true }
        let dropped = (0..<table.count).filter { !kept[$0] }
        if !dropped.isEmpty { _ = removed?.groupIDs(table.keyColumns(dropped), count: dropped.count) }
        let wasChanged = changed
        changed = keep.map { wasChanged[$0] }
        changedIDs = keep.indices.filter { wasChanged[keep[$0]] }
        if let removed, removed.estimatedBytes > Self.removedKeysLimit && removed.count > keep.count { stop() }
    }

    /// Bytes of removed keys below which the log never stops on their account.
    static let removedKeysLimit = 1 << 22
}

extension HashAggregation {
    /// The first bytes of every delta: "CDLT" and the format version.
    static let deltaMagic: [UInt8] = Array("CDLT".utf8)
    static let deltaVersion: UInt16 = 1

    /// The state as it stands is checkpointed: changes are counted from here.
    mutating func markCheckpointed() {
        changes.start(groups: table.count, keyTypes: table.keyTypes)
    }

    /// What changed since ``markCheckpointed()``, or nil when no change log is kept (no
    /// checkpoint yet, or the log stopped): then only the whole state will do.
    ///
    /// Layout, in ``SnapshotWriter``'s fixed-width little-endian vocabulary:
    /// - "CDLT", version (u16), the FNV-1a checksum of `signature` (u64): a delta restores
    ///   only into the aggregation it was taken from;
    /// - the number of groups once the delta is applied (int): a delta applied to a state it
    ///   was not taken after is refused rather than silently wrong;
    /// - removed keys, then changed keys, each as a snapshot's group keys (a count, then the
    ///   keys' encodings end to end as one blob);
    /// - the number of aggregates, then each aggregate's state for the changed groups only,
    ///   in the snapshot's per-aggregate encoding;
    /// - the FNV-1a checksum of all the bytes before it (u64).
    ///
    /// A changed group is saved whole (its key and complete aggregate states), so applying
    /// overwrites it; removals are applied before changes, so a key removed and created again
    /// since the checkpoint ends up with its new state.
    func delta(signature: String) -> [UInt8]? {
        guard changes.isOn, let removed = changes.removed else { return nil }
        let ids = changes.changedIDs.sorted()
        var out = SnapshotWriter()
        out.raw(Self.deltaMagic)
        out.u16(Self.deltaVersion)
        out.u64(snapshotChecksum(ArraySlice(signature.utf8)))
        out.int(table.count)
        removed.write(to: &out)
        out.int(ids.count)
        let keyBytes = ids.reduce(0) { $0 + table.keyBytes($1).count }
        out.int(keyBytes)
        out.fill(keyBytes) { table.copyKeys(ids, into: $0) }
        out.int(states.count)
        for state in states { state.compacted(ids).write(to: &out) }
        var bytes = out.bytes
        withUnsafeBytes(of: snapshotChecksum(bytes[...]).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Applies a delta that ``delta(signature:)`` took after the state as it now stands.
    /// Everything is decoded and checked before anything changes, so a damaged delta leaves
    /// the state as it was. Afterwards the state counts as checkpointed (no changes logged).
    ///
    /// Throws ``SnapshotError/truncated(what:offset:needed:)`` for cut-off bytes,
    /// ``SnapshotError/corrupt(_:)`` for damaged ones or a delta of another state,
    /// ``SnapshotError/unsupportedVersion(found:supported:)`` and
    /// ``SnapshotError/incompatible(_:)`` for a delta of another aggregation.
    mutating func applyDelta(_ bytes: [UInt8], signature: String) throws(SnapshotError) {
        let header = Self.deltaMagic.count + 2 + 8
        guard bytes.count >= header + 8 else {
            throw .truncated(what: "aggregation state delta header", offset: 0, needed: header + 8)
        }
        guard bytes.starts(with: Self.deltaMagic) else {
            throw .corrupt("an aggregation state delta starts with \"CDLT\"; these bytes do not")
        }
        var reader = SnapshotReader(Array(bytes[..<(bytes.count - 8)]), from: Self.deltaMagic.count)
        let version = try reader.u16("delta version")
        guard version == Self.deltaVersion else { throw .unsupportedVersion(found: version, supported: Self.deltaVersion) }
        let stored = bytes.suffix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard stored == snapshotChecksum(bytes.dropLast(8)) else {
            throw .corrupt("the aggregation state delta's checksum does not match its \(bytes.count) bytes (damaged)")
        }
        guard try reader.u64("delta signature checksum") == snapshotChecksum(ArraySlice(signature.utf8)) else {
            throw .incompatible("the delta is of another aggregation than \(signature)")
        }
        let groupsAfter = try reader.i64("delta group count")
        let removed = try GroupTable.read(from: &reader, keyTypes: table.keyTypes)
        let changed = try GroupTable.read(from: &reader, keyTypes: table.keyTypes)
        let count = try reader.count("delta aggregate count", unit: 1)
        guard count == aggregates.count else { throw .corrupt("the delta has \(count) aggregate states for \(aggregates.count) aggregates") }
        var changedStates: [AggregateState] = []
        for spec in aggregates { changedStates.append(try AggregateState.read(from: &reader, spec: spec, groups: changed.count)) }
        guard reader.remaining == 0 else { throw .corrupt("\(reader.remaining) unexpected bytes after the delta's aggregate states") }

        // Which groups go, and how many there will be: checked before anything changes.
        var goes = [Bool](repeating: false, count: table.count)
        var removedCount = 0
        for case let id? in table.existingIDs(removed.keyColumns(Array(0..<removed.count)), count: removed.count) where !goes[id] {
            goes[id] = true
            removedCount += 1
        }
        let changedKeys = changed.keyColumns(Array(0..<changed.count))
        let created = table.existingIDs(changedKeys, count: changed.count).reduce(0) { n, id in
            id.map { goes[$0] ? n + 1 : n } ?? n + 1
        }
        let after = table.count - removedCount + created
        guard Int64(after) == groupsAfter else {
            throw .corrupt("the delta leaves \(after) groups where it was taken with \(groupsAfter): it belongs after another state (a delta missing or out of order)")
        }

        changes.stop()
        if removedCount > 0 { retain((0..<table.count).filter { !goes[$0] }) }
        let ids = table.groupIDs(changedKeys, count: changed.count).map(Int.init)
        touched += repeatElement(false, count: table.count - touched.count)
        for index in states.indices {
            states[index].grow(to: table.count)
            states[index].overwrite(ids, from: changedStates[index])
        }
        markCheckpointed()
    }
}
