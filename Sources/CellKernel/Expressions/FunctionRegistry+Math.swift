extension FunctionRegistry {
    static let mathFunctions: [FunctionEntry] = [
        .scalar("round", arity: 1...2) { (args) throws(SQLError) in
            let value = args.numeric(0)
            let scale = args.count > 1 ? try args.constantInt(1) : 0
            if case .decimal(let p, let s) = value.type {
                // Spark's Round of DECIMAL(p, s): DECIMAL(p - s + 1 + d, d), scale at least 0, bounded by 38.
                let d = Int(clamping: max(min(Int64(scale), 38), -38))
                let type = SQLType.decimal(precision: min(max(p - s + 1 + max(d, 0), 1), 38), scale: min(max(d, 0), 38))
                return .call(.row(.round(scale: scale)), [value], type)
            }
            let type: SQLType = value.type == .int || value.type == .bigint ? value.type : .double
            return .call(.row(.round(scale: scale)), [TypeCoercion.cast(value, to: type == .double ? .double : value.type)], type)
        },
        .scalar("abs", arity: 1...1) { args in
            let value = args.numeric(0)
            return .call(.row(.abs), [value], value.type)
        },
    ]
}
