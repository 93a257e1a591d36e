/// "Did you mean ...?" for misspelt keywords and type names.
enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a likely typo.
    ///
    /// Short words tolerate one edit and longer ones two, and a candidate is never suggested
    /// when the word is so short that almost anything would be within reach (`a` is not a
    /// typo for `AS`).
    static func closest(to word: String, among candidates: [String]) -> String? {
        let length = word.count
        guard length >= 3 else { return nil }
        let limit = length <= 4 ? 1 : 2
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            guard distance > 0, distance <= limit, distance < candidate.count else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Case-insensitive optimal-string-alignment distance: insertions, deletions,
    /// substitutions and swaps of two neighbours each cost 1, so `FORM` is one edit from `FROM`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.uppercased()), y = Array(b.uppercased())
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous2 = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[y.count]
    }
}
