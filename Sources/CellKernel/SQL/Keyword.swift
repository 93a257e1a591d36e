/// The words the grammar gives a meaning to. Matching is case-insensitive.
///
/// Most keywords are contextual, as in Spark: `mode`, `format` or `start` can still name a
/// column. Only ``isReserved`` ones cannot be used as bare names (back-quote them instead),
/// because the parser could not otherwise tell where an expression or a clause ends.
enum Keyword: String, Hashable, Sendable, CaseIterable {
    // Queries.
    case select = "SELECT", distinct = "DISTINCT", from = "FROM", `where` = "WHERE"
    case group = "GROUP", by = "BY", having = "HAVING", order = "ORDER", limit = "LIMIT"
    case `as` = "AS", asc = "ASC", desc = "DESC", nulls = "NULLS", first = "FIRST", last = "LAST"
    // Expressions.
    case and = "AND", or = "OR", not = "NOT", `in` = "IN", `is` = "IS", null = "NULL"
    case `true` = "TRUE", `false` = "FALSE", between = "BETWEEN", like = "LIKE", rlike = "RLIKE"
    case regexp = "REGEXP", `case` = "CASE", when = "WHEN", then = "THEN", `else` = "ELSE"
    case end = "END", cast = "CAST", div = "DIV", interval = "INTERVAL"
    // Joins: JOIN and ON are reserved; the others only cannot alias a table (Spark's strict
    // non-reserved words), so `left(s, 2)` and a column named `left` still work.
    case join = "JOIN", on = "ON", inner = "INNER", left = "LEFT", right = "RIGHT", outer = "OUTER"
    // `FROM s LATERAL VIEW explode(a) t AS x` (Hive's generator form).
    case lateral = "LATERAL"
    case full = "FULL", cross = "CROSS", natural = "NATURAL", semi = "SEMI", anti = "ANTI"
    // Query composition.
    case union = "UNION", all = "ALL", with = "WITH", explain = "EXPLAIN"
    // Statements.
    case create = "CREATE", replace = "REPLACE", temporary = "TEMPORARY", temp = "TEMP"
    case source = "SOURCE", stream = "STREAM", view = "VIEW", using = "USING"
    case options = "OPTIONS", format = "FORMAT", schema = "SCHEMA", watermark = "WATERMARK"
    case delay = "DELAY", start = "START", output = "OUTPUT", mode = "MODE"
    case trigger = "TRIGGER", once = "ONCE", available = "AVAILABLE", now = "NOW"
    case background = "BACKGROUND", show = "SHOW", sources = "SOURCES", streams = "STREAMS"
    case views = "VIEWS", queries = "QUERIES", describe = "DESCRIBE", stop = "STOP"
    // Static tables.
    case table = "TABLE", tables = "TABLES", refresh = "REFRESH", drop = "DROP"
    // Streaming deduplication: `FROM tx DEDUPLICATE [BY (...)] [WITHIN WATERMARK]`.
    case deduplicate = "DEDUPLICATE", within = "WITHIN"
    // `SET ENGINE 'sc://host:15002'` / `SET ENGINE local`: where START runs views.
    case set = "SET", engine = "ENGINE"

    /// The keyword `word` spells, ignoring case.
    init?(word: String) {
        // Keywords are ASCII, so ASCII upper-casing is enough and keeps Unicode rules out.
        let upper = word.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
        self.init(rawValue: String(decoding: upper, as: UTF8.self))
    }

    /// Words that cannot be bare identifiers, because they end or start a clause or an
    /// expression.
    var isReserved: Bool {
        switch self {
        case .select, .distinct, .from, .where, .group, .having, .order, .limit, .as,
            .and, .or, .not, .in, .is, .null, .true, .false, .between, .like, .rlike,
            .case, .when, .then, .else, .end, .cast, .interval, .join, .union, .on:
            true
        default:
            false
        }
    }
}
