/// Reading tables back: their declared columns, and their rows as a batch.
extension PostgresDatabase {
    func columns(of table: String) throws(DatabaseError) -> [DatabaseColumn]? {
        let name = try PostgresTableName(table)
        // One row with a NULL name when the table exists without columns, none of it when the
        // name is not a table at all.
        let result = try connection.run("""
            SELECT r.rel IS NOT NULL, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typtype, a.atttypmod
            FROM (SELECT to_regclass($1) AS rel) r
            LEFT JOIN pg_attribute a ON a.attrelid = r.rel AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_type t ON t.oid = a.atttypid
            ORDER BY a.attnum
            """, parameters: [name.sql], doing: "reading the columns of table \(name)")
        guard result.rowCount > 0, result.string(row: 0, column: 0) == "t" else { return nil }
        var columns: [DatabaseColumn] = []
        for row in 0..<result.rowCount {
            guard let column = result.string(row: row, column: 1), let declared = result.string(row: row, column: 2) else { continue }
            let type = Self.sqlType(typeName: result.string(row: row, column: 3) ?? "", kind: result.string(row: row, column: 4) ?? "",
                                    modifier: Int(result.string(row: row, column: 5) ?? "") ?? -1)
            columns.append(DatabaseColumn(name: column, declaredType: declared, sqlType: type))
        }
        return columns
    }

    func read(_ table: String, schema: Schema) throws(DatabaseError) -> Batch {
        let name = try PostgresTableName(table)
        guard !schema.fields.isEmpty else { return Batch(empty: schema) }
        let columns = schema.fields.map { PostgresTableName.quoted($0.name) }.joined(separator: ", ")
        let result = try connection.run("SELECT \(columns) FROM \(name.sql)", doing: "reading table \(name)")
        var read: [Column] = []
        for (index, field) in schema.fields.enumerated() {
            var column = Column(type: field.type, capacity: result.rowCount)
            for row in 0..<result.rowCount {
                try result.withValue(row: row, column: index) { (text: UnsafeRawBufferPointer?) throws(DatabaseError) in
                    guard let text else { return column.appendNull() }
                    guard Self.append(text, to: &column) else {
                        throw DatabaseError(.invalid, "table \(name), row \(row + 1): column '\(field.name)' holds "
                                            + "'\(String(decoding: text.prefix(60), as: UTF8.self))', which is not a \(field.type)",
                                            hint: Self.unreadableHint(field.type))
                    }
                }
            }
            read.append(column)
        }
        return Batch(schema: schema, columns: read)
    }

    /// The cells type of a PostgreSQL column type, as Spark's PostgreSQL dialect reads it;
    /// nil for one cells has no type for (bytea, arrays, geometry, intervals...).
    static func sqlType(typeName: String, kind: String, modifier: Int) -> SQLType? {
        // Enums read as their labels, as Spark reads them.
        if kind == "e" { return .string }
        switch typeName {
        case "text", "varchar", "bpchar", "char", "name", "uuid", "json", "jsonb", "xml", "citext", "inet", "cidr", "macaddr":
            return .string
        case "bool": return .boolean
        case "int2", "int4": return .int
        case "int8", "oid": return .bigint
        case "float4": return .float
        case "float8": return .double
        case "date": return .date
        case "timestamp", "timestamptz": return .timestamp
        case "numeric":
            // No declared precision: Spark's DECIMAL(38, 18).
            guard modifier >= 4 else { return .decimal(precision: 38, scale: 18) }
            let precision = ((modifier - 4) >> 16) & 0xFFFF
            // The scale is 11 bits, signed, since PostgreSQL 15.
            let scale = (((modifier - 4) & 0x7FF) ^ 1024) - 1024
            guard (1...38).contains(precision), (0...precision).contains(scale) else { return nil }
            return .decimal(precision: precision, scale: scale)
        default: return nil
        }
    }

    /// Appends the value PostgreSQL printed as `text` (in the session's ISO, UTC settings);
    /// false when it is not one of the column's type.
    static func append(_ text: UnsafeRawBufferPointer, to column: inout Column) -> Bool {
        switch column.type {
        case .string:
            column.append(bytes: text)
        case .boolean:
            guard text.count == 1, text[0] == UInt8(ascii: "t") || text[0] == UInt8(ascii: "f") else { return false }
            column.append(text[0] == UInt8(ascii: "t"))
        case .int, .bigint:
            guard let value = NumberText.parseInteger(text), column.type == .bigint || Int64(Int32.min)...Int64(Int32.max) ~= value
            else { return false }
            column.append(value)
        case .float, .double:
            guard let value = NumberText.parseDouble(text) else { return false }
            column.append(column.type == .float ? Double(Float(value)) : value)
        case .decimal(let precision, let scale):
            guard let unscaled = ExactDecimal(String(decoding: text, as: UTF8.self))?.unscaled(precision: precision, scale: scale)
            else { return false }
            column.append(unscaled)
        case .date:
            guard let days = PostgresTimeText.date(text) else { return false }
            column.append(days)
        case .timestamp:
            guard let micros = PostgresTimeText.timestamp(text) else { return false }
            column.append(micros)
        case .null, .struct, .array, .map:
            return false
        }
        return true
    }

    private static func unreadableHint(_ type: SQLType) -> String? {
        switch type {
        case .decimal: "the value has more digits than the DECIMAL holds (or is NaN): read it into a wider NUMERIC, or as text"
        case .timestamp, .date: "cells' TIMESTAMP holds the years -290308 to 294247"
        default: nil
        }
    }
}
