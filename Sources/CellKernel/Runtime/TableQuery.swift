/// Runs a plan once over tables (started views' memory tables): the same operators as a
/// stream's, over one batch that is all there is, in complete mode.
enum TableQuery {
    static func run(_ plan: LogicalPlan, tables: @escaping (String) -> Batch?) throws -> Batch {
        let (root, _) = PhysicalPlanner(mode: .complete, table: tables).lower(plan)
        var context = BatchContext(mode: .complete, watermark: 0)
        return try root.next(&context)
    }

    /// The physical plan of a SELECT over tables, as EXPLAIN prints it.
    static func explain(_ plan: LogicalPlan) -> String {
        PhysicalPlanner(mode: .complete).lower(plan).root.explainTree()
    }
}
