/// Runs a planned SELECT once over a table (a view's memory table): the same stages as a
/// micro-batch, over a batch that is all there is.
enum TableQuery {
    static func run(_ plan: QueryPlan, on table: Batch) -> [Column] {
        var input = Batch(schema: Schema(plan.scanColumns.map { table.schema.fields[$0] }),
                          columns: plan.scanColumns.map { table.columns[$0] })
        if let filter = plan.filter { input = input.filter(filter) }
        var output: [Column]
        if plan.isAggregate {
            var aggregation = HashAggregation(keys: plan.keys, aggregates: plan.aggregates)
            aggregation.add(input)
            output = aggregation.allGroups()
            if let having = plan.having {
                output = Batch(schema: Schema(output.map { .init(name: "", type: $0.type) }), columns: output).filter(having).columns
            }
            let count = output.first?.count ?? 0
            output = plan.projection.map { Evaluator.evaluate($0, columns: output, count: count) }
        } else {
            output = plan.projection.map { Evaluator.evaluate($0, on: input) }
        }
        return StreamingQuery.sorted(output, by: plan.orderBy, limit: plan.limit)
    }
}
