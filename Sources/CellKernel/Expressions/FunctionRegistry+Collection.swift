extension FunctionRegistry {
    static let collectionFunctions: [FunctionEntry] = [
        .scalar("size", "cardinality", arity: 1...1) { (args) throws(SQLError) in
            switch args[0].type {
            case .array, .map, .null: return .call(.nested(.size), [args[0]], .int)
            default: throw args.typeError(0, "an ARRAY or a MAP")
            }
        },
        .scalar("element_at", arity: 2...2) { (args) throws(SQLError) in
            switch args[0].type {
            case .array(let element):
                let index = try NestedTyping.arrayIndex(args[1], text: args.call.arguments[1].sqlText, at: args.call.arguments[1].location)
                if case .literal(.int(0), _) = index {
                    // Spark raises INVALID_INDEX_OF_ZERO; a computed 0 is NULL here (see NestedFunction.elementAt).
                    throw SQLError("element_at() counts from 1: index 0 is not an element", at: args.call.arguments[1].location,
                                   hint: "use 1 for the first element, -1 for the last (or arr[0], which counts from 0)")
                }
                return .call(.nested(.elementAt), [args[0], index], element)
            case .map(let key, let value):
                let k = try NestedTyping.mapKey(args[1], key, text: args.call.arguments[1].sqlText, at: args.call.arguments[1].location)
                return .call(.nested(.mapValue), [args[0], k], value)
            default: throw args.typeError(0, "an ARRAY or a MAP")
            }
        },
        .scalar("array", arity: 0...1024) { (args) throws(SQLError) in
            let element = try args.commonType()
            return .call(.nested(.makeArray), args.bound.map { TypeCoercion.cast($0, to: element) }, try args.shallow(.array(element)))
        },
        .scalar("struct", arity: 1...1024) { (args) throws(SQLError) in
            // Spark names a field after a column (or the last part of a.b.c), else col1, col2...
            let fields = args.bound.indices.map { i in
                StructField(name: args.call.arguments[i].structFieldName ?? "col\(i + 1)", type: args[i].type)
            }
            return .call(.nested(.makeStruct), args.bound, try args.shallow(.struct(fields)))
        },
        .scalar("named_struct", arity: 2...1024) { (args) throws(SQLError) in
            guard args.count % 2 == 0 else {
                throw SQLError("named_struct() takes pairs of a name and a value, not \(args.count) arguments", at: args.location)
            }
            var fields: [StructField] = [], values: [BoundExpression] = []
            for p in 0..<args.count / 2 {
                let name = try args.constantText(2 * p)
                if fields.contains(where: { $0.name.caseInsensitiveCompare(name) }) {
                    throw SQLError("duplicate field '\(name)' in named_struct()", at: args.call.arguments[2 * p].location)
                }
                fields.append(StructField(name: name, type: args[2 * p + 1].type))
                values.append(args[2 * p + 1])
            }
            return .call(.nested(.makeStruct), values, try args.shallow(.struct(fields)))
        },
        .scalar("map", arity: 0...1024) { (args) throws(SQLError) in
            guard args.count % 2 == 0 else {
                throw SQLError("map() takes pairs of a key and a value, not \(args.count) arguments", at: args.location)
            }
            let keys = stride(from: 0, to: args.count, by: 2).map { args[$0] }
            let values = stride(from: 1, to: args.count, by: 2).map { args[$0] }
            let keyType = try TypeCoercion.commonType(keys.map(\.type), at: args.location, what: "map() keys")
            let valueType = try TypeCoercion.commonType(values.map(\.type), at: args.location, what: "map() values")
            if keyType.isNested { throw SQLError("a MAP key must not be a \(keyType)", at: args.location, hint: "use a STRING or number key") }
            // Constant keys are checked now: Spark refuses a NULL key and (by default) a repeated one.
            var seen: [Value] = []
            for (p, key) in keys.enumerated() {
                guard case .literal(let v, _) = TypeCoercion.cast(key, to: keyType) else { continue }
                let at = args.call.arguments[2 * p].location
                if v.isNull { throw SQLError("a MAP key cannot be NULL", at: at) }
                if seen.contains(v) { throw SQLError("duplicate map key \(v) in map()", at: at, hint: "each key may appear once") }
                seen.append(v)
            }
            var arguments: [BoundExpression] = []
            for (k, v) in zip(keys, values) { arguments += [TypeCoercion.cast(k, to: keyType), TypeCoercion.cast(v, to: valueType)] }
            return .call(.nested(.makeMap), arguments, try args.shallow(.map(key: keyType == .null ? .string : keyType, value: valueType)))
        },
        .scalar("array_contains", arity: 2...2) { (args) throws(SQLError) in
            guard case .array(let element) = args[0].type else { throw args.typeError(0, "an ARRAY") }
            let value = args[1]
            let fits = value.type == element || value.type == .null || (value.type.isNumeric && element.isNumeric)
            guard fits else {
                throw SQLError("array_contains() looks for \(element) values, but \(args.call.arguments[1].sqlText) is \(value.type)",
                               at: args.call.arguments[1].location, hint: "CAST it to \(element)")
            }
            return .call(.nested(.arrayContains), [args[0], TypeCoercion.cast(value, to: element)], .boolean)
        },
        .scalar("map_keys", arity: 1...1) { (args) throws(SQLError) in
            guard case .map(let key, _) = args[0].type else { throw args.typeError(0, "a MAP") }
            return .call(.nested(.mapKeys), [args[0]], .array(key))
        },
        .scalar("map_values", arity: 1...1) { (args) throws(SQLError) in
            guard case .map(_, let value) = args[0].type else { throw args.typeError(0, "a MAP") }
            return .call(.nested(.mapValues), [args[0]], .array(value))
        },
        .scalar("sort_array", arity: 1...2) { (args) throws(SQLError) in
            guard case .array(let element) = args[0].type else { throw args.typeError(0, "an ARRAY") }
            if element.isNested {
                throw SQLError("sort_array() of \(args[0].type) is not supported: cells orders scalar elements only",
                               at: args.call.arguments[0].location)
            }
            var ascending = true
            if args.count == 2 {
                guard case .literal(.bool(let b), _) = args[1] else {
                    throw SQLError("argument 2 of sort_array() must be TRUE or FALSE", at: args.call.arguments[1].location)
                }
                ascending = b
            }
            return .call(.nested(.sortArray(ascending: ascending)), [args[0]], args[0].type)
        },
        .scalar("array_distinct", arity: 1...1) { (args) throws(SQLError) in
            guard case .array = args[0].type else { throw args.typeError(0, "an ARRAY") }
            return .call(.nested(.arrayDistinct), [args[0]], args[0].type)
        },
        .scalar("flatten", arity: 1...1) { (args) throws(SQLError) in
            guard case .array(.array(let element)) = args[0].type else { throw args.typeError(0, "an ARRAY of ARRAYs") }
            return .call(.nested(.flatten), [args[0]], .array(element))
        },
    ]
}

