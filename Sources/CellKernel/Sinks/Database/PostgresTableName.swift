/// A table named as `dbtable` names it, read by PostgreSQL's rules: `events`,
/// `analytics.events`, `"Events"` or `"my schema"."t"`. A bare name folds to lower case as
/// PostgreSQL folds it (what Spark's JDBC writer, which splices `dbtable` into its SQL,
/// gets too); a quoted one is kept as written. The SQL written with it always quotes.
struct PostgresTableName: Sendable, Hashable, CustomStringConvertible {
    var schema: String?
    var table: String

    /// The name quoted for SQL: `"analytics"."events"`.
    var sql: String { (schema.map { PostgresTableName.quoted($0) + "." } ?? "") + PostgresTableName.quoted(table) }

    /// As errors show it (the resolved parts, quoted only where needed).
    var description: String { (schema.map { Self.shown($0) + "." } ?? "") + Self.shown(table) }

    init(_ text: String) throws(DatabaseError) {
        let invalid = { (why: String) in
            DatabaseError(.invalid, "'dbtable' = '\(text)' is not a PostgreSQL table name: \(why)",
                          hint: "write table, schema.table, or quote a part as \"Mixed Case\"")
        }
        // Before trimming, which would take a NUL at either end for a blank.
        guard !text.unicodeScalars.contains("\0") else { throw invalid("a NUL character") }
        var parts: [String] = []
        var characters = Substring(text.trimmingASCIIWhitespace())
        while true {
            var part = ""
            if characters.first == "\"" {
                characters.removeFirst()
                var closed = false
                while let c = characters.popFirst() {
                    if c == "\"" {
                        if characters.first == "\"" { characters.removeFirst(); part.append("\"") } else { closed = true; break }
                    } else {
                        part.append(c)
                    }
                }
                guard closed else { throw invalid("a quote is not closed") }
            } else {
                let bare = characters.prefix { $0 != "." && $0 != "\"" }
                characters = characters.dropFirst(bare.count)
                part = Self.folded(String(bare).trimmingASCIIWhitespace())
                guard !part.contains(where: { $0.isWhitespace }) else { throw invalid("a space in an unquoted name") }
            }
            guard !part.isEmpty else { throw invalid("an empty part") }
            guard part.utf8.count <= Self.longestName else {
                throw invalid("'\(part)' is longer than PostgreSQL's \(Self.longestName) bytes")
            }
            parts.append(part)
            characters = characters.drop { $0 == " " }
            guard let next = characters.first else { break }
            guard next == "." else { throw invalid("unexpected '\(next)'") }
            characters = characters.dropFirst().drop { $0 == " " }
        }
        guard parts.count <= 2 else { throw invalid("more than schema.table") }
        schema = parts.count == 2 ? parts[0] : nil
        table = parts[parts.count - 1]
    }

    /// PostgreSQL's longest identifier (NAMEDATALEN - 1); a longer one is cut short by the
    /// server, silently, which would then not be the table asked for.
    static let longestName = 63

    /// An identifier in double quotes, a quote inside doubled.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// What PostgreSQL makes of an unquoted name: ASCII letters in lower case.
    private static func folded(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { (65...90).contains($0.value) ? Unicode.Scalar(UInt8($0.value + 32)) : $0 }))
    }

    /// A part as the user could write it back: bare when folding keeps it.
    private static func shown(_ name: String) -> String {
        let plain = name.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
        return plain && !(name.first?.isNumber ?? true) ? name : quoted(name)
    }
}
