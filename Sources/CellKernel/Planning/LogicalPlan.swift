/// A bound query as a tree, between the binder and execution: each node says what it
/// computes from its inputs' rows and which columns it outputs, by name and type.
///
/// Expressions of a node refer to its input's columns by position (the first input's, for a
/// union all of inputs with the same columns). Names are kept, so a plan can be printed
/// (``explain()``) and translated for another engine.
///
/// The local engine lowers a plan with ``PhysicalPlanner``; the tree itself knows nothing of
/// how it runs.
public struct LogicalPlan: Sendable {
    public enum Operation: Sendable {
        /// A stream's columns `columns` (indices into the stream's), decoded from its source.
        case streamScan(StreamDefinition, columns: [Int])
        /// A table's columns `columns`: a started view's memory table, read whole.
        case tableScan(name: String, columns: [Int])
        /// The rows for which the condition is TRUE.
        case filter(BoundExpression)
        /// One output column per expression.
        case project([BoundExpression])
        /// Each row once per window that holds it, with the window's start as a last column.
        case window(WindowSpec)
        /// GROUP BY: the keys, then the aggregates, one row per group.
        case aggregate(Aggregation)
        /// ORDER BY over the input's columns.
        case sort([SortKey])
        /// The first rows.
        case limit(Int)
        /// The rows of every input, which all have the first input's columns.
        case unionAll
        /// The rows of two inputs (left = inputs[0], right = inputs[1]) that match: output columns are the
        /// left's then the right's.
        case join(JoinSpec)
        /// A generator (explode, posexplode, json_tuple): each input row as zero or more rows,
        /// the input's columns then the generated ones.
        case generate(GenerateSpec)
        /// Each key's first row only (`FROM x DEDUPLICATE ...`): the input's columns, unchanged.
        case deduplicate(DeduplicateSpec)
    }

    public internal(set) var operation: Operation
    public internal(set) var inputs: [LogicalPlan]
    /// The columns this node outputs.
    public internal(set) var schema: Schema
    /// The output column that carries event time under a watermark, if any: what lets an
    /// aggregation above close its windows.
    public internal(set) var eventTime: EventTimeColumn?

    /// Nodes in the tree, and stream scans among them (kept as the tree is built, so a query
    /// that would expand into millions of nodes is refused before anything walks it).
    public private(set) var size: Int
    public private(set) var scanCount: Int

    init(_ operation: Operation, _ inputs: [LogicalPlan], schema: Schema, eventTime: EventTimeColumn?) {
        self.operation = operation
        self.inputs = inputs
        self.schema = schema
        self.eventTime = eventTime
        // Saturating: a WITH query read twice per level doubles the tree each level.
        size = inputs.reduce(1) { $0.addingReportingOverflow($1.size).overflow ? .max : $0 + $1.size }
        height = 1 + (inputs.map(\.height).max() ?? 0)
        let scans: Int = if case .streamScan = operation { 1 } else { 0 }
        scanCount = inputs.reduce(scans) { $0.addingReportingOverflow($1.scanCount).overflow ? .max : $0 + $1.scanCount }
    }

    /// The most operators in one plan, and the most stream scans (each opens a source).
    public static let maximumSize = 10_000
    public static let maximumScans = 64

    /// The most nodes from the root to a leaf. Views over views inline each other, so a long
    /// chain makes a tall tree; every pass over it recurses, so its height is bounded.
    static let maximumHeight = 256

    public private(set) var height: Int

    /// The nodes of the tree, root first.
    func forEachNode(_ body: (LogicalPlan) -> Void) {
        body(self)
        for input in inputs { input.forEachNode(body) }
    }

    /// Whether an aggregation is anywhere in the tree.
    public var isAggregate: Bool {
        var found = false
        forEachNode { if case .aggregate = $0.operation { found = true } }
        return found
    }

    /// The streams the tree reads, left to right.
    public var streams: [StreamDefinition] {
        var found: [StreamDefinition] = []
        forEachNode { if case .streamScan(let stream, _) = $0.operation { found.append(stream) } }
        return found
    }
}

/// GROUP BY keys and aggregates, over the input's columns.
public struct Aggregation: Sendable {
    public internal(set) var keys: [BoundExpression]
    public internal(set) var aggregates: [AggregateSpec]
    /// The key that holds a window start (a column added by a ``LogicalPlan/Operation/window(_:)``
    /// below), and the window's length.
    public internal(set) var window: (key: Int, sizeMicros: Int64)?
    /// Whether the aggregation can use the watermark: it groups by a window, or by a key
    /// made from the event-time column. Only then are groups ever final.
    public internal(set) var usesWatermark: Bool
    /// `session_window(time, gap)` in GROUP BY: the key that holds the event time (the
    /// session's start once grouped), and the gap. The output then has one more column after
    /// the aggregates, the session's end (QueryBinder+Session.swift).
    public internal(set) var session: SessionWindowKey? = nil
}

/// Spark's `session_window(timeColumn, gapDuration)` as a GROUP BY key of an ``Aggregation``.
public struct SessionWindowKey: Sendable, Hashable {
    /// Which of the aggregation's keys is the session: its expression is the event time.
    public internal(set) var key: Int
    public internal(set) var gapMicros: Int64
}

/// An event-time column, and how far its values lag the event time: an aggregation's window
/// start stands for the window's last instant (Spark's `window_time`), `shift` later.
public struct EventTimeColumn: Sendable, Hashable {
    public internal(set) var column: Int
    public internal(set) var shiftMicros: Int64
}

/// Spark's streaming `dropDuplicates` / `dropDuplicatesWithinWatermark` over the input.
public struct DeduplicateSpec: Sendable, Hashable {
    /// The key columns, over the input's columns.
    public internal(set) var keys: [Int]
    /// `WITHIN WATERMARK`: the stream's watermark delay; a key expires once the watermark
    /// reaches its first event time + this. Nil for a plain dedup.
    public internal(set) var withinWatermarkDelayMicros: Int64?
}

/// `WATERMARK column DELAY 'interval'`.
public struct EventTimeWatermark: Sendable, Hashable {
    /// Index of the event-time column in the stream's columns.
    public internal(set) var column: Int
    public internal(set) var delayMicros: Int64
}

/// Spark's `window(timeColumn, size[, slide])`.
public struct WindowSpec: Sendable, Hashable {
    /// The event time, over the input's columns.
    public internal(set) var time: BoundExpression
    public internal(set) var sizeMicros: Int64
    public internal(set) var slideMicros: Int64
    public internal(set) var startMicros: Int64 = 0
}

/// One ORDER BY key, over the input's columns.
public struct SortKey: Sendable, Hashable {
    public internal(set) var column: Int
    public internal(set) var ascending: Bool
    public internal(set) var nullsFirst: Bool
}

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
