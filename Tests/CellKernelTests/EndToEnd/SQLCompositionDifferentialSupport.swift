@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

// Support for SQLCompositionDifferentialTests: queries built of queries (views over views,
// subqueries in FROM, WITH, UNION ALL), described once and written out both as Spark SQL and
// as SQLite SQL. The expressions are SQLDifferentialSupport's; what is new here is how
// relations are stacked.
//
// Every stateless level keeps the test table's six columns (g h x y s b), each redefined by an
// expression of the same kind that keeps the value in the range the expression generator
// relies on (h stays small, x never grows past what products of small factors can bear, s
// never gains a letter whose upper case SQLite does not know). So the existing generator's
// expressions stay valid over any level, and its care about types and overflow still holds.

/// What a SELECT reads.
indirect enum CompFrom {
    /// The stream `t`, a view or a common table expression.
    case name(String)
    /// `(query) [AS] alias`; SQLite always gets an alias, Spark only when `sparkAlias`.
    case subquery(CompQuery, alias: String, sparkAlias: Bool, withAs: Bool)

    func sql(_ d: DiffExpr.Dialect) -> String {
        switch self {
        case .name(let name): return name
        case .subquery(let query, let alias, let sparkAlias, let withAs):
            let text = "(\(query.sql(d)))"
            if d == .spark && !sparkAlias { return text }
            return text + (withAs ? " AS " : " ") + alias
        }
    }
}

/// One SELECT: a select list (or `*`), FROM, WHERE, GROUP BY, HAVING.
struct CompSelect {
    /// Each item with its alias (none: the expression's own name, a column's).
    var items: [(DiffExpr, String?)]
    var star = false
    var from: CompFrom
    var filter: DiffExpr?
    var groupBy: [DiffExpr] = []
    var having: DiffExpr?
    var minimal = false

    var isAggregate: Bool {
        !groupBy.isEmpty || items.contains { $0.0.hasAggregate }
    }

    func sql(_ d: DiffExpr.Dialect) -> String {
        let select = star ? "*" : items.map { item in
            item.0.sql(d, minimal: minimal) + (item.1.map { " AS \($0)" } ?? "")
        }.joined(separator: ", ")
        var text = "SELECT \(select) FROM \(from.sql(d))"
        if let filter { text += " WHERE \(filter.sql(d, minimal: minimal))" }
        if !groupBy.isEmpty { text += " GROUP BY \(groupBy.map { $0.sql(d, minimal: minimal) }.joined(separator: ", "))" }
        if let having { text += " HAVING \(having.sql(d, minimal: minimal))" }
        return text
    }

    /// A generated DiffQuery, reading `from` instead of `t`.
    init(_ query: DiffQuery, from: CompFrom) {
        items = query.star ? [] : query.items.enumerated().map { ($0.element, "c\($0.offset)") }
        star = query.star
        self.from = from
        filter = query.filter
        groupBy = query.groupBy
        having = query.having
        minimal = query.minimal
    }

    init(items: [(DiffExpr, String?)], star: Bool = false, from: CompFrom, filter: DiffExpr? = nil,
         groupBy: [DiffExpr] = [], having: DiffExpr? = nil, minimal: Bool = false) {
        self.items = items
        self.star = star
        self.from = from
        self.filter = filter
        self.groupBy = groupBy
        self.having = having
        self.minimal = minimal
    }
}

/// `[WITH name AS (query), ...] select [UNION ALL select ...]`.
struct CompQuery {
    /// A common table expression.
    struct CTE {
        var name: String
        var query: CompQuery
    }

    var with: [CTE]
    var selects: [CompSelect]

    init(with: [CTE] = [], selects: [CompSelect]) {
        self.with = with
        self.selects = selects
    }

    func sql(_ d: DiffExpr.Dialect) -> String {
        var text = ""
        if !with.isEmpty { text = "WITH " + with.map { "\($0.name) AS (\($0.query.sql(d)))" }.joined(separator: ", ") + " " }
        return text + selects.map { $0.sql(d) }.joined(separator: " UNION ALL ")
    }
}

