// Interim copy of the join interface the `joins` helper adds to LogicalPlan.swift (see the
// shared interface note); the streamjoin branch needs it before their branch is merged.
// Delete this file when merging `joins`.

/// An equi-join of two inputs, with any extra condition, as Spark plans it.
public struct JoinSpec: Sendable {
    public enum Kind: String, Sendable { case inner, leftOuter = "left outer", rightOuter = "right outer" }
    public internal(set) var kind: Kind
    /// Equality keys: leftKeys[i] (over the left input's columns) = rightKeys[i] (over the right's).
    /// A NULL key never matches (SQL `=`).
    public internal(set) var leftKeys: [BoundExpression]
    public internal(set) var rightKeys: [BoundExpression]
    /// The rest of the ON condition, over the left's columns then the right's (right column j is
    /// column leftWidth + j); nil when the ON condition is only the equalities.
    public internal(set) var condition: BoundExpression?
    /// Stream-stream joins only: the event-time bound the ON condition implies, used to evict state:
    /// a pair can match only when  lowerMicros <= right.eventTime - left.eventTime <= upperMicros.
    public internal(set) var timeRange: JoinTimeRange?
}

public struct JoinTimeRange: Sendable, Hashable {
    /// Event-time columns: index in the left input's columns and in the right input's columns.
    public internal(set) var leftColumn: Int
    public internal(set) var rightColumn: Int
    public internal(set) var lowerMicros: Int64   // may be Int64.min when unbounded below
    public internal(set) var upperMicros: Int64   // may be Int64.max when unbounded above
}
