/// One statement of a script, with its position and text.
///
/// Equality ignores the location and text, like every AST node.
public struct SQLStatement: Hashable, Sendable {
    /// What the statement does.
    var kind: StatementKind
    /// Where the statement's first token is.
    @IgnoredInComparison public var location: SourceLocation
    /// The statement exactly as written (variables not expanded), without its `;`: what a
    /// catalog shows for a view's definition.
    @IgnoredInComparison public var text: String

    /// A statement of `kind` written at `location`.
    init(_ kind: StatementKind, at location: SourceLocation = .start, text: String = "") {
        self.kind = kind
        self.location = location
        self.text = text
    }

    /// The view a `START` without `IN BACKGROUND` runs, `nil` for every other statement: the
    /// one thing a shell needs to know before running a statement (it holds the terminal until
    /// the stream stops), without reaching into the syntax tree.
    public var foregroundStartView: String? {
        guard case .start(let start) = kind, !start.background else { return nil }
        return start.view.name
    }
}

/// The statements of the language: Spark SQL queries plus the streaming statements.
enum StatementKind: Hashable, Sendable {
    /// `CREATE [OR REPLACE] SOURCE name USING connector [OPTIONS (...)]`.
    case createSource(CreateSource)
    /// `CREATE [OR REPLACE] STREAM name FROM source FORMAT f SCHEMA (...) [WATERMARK ..] [OPTIONS (...)]`.
    case createStream(CreateStream)
    /// `CREATE [OR REPLACE] [TEMP] VIEW name AS SELECT ...`.
    case createView(CreateView)
    /// `CREATE [OR REPLACE] TABLE name USING file|csv OPTIONS (...) [SCHEMA (...)]`.
    case createTable(CreateTable)
    /// `REFRESH TABLE name`: reads a static table's file again.
    case refreshTable(Identifier)
    /// `DROP TABLE name`: forgets a static table.
    case dropTable(Identifier)
    /// `START view [OUTPUT MODE m] [TRIGGER t] [USING sink [OPTIONS (...)]] [IN BACKGROUND]`.
    case start(StartQuery)
    /// A query run once over tables (started views' results), printed as a table.
    case select(Query)
    /// `EXPLAIN view` or `EXPLAIN query`: the logical and physical plans, not run.
    case explain(ExplainTarget)
    /// `SHOW SOURCES | STREAMS | VIEWS | QUERIES | TABLES`.
    case show(ShowTarget)
    /// `DESCRIBE name` (or `DESC name`).
    case describe(Identifier)
    /// `STOP name`: stops a running query.
    case stop(Identifier)
    /// `SET ENGINE 'sc://host:port'` or `SET ENGINE local`: the engine later STARTs run on.
    case setEngine(EngineChoice)
}

/// The engine `SET ENGINE` names: `local` (cells' own) or a Spark Connect address.
struct EngineChoice: Hashable, Sendable {
    /// `local`, or the address as written (`sc://host:15002`).
    var address: String
    @IgnoredInComparison var location: SourceLocation
}

/// What SHOW lists.
enum ShowTarget: String, Hashable, Sendable, CaseIterable {
    case sources, streams, views, queries, tables
}

/// What EXPLAIN shows the plans of.
enum ExplainTarget: Hashable, Sendable {
    /// `EXPLAIN name`: a view (as START would run it) or a started view's table.
    case view(Identifier)
    /// `EXPLAIN SELECT ...`: the query as a view over streams, or as a SELECT over tables.
    case query(Query)
}
