/// Swift's `Regex` backtracks with no step limit, no time limit and no cancellation check, so a
/// repeated group that itself repeats (`(a+)+$`) takes exponential time on a near-miss: measured
/// here, 'aaaaaaaaaaaaaaaaaaaa!' (20 a's) took 210 s for one row, each two more characters ~7x
/// longer, and neither Ctrl-C nor --timeout can reach into a match. A sound step budget is not
/// available, so such patterns are refused where they are written (the only classic source of
/// exponential backtracking left is an alternation with overlapping branches, e.g. `(a|aa)+`).
enum RegexGuard {
    /// The offset (in unicode scalars) of the first group that repeats a repetition, or nil.
    static func nestedRepetition(in pattern: String) -> Int? {
        let s = Array(pattern.unicodeScalars)
        // For each open group: where it starts, whether something inside it repeats a variable
        // number of times, and whether without bound (`*`, `+`, `{n,}`).
        var groups: [(start: Int, repeats: Bool, unbounded: Bool)] = []
        var i = 0
        /// The length of a quantifier at `j` that repeats more than once (`*`, `+`, `{n,}`, `{n,m}`
        /// with m > n, 1) or not (`?`, `{0,1}`), and its length; 0 for none.
        func quantifier(at j: Int) -> (length: Int, repeats: Bool, unbounded: Bool, upper: Int) {
            guard j < s.count else { return (0, false, false, 1) }
            var length = 0, repeats = false, upper = 1
            switch s[j] {
            case "*", "+": length = 1; repeats = true; upper = Int.max
            case "?": length = 1
            case "{":
                guard let close = s[j...].firstIndex(of: "}") else { return (0, false, false, 1) }
                let body = String(String.UnicodeScalarView(s[(j + 1)..<close]))
                let parts = body.split(separator: ",", omittingEmptySubsequences: false)
                guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isNumber) }), !parts[0].isEmpty else { return (0, false, false, 1) }
                length = close - j + 1
                // A fixed count (`{2}`, `{3,3}`) has one way to match, so it is not ambiguous.
                let lower = Int(parts[0]) ?? Int.max
                upper = parts.count == 1 ? lower : (parts[1].isEmpty ? Int.max : Int(parts[1]) ?? Int.max)
                repeats = upper > max(lower, 1)
            default: return (0, false, false, 1)
            }
            // A lazy (`?`) or possessive (`+`) suffix belongs to the quantifier.
            if j + length < s.count, s[j + length] == "?" || s[j + length] == "+" { length += 1 }
            return (length, repeats, upper == Int.max, upper)
        }
        func mark(repeats: Bool, unbounded: Bool) {
            guard !groups.isEmpty else { return }
            groups[groups.count - 1].repeats = groups[groups.count - 1].repeats || repeats
            groups[groups.count - 1].unbounded = groups[groups.count - 1].unbounded || unbounded
        }
        while i < s.count {
            switch s[i] {
            case "\\":
                if i + 1 < s.count, s[i + 1] == "Q" {
                    // \Q...\E quotes everything up to \E.
                    var j = i + 2
                    while j + 1 < s.count, !(s[j] == "\\" && s[j + 1] == "E") { j += 1 }
                    i = j + 2
                } else {
                    i += 2
                }
            case "[":
                // A character class: skip to its unescaped closing bracket (a leading ] is literal).
                var j = i + 1
                if j < s.count, s[j] == "^" { j += 1 }
                if j < s.count, s[j] == "]" { j += 1 }
                var depth = 1
                while j < s.count, depth > 0 {
                    if s[j] == "\\" { j += 2; continue }
                    if s[j] == "[" { depth += 1 } else if s[j] == "]" { depth -= 1 }
                    j += 1
                }
                i = j
            case "(":
                groups.append((i, false, false))
                i += 1
                continue
            case ")":
                guard let group = groups.popLast() else { i += 1; continue }
                let q = quantifier(at: i + 1)
                if q.repeats && group.repeats { return group.start }
                // A fixed count of an unbounded repetition, `(.*a){20}`, is polynomial of that
                // degree: up to 4 (`(\d+\.){3}`) is left alone.
                if q.upper > 4 && group.unbounded { return group.start }
                mark(repeats: q.repeats || group.repeats, unbounded: q.unbounded || group.unbounded)
                i += 1 + q.length
                continue
            default:
                i += 1
            }
            // After an atom (escape, class or character): a quantifier on it.
            let q = quantifier(at: i)
            mark(repeats: q.repeats, unbounded: q.unbounded)
            i += q.length
        }
        return nil
    }

    /// The error for `pattern` written at `location`, nil when it is safe to run.
    static func refusal(_ pattern: String, at location: SourceLocation) -> SQLError? {
        guard let start = nestedRepetition(in: pattern) else { return nil }
        let group = String(String.UnicodeScalarView(Array(pattern.unicodeScalars)[start...].prefix(40)))
        return SQLError("the regular expression '\(pattern)' repeats a group that itself repeats (at '\(group)'): "
                        + "matching it can take minutes per row and cannot be stopped, so cells refuses it",
                        at: location,
                        hint: "repeat only the inner part: 'a+' instead of '(a+)+', '[ab]*' instead of '(a*b*)*'")
    }
}