extension DiffExpr {
    /// Whether an aggregate call occurs in the expression.
    var hasAggregate: Bool {
        switch self {
        case .aggregate, .emulatedAggregate: true
        case .column, .integer, .long, .real, .text, .boolean, .null: false
        case .arithmetic(_, let a, let b), .divide(let a, let b), .remainder(let a, let b), .integerDivide(let a, let b), .compare(_, let a, let b),
             .and(let a, let b), .or(let a, let b):
            a.hasAggregate || b.hasAggregate
        case .negate(let a), .not(let a), .isNull(let a, _), .like(let a, _, _), .substring(let a, _, _), .cast(let a, _):
            a.hasAggregate
        case .inList(let a, let list, _): a.hasAggregate || list.contains { $0.hasAggregate }
        case .between(let a, let lo, let hi, _): a.hasAggregate || lo.hasAggregate || hi.hasAggregate
        case .caseWhen(let branches, let otherwise):
            branches.contains { $0.0.hasAggregate || $0.1.hasAggregate } || otherwise?.hasAggregate == true
        case .caseValue(let operand, let branches, let otherwise):
            operand.hasAggregate || branches.contains { $0.0.hasAggregate || $0.1.hasAggregate } || otherwise?.hasAggregate == true
        case .coalesce(let args), .call(_, let args, _), .concat(let args, _): args.contains { $0.hasAggregate }
        }
    }
}

/// A generated case: views to create in order (the last is started), their mode, and what
/// shape it is (for the report).
struct CompCase {
    var shape: String
    var views: [(name: String, query: CompQuery)]
    var mode: String

    /// Whether some level is a union: then the stream is read once per side.
    var hasUnion: Bool { script(.spark).contains { $0.contains(" UNION ALL ") } }

    func script(_ d: DiffExpr.Dialect) -> [String] {
        views.map { "CREATE VIEW \($0.name) AS \($0.query.sql(d))" }
    }

    var final: String { views.last!.name }
}

/// Builds stacked relations out of DiffQueryGenerator's expressions and queries.
struct CompGenerator {
    var g: DiffQueryGenerator
    private var counter = 0

    init(random: CellsRandom, combiningMarks: Bool) {
        g = DiffQueryGenerator(random: random, combiningMarks: combiningMarks)
    }

    var random: CellsRandom { g.random }

