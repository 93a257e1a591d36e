/// `CREATE [OR REPLACE] [TEMP] VIEW name AS SELECT ...`: a named streaming query, started
/// later with START.
public struct CreateView: Hashable, Sendable {
    /// The name START and SELECT refer to the view by.
    var name: Identifier
    /// The streaming query the view stands for.
    var query: Query
    /// `CREATE OR REPLACE`: replacing an existing view is allowed.
    var orReplace: Bool

    /// A view definition, as the parser builds it.
    init(name: Identifier, query: Query, orReplace: Bool = false) {
        self.name = name
        self.query = query
        self.orReplace = orReplace
    }
}
