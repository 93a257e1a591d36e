@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// The checkpoint's small records (offsets log, commit log, metadata): every field survives
/// the bytes, and damaged bytes (cut off, flipped, random) are a ``SnapshotError``, never a trap.
@Suite struct CheckpointRecordTests {
    static let offsets = OffsetsEntry(
        batchId: 41, start: SourceOffsets(["#0 tx/0": 10, "#0 tx/1": 0, "#1 /data/a.jsonl": 1_234]),
        end: SourceOffsets(["#0 tx/0": 250, "#0 tx/1": 7, "#1 /data/a.jsonl": 99_999_999_999]),
        watermark: 1_704_067_140_000_000, timestamp: 1_764_000_000_123_456)
    static let commit = CommitEntry(batchId: 9_223_372_036_854_775_000, timestamp: -1)
    static let metadata = CheckpointMetadata(
        id: "0f5c2a7e-1b1d-4c3a-9e55-1d2c3b4a5f60", view: "per_minute",
        stateSignatures: ["keys [window(event_time)] aggregates [count(*), sum(amount)] WINDOW key 0 size 60000000", "LIMIT 5 over the stream"],
        sources: ["kafka tx (6 partitions) at 127.0.0.1:9092", "file /data/a.jsonl", "ünïcødé ✓"])

    @Test func offsetsEntryRoundTripsEveryField() throws {
        let bytes = Self.offsets.bytes
        let read = try OffsetsEntry(bytes: bytes)
        #expect(read == Self.offsets)
        #expect(read.batchId == 41 && read.watermark == 1_704_067_140_000_000 && read.timestamp == 1_764_000_000_123_456)
        #expect(read.end.next["#1 /data/a.jsonl"] == 99_999_999_999)
        #expect(read.start.next.count == 3)
        #expect(read.bytes == bytes, "deterministic: the same entry, the same bytes")
        #expect(bytes.prefix(8).elementsEqual(Array("CELLSCHK".utf8)))
        // Empty offsets (a batch before any source has a position) round-trip too.
        let empty = OffsetsEntry(batchId: 0, start: SourceOffsets(), end: SourceOffsets(), watermark: 0, timestamp: 0)
        #expect(try OffsetsEntry(bytes: empty.bytes) == empty)
    }

    @Test func commitEntryAndMetadataRoundTrip() throws {
        #expect(try CommitEntry(bytes: Self.commit.bytes) == Self.commit)
        let metadata = try CheckpointMetadata(bytes: Self.metadata.bytes)
        #expect(metadata == Self.metadata)
        #expect(metadata.sources[2] == "ünïcødé ✓")
        #expect(metadata.stateSignatures.count == 2)
        let stateless = CheckpointMetadata(id: "x", view: "v", stateSignatures: [], sources: [])
        #expect(try CheckpointMetadata(bytes: stateless.bytes) == stateless)
    }

