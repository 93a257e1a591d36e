/// Why bytes could not be turned back into state, or state could not be restored into a query.
///
/// Each case names what was wrong, so a failed recovery says whether the file is damaged, from
/// another version of cells, or from another query.
public enum SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes do not start with the snapshot magic: not a cells state snapshot at all.
    case notASnapshot
    /// Written by a format version this build cannot read.
    case unsupportedVersion(found: UInt16, supported: UInt16)
    /// The bytes end before `needed` bytes of `what` (at byte `offset`); a cut-off file.
    case truncated(what: String, offset: Int, needed: Int)
    /// The bytes are complete but wrong: a failed checksum or a value that cannot be.
    case corrupt(String)
    /// A valid snapshot of a different query (other group keys, aggregates or window).
    case incompatible(String)

    public var description: String {
        switch self {
        case .notASnapshot:
            "not a cells state snapshot (the magic bytes are missing)"
        case .unsupportedVersion(let found, let supported):
            "snapshot format version \(found) is not supported (this build reads version \(supported))"
        case .truncated(let what, let offset, let needed):
            "snapshot truncated: \(what) needs \(needed) bytes at byte \(offset)"
        case .corrupt(let what):
            "snapshot corrupt: \(what)"
        case .incompatible(let what):
            "snapshot is from a different query: \(what)"
        }
    }
}
