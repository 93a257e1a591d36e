extension FunctionRegistry {
    static let jsonFunctions: [FunctionEntry] = [
        .scalar("from_json", arity: 2...2) { (args) throws(SQLError) in
            let schema = try args.constantText(1)
            let type = try SQLParser.parseSchemaText(schema, origin: args.call.arguments[1].location)
            if let key = type.nonStringMapKey {
                throw SQLError("from_json() reads JSON objects as MAPs with STRING keys, not \(key)", at: args.call.arguments[1].location,
                               hint: "declare the map as MAP<STRING, ...>")
            }
            return .call(.nested(.fromJSON), [args.string(0)], type)
        },
        .scalar("to_json", arity: 1...1) { (args) throws(SQLError) in
            guard args[0].type.isNested else { throw args.typeError(0, "a STRUCT, an ARRAY or a MAP") }
            return .call(.nested(.toJSON), [args[0]], .string)
        },
        .scalar("get_json_object", arity: 2...2) { (args) throws(SQLError) in
            let text = try args.constantText(1)
            do {
                return .call(.nested(.getJSONObject(path: try JSONPath.parse(text))), [args.string(0)], .string)
            } catch {
                throw SQLError("get_json_object() paths with [*] or .* are not supported", at: args.call.arguments[1].location,
                               hint: "name each element, e.g. '$.a[0].b', or read the array with from_json()")
            }
        },
    ]
}

extension SQLType {
    /// The first MAP key type in this type that is not STRING (JSON object keys are text).
    var nonStringMapKey: SQLType? {
        switch self {
        case .map(let key, let value): key != .string ? key : value.nonStringMapKey
        case .array(let element): element.nonStringMapKey
        case .struct(let fields): fields.lazy.compactMap(\.type.nonStringMapKey).first
        default: nil
        }
    }
}
