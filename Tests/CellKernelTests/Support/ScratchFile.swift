import Foundation
import Testing

/// Files that tests feed to the `file` source: written whole, then grown as a live log grows.
enum ScratchFile {
    /// A new file in the temporary folder holding `text`; its name starts with `prefix`.
    static func create(_ text: String, prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString).jsonl").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Appends `text` in place (the source reads on from the bytes it has seen; a rewrite would
    /// be a new file to it).
    static func append(_ text: String, to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }
}
