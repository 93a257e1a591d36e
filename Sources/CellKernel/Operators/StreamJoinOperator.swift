/// Placeholder for the stream-stream join, in the shape the `streamjoin` branch defines (that
/// branch replaces this file): planning a join of two streams works, running one says it is
/// not available in this build.
final class StreamJoinOperator: BatchOperator, StatefulOperator {
    let left: any BatchOperator
    let right: any BatchOperator
    let spec: JoinSpec
    let schema: Schema

    init(left: any BatchOperator, right: any BatchOperator, spec: JoinSpec, schema: Schema) {
        self.left = left
        self.right = right
        self.spec = spec
        self.schema = schema
    }

    var inputs: [any BatchOperator] { [left, right] }
    var explainLine: String { "StreamJoin \(spec.kind.rawValue)" }

    func next(_ context: inout BatchContext) throws -> Batch {
        throw StreamJoinUnavailable()
    }

    var stateSignature: String { "stream-stream join \(spec.kind.rawValue)" }
    var stateBytes: [UInt8] { [] }
    func restoreState(_ bytes: [UInt8]) throws {}
    var estimatedStateBytes: Int { 0 }
    var stateRows: Int { 0 }
}

/// The error the placeholder throws.
struct StreamJoinUnavailable: Error, CustomStringConvertible {
    var description: String {
        "joins of two streams are not yet available in this build; join a stream with a table (a started view's table, or CREATE TABLE) instead"
    }
}