extension FunctionArguments {
    /// `type`, if it nests no deeper than ``SQLType/maximumNestingDepth`` (what keeps the
    /// recursive readers of nested values within the stack); a constructor's result otherwise.
    func shallow(_ type: SQLType) throws(SQLError) -> SQLType {
        guard type.nestingDepth <= SQLType.maximumNestingDepth else {
            throw SQLError("\(name)() would nest values more than \(SQLType.maximumNestingDepth) levels deep", at: location,
                           hint: "flatten the value, or keep the deep part as JSON text")
        }
        return type
    }

    /// An error at argument `i`: the function needs `what`, and got the argument's type.
    func typeError(_ i: Int, _ what: String) -> SQLError {
        SQLError("\(name)() needs \(what), but \(call.arguments[i].sqlText) is \(bound[i].type)", at: call.arguments[i].location)
    }
}

extension SQLExpression {
    /// The field name `struct(...)` gives this argument: a column's name, or the last part of
    /// a dotted path; nil for anything else (then Spark's `colN`).
    var structFieldName: String? {
        switch kind {
        case .column(_, let name): name
        case .field(let base, let name): base.structFieldName == nil ? nil : name
        default: nil
        }
    }
}

/// The implicit casts of nested access, shared by `[ ]` (the binder) and `element_at()`.
enum NestedTyping {
    /// An array index as BIGINT: integers as they are (Int64.min included, which is out of
    /// range, so NULL), NULL as a NULL index; anything else is an error.
    static func arrayIndex(_ index: BoundExpression, text: String, at location: SourceLocation) throws(SQLError) -> BoundExpression {
        if case .literal(.int(let v), _) = index { return .literal(.int(v), .bigint) }
        switch index.type {
        case .int, .bigint, .null: return TypeCoercion.cast(index, to: .bigint)
        default: throw SQLError("an array index must be an integer, but \(text) is \(index.type)", at: location)
        }
    }

    /// A map key in the map's key type (Spark casts it implicitly when the types meet).
    static func mapKey(_ key: BoundExpression, _ keyType: SQLType, text: String, at location: SourceLocation) throws(SQLError) -> BoundExpression {
        let fits = key.type == keyType || key.type == .null || (key.type.isNumeric && keyType.isNumeric)
            || (key.type == .string && !keyType.isNested) || (keyType == .string && !key.type.isNested)
        guard fits else {
            throw SQLError("the map's keys are \(keyType), but \(text) is \(key.type)", at: location, hint: "CAST the key to \(keyType)")
        }
        return TypeCoercion.cast(key, to: keyType)
    }
}
