extension FunctionRegistry {
    static let conditionalFunctions: [FunctionEntry] = [
        .scalar("coalesce", arity: 1...64, bind: coalesce),
        .scalar("ifnull", "nvl", arity: 2...2, bind: coalesce),
    ]

    /// The first non-NULL argument, every argument in their common type.
    private static let coalesce: FunctionEntry.Binding = { (args) throws(SQLError) in
        let type = try args.commonType()
        return .call(.coalesce, args.bound.map { TypeCoercion.cast($0, to: type) }, type)
    }
}
