/// The original producer's cadence: a burst of messages, then a pause, forever.
///
/// Both sizes are uniform integers drawn from their ranges. The original drew the burst size once
/// at start-up, so every burst had the same size; its README meant a new size per burst, which is
/// what ``BurstSchedule`` does.
public struct BurstCadence: Sendable, Equatable {
    /// Messages per burst.
    public var burst: ClosedRange<Int>
    /// Seconds between bursts.
    public var pause: ClosedRange<Int>

    /// The defaults are the original's: 8 to 20 messages, then 1 to 60 seconds of silence.
    public init(burst: ClosedRange<Int> = 8...20, pause: ClosedRange<Int> = 1...60) {
        self.burst = burst
        self.pause = pause
    }

    /// Parses a command-line range, `"A-B"` or a single `"A"` (meaning `A...A`).
    ///
    /// - Parameters:
    ///   - text: the option's value; blanks around the numbers are ignored.
    ///   - what: the option's name, used in error messages. When it is `"burst"` (any case), the
    ///     lower bound must also be at least 1: an empty burst would pause without producing.
    /// - Throws: ``CadenceError`` on non-numbers, negative numbers, `A > B`, or a zero burst.
    public static func parseRange(_ text: String, what: String) throws -> ClosedRange<Int> {
        let trimmed = text.trimmingBlanks()
        let fail = { (reason: String) in
            CadenceError(description: "invalid \(what) range '\(text)': \(reason)")
        }
        guard !trimmed.isEmpty else { throw fail("expected A-B or A, e.g. 8-20") }
        if trimmed.first == "-" { throw fail("negative numbers are not allowed") }

        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw fail(parts.contains { $0.trimmingBlanks().isEmpty }
                       ? "negative numbers are not allowed" : "expected A-B or A, e.g. 8-20")
        }
        var bounds: [Int] = []
        for part in parts {
            let digits = part.trimmingBlanks()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("'\(digits)' is not a whole number; expected A-B or A, e.g. 8-20")
            }
            guard let value = Int(digits) else { throw fail("'\(digits)' is too large") }
            bounds.append(value)
        }
        let lower = bounds[0]
        let upper = bounds.count == 2 ? bounds[1] : lower
        guard lower <= upper else { throw fail("the lower bound \(lower) exceeds the upper bound \(upper)") }
        if what.lowercased() == "burst" && lower < 1 {
            throw fail("a burst must have at least 1 message")
        }
        return lower...upper
    }
}

/// Why a cadence option was rejected, worded for the command line.
public struct CadenceError: Error, CustomStringConvertible, Sendable {
    /// The human-readable reason, naming the option and the offending text.
    public let description: String
}

extension StringProtocol {
    fileprivate func trimmingBlanks() -> Substring {
        let s = Substring(self)
        guard let first = s.firstIndex(where: { !$0.isWhitespace }),
              let last = s.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return s[first...last]
    }
}
