/// `CREATE [OR REPLACE] SOURCE name USING connector [OPTIONS (...)]`: where records come from.
public struct CreateSource: Hashable, Sendable {
    /// The name statements refer to the source by.
    var name: Identifier
    /// `kafka`, `file`, ...: checked by the catalog, which knows the connectors.
    var connector: Identifier
    /// Connector settings, e.g. `subscribe`, `kafka.bootstrap.servers`, `path`.
    var options: [SQLOption]
    /// `CREATE OR REPLACE`: replacing an existing source is allowed.
    var orReplace: Bool

    /// A source definition, as the parser builds it.
    init(name: Identifier, connector: Identifier, options: [SQLOption] = [], orReplace: Bool = false) {
        self.name = name
        self.connector = connector
        self.options = options
        self.orReplace = orReplace
    }
}