    mutating func fresh(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    // MARK: Stateless levels over the six columns

    static let canonical = ["g", "h", "x", "y", "s", "b"]

    /// An expression of the same kind and range as column `name`, over the columns below.
    mutating func redefine(_ name: String, unionSide: Bool = false) -> DiffExpr {
        let c = { (n: String, g: inout DiffQueryGenerator) in g.col(n) }
        if g.chance(2) { return c(name, &g) }
        switch name {
        case "g":
            switch g.int(0..<4) {
            case 0: return .call("lower", [c("g", &g)], sqlite: "lower")
            case 1: return .coalesce([c("g", &g), .text("none")])
            case 2: return .caseWhen([(c("b", &g), c("g", &g))], otherwise: .text("z"))
            default: return .substring(c("g", &g), 1, 1)
            }
        case "h":
            switch g.int(0..<4) {
            case 0: return .remainder(c("h", &g), .integer(3))
            case 1: return .call("abs", [c("h", &g)], sqlite: "abs")
            case 2: return .coalesce([c("h", &g), .integer(0)])
            default: return .caseWhen([(.compare(">", c("x", &g), .integer(0)), c("h", &g))], otherwise: .arithmetic("-", .integer(3), c("h", &g)))
            }
        case "x":
            // A union side may put the INT h where the others have the BIGINT x: Spark widens.
            if unionSide && g.chance(4) { return c("h", &g) }
            switch g.int(0..<7) {
            case 0: return .arithmetic("+", c("x", &g), c("h", &g))
            case 1: return .arithmetic("-", c("x", &g), .integer(7))
            case 2: return .negate(c("x", &g))
            case 3: return .integerDivide(c("x", &g), .integer(3))
            case 4: return .coalesce([c("x", &g), c("h", &g)])
            case 5: return .call("abs", [c("x", &g)], sqlite: "abs")
            default: return .arithmetic("*", c("x", &g), .integer(2))
            }
        case "y":
            // An INT where the other sides have a DOUBLE: the union's column is a DOUBLE.
            if unionSide && g.chance(5) { return c("h", &g) }
            switch g.int(0..<6) {
            case 0: return .arithmetic("*", c("y", &g), .integer(2))
            case 1: return .arithmetic("+", c("y", &g), c("h", &g))
            case 2: return .divide(c("y", &g), .integer(4))
            case 3: return .negate(c("y", &g))
            case 4: return .coalesce([c("y", &g), .real("0.5")])
            default: return .arithmetic("-", c("y", &g), .real("1.25"))
            }
        case "s":
            switch g.int(0..<(g.combiningMarks ? 5 : 6)) {
            case 0: return .call("lower", [c("s", &g)], sqlite: "lower")
            case 1: return .call("trim", [c("s", &g)], sqlite: "trim")
            case 2: return .substring(c("s", &g), 2, nil)
            case 3: return .concat([c("s", &g), .text("-")], operator: g.chance(2))
            case 4: return .coalesce([c("s", &g), .text("")])
            default: return .call("replace", [c("s", &g), .text("a"), .text("X")], sqlite: "replace")
            }
        default:  // b
            switch g.int(0..<5) {
            case 0: return .not(c("b", &g))
            case 1: return .compare(">", c("x", &g), .integer(0))
            case 2: return .isNull(c("h", &g), negated: false)
            case 3: return .coalesce([c("b", &g), .boolean(false)])
            default: return .compare("=", c("g", &g), .text("a"))
            }
        }
    }

    /// A stateless level: the six columns (sometimes `*`), maybe a filter.
    mutating func layer(from: CompFrom, canonicalOrder: Bool = false, unionSide: Bool = false) -> CompSelect {
        let filter: DiffExpr? = g.chance(3) ? nil : g.boolean(g.int(1...2))
        // Not `*` in a union: the relation below may have its columns in another order.
        if !canonicalOrder && g.chance(5) {
            return CompSelect(items: [], star: true, from: from, filter: filter ?? g.boolean(1), minimal: g.chance(2))
        }
        var names = Self.canonical
        if !canonicalOrder { names.shuffle(using: &g.random) }
        let items = names.map { name -> (DiffExpr, String?) in
            let e = redefine(name, unionSide: unionSide)
            // A bare column keeps its name without an alias.
            if case .column(let n) = e, n == name, g.chance(2) { return (e, nil) }
            return (e, name)
        }
        return CompSelect(items: items, from: from, filter: filter, minimal: g.chance(2))
    }

    /// A UNION ALL of 2-3 stateless SELECTs over `from` (each side with its own filter and
    /// projection), the columns in the canonical order so that they line up.
    mutating func union(from: CompFrom) -> CompQuery {
        let sides = g.int(2...3)
        return CompQuery(selects: (0..<sides).map { i in layer(from: from, canonicalOrder: true, unionSide: i > 0) })
    }

    // MARK: Attaching a level

    enum Attach: CaseIterable { case view, subquery, cte }

    /// Where the relations built so far live: views created, CTEs pending for the next view.
    struct Stack {
        var views: [(name: String, query: CompQuery)] = []
        var ctes: [CompQuery.CTE] = []
        var from: CompFrom = .name("t")
    }

    mutating func attach(_ query: CompQuery, _ how: Attach, to stack: inout Stack) {
        switch how {
        case .view:
            let name = fresh("v")
            var query = query
            query.with = stack.ctes + query.with
            stack.ctes = []
            stack.views.append((name, query))
            stack.from = .name(name)
        case .subquery:
            stack.from = .subquery(query, alias: fresh("q"), sparkAlias: !g.chance(3), withAs: g.chance(2))
        case .cte:
            let name = fresh("w")
            stack.ctes.append(CompQuery.CTE(name: name, query: query))
            stack.from = .name(name)
        }
    }

    /// The final view: `select` over the stack, with the CTEs still pending.
    mutating func finish(_ query: CompQuery, _ stack: inout Stack, shape: String, mode: String) -> CompCase {
        var query = query
        query.with = stack.ctes + query.with
        stack.ctes = []
        stack.views.append((fresh("r"), query))
        return CompCase(shape: shape, views: stack.views, mode: mode)
    }

    /// The generator's query (an aggregation or a projection) over what the stack reads.
    mutating func top(_ stack: inout Stack, shape: String) -> CompCase {
        var query = g.query()
        // Over a derived relation the query reads its columns, so it always reads a column.
        if !query.readsColumn { query.items.append(g.col("x")) }
        return finish(CompQuery(selects: [CompSelect(query, from: stack.from)]), &stack, shape: shape, mode: query.mode)
    }

    // MARK: Over an aggregation

    /// An aggregation with known result columns k (the key), n, sx, ay, ms, mh.
    mutating func aggregation(from: CompFrom) -> CompSelect {
        let global = g.chance(6)
        let key = g.groupKey()
        var items: [(DiffExpr, String?)] = [
            (.aggregate("count", nil, distinct: false), "n"),
            (.aggregate("sum", g.col("x"), distinct: false), "sx"),
            (.aggregate("avg", g.col("y"), distinct: false), "ay"),
            (.aggregate("max", g.col("s"), distinct: false), "ms"),
            (.aggregate("min", g.col("h"), distinct: false), "mh"),
        ]
        items.insert(global ? (.integer(0), "k") : (key, "k"), at: 0)
        return CompSelect(items: items, from: from, filter: g.chance(2) ? g.boolean(g.int(1...2)) : nil,
                          groupBy: global ? [] : [key], having: g.chance(4) ? g.havingCondition(keys: global ? [] : [key]) : nil,
                          minimal: g.chance(2))
    }

    /// A condition over an aggregation's columns.
    mutating func aggregateCondition(_ depth: Int = 2) -> DiffExpr {
        if depth > 0 && g.chance(3) {
            switch g.int(0..<3) {
            case 0: return .and(aggregateCondition(depth - 1), aggregateCondition(depth - 1))
            case 1: return .or(aggregateCondition(depth - 1), aggregateCondition(depth - 1))
            default: return .not(aggregateCondition(depth - 1))
            }
        }
        switch g.int(0..<8) {
        case 0: return .compare(g.pick([">", ">=", "<", "="]), .column("n"), .integer(Int64(g.int(0...6))))
        case 1: return .compare(g.pick([">", "<"]), .column("sx"), .integer(Int64(g.int(-200...200))))
        case 2: return .isNull(.column("sx"), negated: g.chance(2))
        case 3: return .compare(g.pick([">", "<"]), .column("ay"), g.realLiteral())
        case 4: return .compare(g.pick([">=", "<"]), .column("ms"), g.textLiteral())
        case 5: return .compare(g.pick(["=", "<>", ">"]), .column("mh"), .integer(Int64(g.int(-1...4))))
        case 6: return .isNull(.column("k"), negated: g.chance(2))
        default: return .compare(">", .arithmetic("+", .column("n"), .coalesce([.column("mh"), .integer(0)])), .integer(Int64(g.int(0...5))))
        }
    }

    /// A stateless level over an aggregation: its columns, some computed ones, a WHERE over them.
    mutating func overAggregate(from: CompFrom, keepAll: Bool) -> CompSelect {
        // Intermediate levels keep every column (the level above may read any); the last may drop some.
        var names = ["k", "n", "sx", "ay", "ms", "mh"]
        if !keepAll {
            names = names.filter { _ in !g.chance(3) }
            if names.isEmpty { names = ["n"] }
        }
        var items: [(DiffExpr, String?)] = names.map { (.column($0), nil) }
        let extras: [(DiffExpr, String)] = [
            (.arithmetic("+", .arithmetic("*", .column("n"), .integer(2)), .integer(1)), "n2"),
            (.arithmetic("-", .coalesce([.column("sx"), .integer(0)]), .column("n")), "d"),
            (.arithmetic("*", .column("ay"), .integer(2)), "ay2"),
            (.concat([.column("ms"), .text("!")], operator: g.chance(2)), "mx"),
            (.call("abs", [.column("mh")], sqlite: "abs"), "amh"),
        ]
        for extra in extras where g.chance(2) { items.append((extra.0, extra.1)) }
        if g.chance(5) { return CompSelect(items: [], star: true, from: from, filter: aggregateCondition()) }
        return CompSelect(items: items, from: from, filter: g.chance(5) ? nil : aggregateCondition(), minimal: g.chance(2))
    }

    // MARK: Cases

    mutating func pickAttach(_ allowed: [Attach]) -> Attach { g.pick(allowed) }

    /// One case of shape `seed % 7`.
    mutating func makeCase(shape: Int) -> CompCase {
        var stack = Stack()
        switch shape {
        case 0:
            // Views over views: 1-4 levels, the last the generator's query.
            for _ in 0..<g.int(0...3) { attach(CompQuery(selects: [layer(from: stack.from)]), .view, to: &stack) }
            if g.chance(3) {
                return finish(CompQuery(selects: [layer(from: stack.from)]), &stack, shape: "views", mode: "append")
            }
            return top(&stack, shape: "views")
        case 1:
            // A view over an aggregating view: stateless levels with WHERE over its columns.
            for _ in 0..<g.int(0...2) { attach(CompQuery(selects: [layer(from: stack.from)]), pickAttach(Attach.allCases), to: &stack) }
            attach(CompQuery(selects: [aggregation(from: stack.from)]), pickAttach([.view, .view, .subquery, .cte]), to: &stack)
            for _ in 0..<g.int(0...1) { attach(CompQuery(selects: [overAggregate(from: stack.from, keepAll: true)]), pickAttach(Attach.allCases), to: &stack) }
            return finish(CompQuery(selects: [overAggregate(from: stack.from, keepAll: false)]), &stack, shape: "over-aggregate", mode: "complete")
        case 2:
            // Subqueries in FROM, nested 1-3 deep.
            for _ in 0..<g.int(1...3) { attach(CompQuery(selects: [layer(from: stack.from)]), .subquery, to: &stack) }
            return top(&stack, shape: "subqueries")
        case 3:
            // WITH: 1-3 CTEs, each reading the one before.
            for _ in 0..<g.int(1...3) { attach(CompQuery(selects: [layer(from: stack.from)]), .cte, to: &stack) }
            return top(&stack, shape: "with")
        case 4:
            // UNION ALL of 2-3 SELECTs over the stream (or over a level above it) as the result.
            if g.chance(3) { attach(CompQuery(selects: [layer(from: stack.from)]), pickAttach(Attach.allCases), to: &stack) }
            let u = union(from: stack.from)
            if g.chance(2) { return finish(u, &stack, shape: "union", mode: "append") }
            attach(u, pickAttach(Attach.allCases), to: &stack)
            return finish(CompQuery(selects: [layer(from: stack.from)]), &stack, shape: "union", mode: "append")
        case 5:
            // An aggregation over a union.
            let u = union(from: stack.from)
            attach(u, pickAttach(Attach.allCases), to: &stack)
            if g.chance(3) { attach(CompQuery(selects: [layer(from: stack.from)]), pickAttach(Attach.allCases), to: &stack) }
            return top(&stack, shape: "aggregate-over-union")
        default:
            // Everything mixed: 1-4 levels, each a view, subquery or CTE, one maybe a union.
            let levels = g.int(1...4)
            let unionAt = g.chance(2) ? g.int(0..<levels) : -1
            for level in 0..<levels {
                let q = level == unionAt ? union(from: stack.from) : CompQuery(selects: [layer(from: stack.from)])
                attach(q, pickAttach(Attach.allCases), to: &stack)
            }
            return top(&stack, shape: "mixed")
        }
    }
}

/// Runs a chain of views over rows through the whole engine, as DiffEngineRun does for one:
/// JSON lines in a file that grows between micro-batches, a `file` source, a typed stream,
/// every view created in order, the last started into a memory table.
enum CompEngineRun {
    static func run(views: [String], final: String, mode: String, chunks: [String], sourceOptions: String = "") throws -> DiffEngineRun {
        try DiffEngineRun.run(views: views, final: final, mode: mode, chunks: chunks, sourceOptions: sourceOptions)
    }
}

extension CompGenerator {
    /// A case over two streams t1 and t2 (the same schema, different rows): their union (each
    /// side its own projection and filter), maybe a level over it, then the generator's query.
    mutating func twoStreamCase() -> CompCase {
        var stack = Stack()
        let sides = [layer(from: .name("t1"), canonicalOrder: true), layer(from: .name("t2"), canonicalOrder: true, unionSide: true)]
        attach(CompQuery(selects: g.chance(2) ? sides : sides.reversed()), pickAttach(Attach.allCases), to: &stack)
        if g.chance(3) { attach(CompQuery(selects: [layer(from: stack.from)]), pickAttach(Attach.allCases), to: &stack) }
        if g.chance(4) { return finish(CompQuery(selects: [layer(from: stack.from)]), &stack, shape: "two-streams", mode: "append") }
        return top(&stack, shape: "two-streams")
    }
}

extension CompEngineRun {
    /// As `run`, over two growing files read by two sources into streams t1 and t2; round i
    /// appends piece i of each (when it has one), then runs micro-batches until none is left.
    static func run(views: [String], final: String, mode: String, chunks1: [String], chunks2: [String]) throws -> DiffEngineRun {
        let folder = FileManager.default.temporaryDirectory
        let files = [folder.appendingPathComponent("cells-sqlcomp-\(UUID().uuidString).jsonl").path,
                     folder.appendingPathComponent("cells-sqlcomp-\(UUID().uuidString).jsonl").path]
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        try (chunks1.first ?? "").write(toFile: files[0], atomically: false, encoding: .utf8)
        try (chunks2.first ?? "").write(toFile: files[1], atomically: false, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f1 USING file OPTIONS ('path' = '\(files[0])');
            CREATE SOURCE f2 USING file OPTIONS ('path' = '\(files[1])');
            CREATE STREAM t1 FROM f1 FORMAT json SCHEMA (\(DiffData.streamSchema));
            CREATE STREAM t2 FROM f2 FORMAT json SCHEMA (\(DiffData.streamSchema));
            \(views.map { $0 + ";" }.joined(separator: "\n"))
            """)
        let query = try session.prepare(start: "START \(final) OUTPUT MODE \(mode) USING memory")
        defer { query.stop() }
        var inputRows = 0, batches = 0
        for round in 0..<max(chunks1.count, chunks2.count) {
            if round > 0 {
                for (file, chunks) in zip(files, [chunks1, chunks2]) where round < chunks.count {
                    let handle = try #require(FileHandle(forWritingAtPath: file))
                    handle.seekToEndOfFile()
                    handle.write(Data(chunks[round].utf8))
                    try handle.close()
                }
            }
            (inputRows, batches) = try DiffEngineRun.drain(query, inputRows: inputRows, batches: batches)
        }
        return try DiffEngineRun.result(session.table(final), inputRows: inputRows, batches: batches)
    }
}
