import CEditLine
import CellKernel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes straight to a file descriptor, buffered; the C `stdout`/`stderr` globals are not
/// reachable from Swift 6 code.
struct OutputStream: Sendable {
    let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    static let standardOutput = 1
    static let standardError = 2

    init(descriptor: Int32, capacity: Int = 1 << 20) {
        self.descriptor = descriptor
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    /// Opens (creating or truncating) a file for writing; `-` is standard output.
    init(path: String) throws(CellsError) {
        if path == "-" {
            self.init(descriptor: 1)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CellsError.cannotOpen(path, errno: errno) }
        self.init(descriptor: fd)
    }

    mutating func write(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { flush() }
    }

    mutating func write(_ text: String) {
        write(text.utf8)
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                break  // a closed pipe: nothing more can be said there
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() {
        flush()
        if descriptor > 2 { Glibc.close(descriptor) }
    }
}

/// One line to standard error, unbuffered: progress and diagnostics never mix with data on
/// standard output.
func printError(_ text: String) {
    var err = OutputStream(descriptor: 2, capacity: 0)
    err.write(text + "\n")
    err.flush()
}

/// One line to standard output, flushed at once (a script may be waiting for it).
func printLine(_ text: String) {
    var out = OutputStream(descriptor: 1, capacity: 0)
    out.write(text + "\n")
    out.flush()
}

extension ChartStyle {
    /// How charts are drawn on `descriptor`: as wide as the terminal (else `$COLUMNS`, else 80
    /// columns), in Unicode when the locale is UTF-8 (else ASCII), in colour on a terminal that
    /// takes escapes unless `NO_COLOR` is set to anything.
    static func forOutput(descriptor: Int32, isTerminal: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> ChartStyle {
        let terminalColumns = Int(cells_terminal_columns(descriptor))
        let declared = environment["COLUMNS"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 > 0 ? $0 : nil }
        let width = terminalColumns > 0 ? terminalColumns : declared ?? 80
        let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return ChartStyle(width: width, unicode: localeIsUTF8(environment), colour: isTerminal && !noColour)
    }

    /// The locale that applies to characters (`LC_ALL`, then `LC_CTYPE`, then `LANG`, the first
    /// that is set and not empty) names UTF-8.
    static func localeIsUTF8(_ environment: [String: String]) -> Bool {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        let lowered = locale.lowercased()
        return lowered.contains("utf-8") || lowered.contains("utf8")
    }
}
