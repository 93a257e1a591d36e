/// `CREATE [OR REPLACE] SOURCE name USING connector [OPTIONS (...)]`: where records come from.
public struct CreateSource: Hashable, Sendable {
    /// The name statements refer to the source by.
    public var name: Identifier
    /// `kafka`, `file`, ...: checked by the catalog, which knows the connectors.
    public var connector: Identifier
    /// Connector settings, e.g. `subscribe`, `kafka.bootstrap.servers`, `path`.
    public var options: [SQLOption]
    /// `CREATE OR REPLACE`: replacing an existing source is allowed.
    public var orReplace: Bool

    /// A source definition, as the parser builds it.
    public init(name: Identifier, connector: Identifier, options: [SQLOption] = [], orReplace: Bool = false) {
        self.name = name
        self.connector = connector
        self.options = options
        self.orReplace = orReplace
    }
}