    @Test func aRecordOfAnotherKindIsRefused() {
        #expect(throws: SnapshotError.corrupt("a record of kind 2 where offsets was expected")) {
            try OffsetsEntry(bytes: Self.commit.bytes)
        }
        #expect(throws: SnapshotError.self) { try CheckpointMetadata(bytes: Self.offsets.bytes) }
        #expect(throws: SnapshotError.self) { try CommitEntry(bytes: Self.metadata.bytes) }
    }

    @Test func truncatedRecordsAreErrorsAtEveryLength() {
        for bytes in [Self.offsets.bytes, Self.commit.bytes, Self.metadata.bytes] {
            for cut in 0..<bytes.count {
                let prefix = Array(bytes.prefix(cut))
                #expect(throws: SnapshotError.self, "cut at \(cut) of \(bytes.count)") { try decodeAny(prefix) }
            }
        }
        // A cut inside the magic says truncated, not "not a snapshot".
        #expect(throws: SnapshotError.truncated(what: "the record", offset: 5, needed: 14)) {
            try CommitEntry(bytes: Array(Self.commit.bytes.prefix(5)))
        }
        #expect(throws: SnapshotError.notASnapshot) { try CommitEntry(bytes: Array("{\"batchId\": 3}\n\n\n\n\n\n".utf8)) }
    }

    @Test func everySingleBitFlipIsCaught() {
        for bytes in [Self.offsets.bytes, Self.commit.bytes, Self.metadata.bytes] {
            for index in bytes.indices {
                for bit in [0, 3, 7] {
                    var damaged = bytes
                    damaged[index] ^= UInt8(1 << bit)
                    #expect(throws: SnapshotError.self, "bit \(bit) of byte \(index)") { try decodeAny(damaged) }
                }
            }
        }
    }

    @Test func theVersionIsChecked() throws {
        // A record of a later format, with a valid checksum: refused by version, not checksum.
        var bytes = Array(Self.commit.bytes.dropLast(8))
        bytes[8] = 2
        bytes += withUnsafeBytes(of: snapshotChecksum(bytes[...]).littleEndian) { Array($0) }
        #expect(throws: SnapshotError.unsupportedVersion(found: 2, supported: 1)) { try CommitEntry(bytes: bytes) }
    }

    /// Random damage with the checksum made valid again, so the structural checks (counts,
    /// lengths, trailing bytes) must catch what the checksum would have: a few hundred cases
    /// per record, none may trap, and whatever decodes is a record that round-trips.
    @Test func randomMutationsWithValidChecksumsNeverTrap() {
        var random = CellsRandom(seed: 0x5EED_CE11)
        var errors = 0, decoded = 0
        for original in [Self.offsets.bytes, Self.commit.bytes, Self.metadata.bytes] {
            let body = Array(original.dropLast(8))
            for _ in 0..<300 {
                var mutated = body
                switch random.next() % 5 {
                case 0:  // overwrite a few bytes
                    for _ in 0..<(1 + random.next() % 4) where mutated.count > 11 {
                        mutated[11 + Int(random.next() % UInt64(mutated.count - 11))] = UInt8(truncatingIfNeeded: random.next())
                    }
                case 1:  // a huge or negative length where one of the counts is
                    let at = 11 + Int(random.next() % UInt64(max(1, mutated.count - 19)))
                    let value: UInt64 = [UInt64.max, 1 << 62, 1 << 31, UInt64(bitPattern: -8)][Int(random.next() % 4)]
                    if at + 8 <= mutated.count { mutated.replaceSubrange(at..<at + 8, with: withUnsafeBytes(of: value.littleEndian) { Array($0) }) }
                case 2:  // drop a run of bytes
                    let from = 11 + Int(random.next() % UInt64(max(1, mutated.count - 11)))
                    mutated.removeSubrange(from..<min(mutated.count, from + 1 + Int(random.next() % 9)))
                case 3:  // insert garbage
                    let at = 11 + Int(random.next() % UInt64(max(1, mutated.count - 11)))
                    mutated.insert(contentsOf: (0..<(1 + random.next() % 9)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: min(at, mutated.count))
                default:  // cut
                    mutated = Array(mutated.prefix(11 + Int(random.next() % UInt64(max(1, mutated.count - 11)))))
                }
                let bytes = mutated + withUnsafeBytes(of: snapshotChecksum(mutated[...]).littleEndian) { Array($0) }
                do {
                    // What decodes is a record: encoded again, it decodes to the same bytes.
                    let again = try decodeAny(bytes)
                    decoded += 1
                    #expect(try decodeAny(again) == again)
                } catch is SnapshotError {
                    errors += 1
                } catch {
                    Issue.record("not a SnapshotError: \(error)")
                }
            }
        }
        #expect(errors + decoded == 900)
        #expect(errors > 600, "most damage is caught: \(errors) errors, \(decoded) decoded")
    }

    /// Unchecked random bytes (the checksum is wrong for nearly all): errors, never traps.
    @Test func randomBytesAreRefused() {
        var random = CellsRandom(seed: 42)
        for length in [0, 1, 7, 8, 18, 19, 20, 27, 64, 300] {
            for _ in 0..<20 {
                var bytes = Array("CELLSCHK".utf8) + [1, 0, UInt8(1 + random.next() % 3)]
                bytes += (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                #expect(throws: SnapshotError.self) { try decodeAny(bytes) }
            }
        }
    }

    /// Decodes `bytes` as the kind its header names; returns what decoded, encoded again.
    private func decodeAny(_ bytes: [UInt8]) throws -> [UInt8] {
        switch bytes.count > 10 ? bytes[10] : 0 {
        case 1: return try OffsetsEntry(bytes: bytes).bytes
        case 2: return try CommitEntry(bytes: bytes).bytes
        default: return try CheckpointMetadata(bytes: bytes).bytes
        }
    }
}

