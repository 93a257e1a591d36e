/// Field access and subscripts on nested values, resolved as Spark's analyzer does.
///
/// A dotted name `x.y` is column `y` of the table or alias `x` when `x` names one, else field
/// `y` of column `x`; `t.s.a` is column `s` of `t`, then its field `a` (the parser reads
/// `x.y` as a qualified column and each further `.a` as a field). Field names match without
/// regard to case, as column names do.
extension Binder {
    /// `qualifier.name` read as field `name` of a STRUCT column `qualifier`, or nil when
    /// `qualifier` is not such a column (then it is a table qualifier).
    ///
    /// Over one input the binder does not know the table's alias, so a STRUCT column named
    /// like the table wins when it has the field (Spark would take the table); a STRUCT without
    /// the field falls back to the column `name`, and only when there is none is it an error.
    func structField(_ qualifier: String, _ name: String, at location: SourceLocation) throws(SQLError) -> BoundExpression? {
        let candidates = columns.indices.filter { columns[$0].name.caseInsensitiveCompare(qualifier) }
        guard candidates.count == 1, case .struct(let fields) = columns[candidates[0]].type else { return nil }
        let base = try resolve(qualifier, at: location)
        if !fields.contains(where: { $0.name.caseInsensitiveCompare(name) }),
           !columns.contains(where: { $0.qualifier != nil }),
           columns.contains(where: { $0.name.caseInsensitiveCompare(name) }) {
            return nil
        }
        return try Self.field(of: base, name, text: qualifier, at: location)
    }

    /// `base.name`.
    func field(of base: SQLExpression, _ name: String, at location: SourceLocation) throws(SQLError) -> BoundExpression {
        if case .function(let call) = base.kind, call.lowercasedName == "window" {
            throw SQLError("'\(base.sqlText).\(name)' is not a column here", at: location,
                           hint: "window(...).start and .end are available when the query groups by that window")
        }
        return try Self.field(of: try bind(base), name, text: base.sqlText, at: location)
    }

    /// Field `name` of a bound STRUCT, or an error naming the fields there are.
    static func field(of base: BoundExpression, _ name: String, text: String, at location: SourceLocation) throws(SQLError) -> BoundExpression {
        guard case .struct(let fields) = base.type else {
            throw SQLError("'\(text)' is \(base.type), not a STRUCT: it has no field '\(name)'", at: location,
                           hint: base.type.isNested ? "use [ ] for an element of an ARRAY or a value of a MAP" : nil)
        }
        guard let index = fields.firstIndex(where: { $0.name.caseInsensitiveCompare(name) }) else {
            let names = fields.map(\.name)
            throw SQLError("no field '\(name)' in '\(text)' (\(base.type))", at: location,
                           hint: Suggestion.closest(to: name, among: names).map { "did you mean '\(text).\($0)'?" }
                               ?? (names.isEmpty ? "the STRUCT has no fields" : "its fields: \(names.joined(separator: ", "))"))
        }
        return .call(.nested(.field(index: index)), [base], fields[index].type)
    }

    /// `base[index]`: an ARRAY's element (0-based), a MAP's value, or a STRUCT's field named by
    /// a string literal (`s['a']`, as Spark allows).
    func element(of base: SQLExpression, _ index: SQLExpression, at location: SourceLocation) throws(SQLError) -> BoundExpression {
        let container = try bind(base)
        switch container.type {
        case .array(let element):
            let position = try NestedTyping.arrayIndex(try bind(index), text: index.sqlText, at: index.location)
            return .call(.nested(.arrayItem), [container, position], element)
        case .map(let key, let value):
            let bound = try bind(index)
            return .call(.nested(.mapValue), [container, try NestedTyping.mapKey(bound, key, text: index.sqlText, at: index.location)], value)
        case .struct:
            guard case .literal(.string(let name)) = index.kind else {
                throw SQLError("'\(base.sqlText)' is a STRUCT: [ ] on it takes a field name as a string literal", at: index.location,
                               hint: "write \(base.sqlText).field or \(base.sqlText)['field']")
            }
            return try Self.field(of: container, name, text: base.sqlText, at: location)
        default:
            throw SQLError("'\(base.sqlText)' is \(container.type): [ ] needs an ARRAY or a MAP", at: location,
                           hint: container.type == .string ? "for JSON text use get_json_object(\(base.sqlText), '$[0]') or from_json()" : nil)
        }
    }
}
