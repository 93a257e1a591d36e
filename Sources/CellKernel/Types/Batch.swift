/// A set of rows as columns of equal length, with their names: what flows between operators.
public struct Batch: Sendable {
    public var schema: Schema
    public var columns: [Column]

    public init(schema: Schema, columns: [Column]) {
        precondition(schema.fields.count == columns.count, "a batch needs one column per field")
        self.schema = schema
        self.columns = columns
    }

    /// No rows, in `schema`'s columns.
    public init(empty schema: Schema) {
        self.init(schema: schema, columns: schema.fields.map { Column(type: $0.type) })
    }

    public var count: Int { columns.first?.count ?? 0 }

    public func column(named name: String) -> Column? {
        schema.index(of: name).map { columns[$0] }
    }

    /// Appends the rows of `other`, column by column; false (and nothing appended) if its
    /// columns' types differ from this batch's.
    public mutating func append(contentsOf other: Batch) -> Bool {
        guard other.columns.count == columns.count,
              zip(columns, other.columns).allSatisfy({ $0.type == $1.type }) else { return false }
        for index in columns.indices { columns[index].append(contentsOf: other.columns[index]) }
        return true
    }
}

/// Names and types of a batch's columns, in order.
public struct Schema: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: SQLType
        public var nullable: Bool

        public init(name: String, type: SQLType, nullable: Bool = true) {
            self.name = name
            self.type = type
            self.nullable = nullable
        }
    }

    public var fields: [Field]

    public init(_ fields: [Field]) {
        self.fields = fields
    }

    /// Spark resolves column names case-insensitively by default.
    public func index(of name: String) -> Int? {
        fields.firstIndex { $0.name.caseInsensitiveCompare(name) }
    }
}

extension String {
    /// ASCII case-insensitive equality, as Spark's default resolver (no locale involved).
    func caseInsensitiveCompare(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
        }
    }
}
