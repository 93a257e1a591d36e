/// Where a micro-batch started and ended, per partition (or per file).
public struct SourceOffsets: Sendable, Hashable, CustomStringConvertible {
    /// `topic/partition` (or a file path) → next offset to read.
    public var next: [String: Int64]

    public init(_ next: [String: Int64] = [:]) {
        self.next = next
    }

    public var description: String {
        next.keys.sorted { a, b in a.localizedStandardLess(b) }.map { "\($0)=\(next[$0]!)" }.joined(separator: " ")
    }
}

extension String {
    /// Orders `t/2` before `t/10`.
    func localizedStandardLess(_ other: String) -> Bool {
        let a = split(separator: "/"), b = other.split(separator: "/")
        if a.count == 2, b.count == 2, a[0] == b[0], let x = Int(a[1]), let y = Int(b[1]) { return x < y }
        return self < other
    }
}
