/// Runs a planned SELECT once over a table (a view's memory table): the stages of a
/// micro-batch, over a batch that is all there is.
enum TableQuery {
    static func run(_ plan: QueryPlan, on table: Batch) -> [Column] {
        let input = Batch(schema: Schema(plan.scanColumns.map { table.schema.fields[$0] }),
                          columns: plan.scanColumns.map { table.columns[$0] })
        var worker = BatchWorker(plan: plan, mode: .complete, watermark: 0)
        worker.process(input)
        let output = worker.aggregation.map { plan.output(ofGroups: $0.allGroups()) } ?? worker.appended
        return StreamingQuery.sorted(output, by: plan.orderBy, limit: plan.limit)
    }
}
