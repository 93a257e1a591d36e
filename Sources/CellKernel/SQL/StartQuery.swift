/// `START view [OUTPUT MODE m] [TRIGGER t] [USING sink [OPTIONS (...)]] [IN BACKGROUND]`.
///
/// The clauses may come in any order, each at most once; what is left out takes Spark's
/// defaults later (append mode, a micro-batch as soon as the previous one ends, the console).
public struct StartQuery: Hashable, Sendable {
    /// The view to run.
    public var view: Identifier
    /// `OUTPUT MODE m`; `nil` when not written.
    var outputMode: OutputMode?
    /// `TRIGGER t`; `nil` when not written.
    var trigger: Trigger?
    /// `USING sink`: `console`, `memory`, `json`, `csv`, `kafka`, ...; `nil` for the default.
    var sink: Identifier?
    /// `USING sink OPTIONS (...)`.
    var sinkOptions: [SQLOption]
    /// `IN BACKGROUND`: return to the prompt while the query runs.
    public var background: Bool
    /// Where `OUTPUT` is written, for errors about the mode.
    @IgnoredInComparison var outputModeLocation: SourceLocation?
    /// Where `TRIGGER` is written, for errors about the trigger.
    @IgnoredInComparison var triggerLocation: SourceLocation?

    /// A START statement, as the parser builds it.
    init(
        view: Identifier, outputMode: OutputMode? = nil, trigger: Trigger? = nil,
        sink: Identifier? = nil, sinkOptions: [SQLOption] = [], background: Bool = false,
        outputModeLocation: SourceLocation? = nil, triggerLocation: SourceLocation? = nil
    ) {
        self.view = view
        self.outputMode = outputMode
        self.trigger = trigger
        self.sink = sink
        self.sinkOptions = sinkOptions
        self.background = background
        self.outputModeLocation = outputModeLocation
        self.triggerLocation = triggerLocation
    }
}

/// Spark's output modes: which rows of the result each trigger emits.
public enum OutputMode: String, Hashable, Sendable, CaseIterable {
    /// Only new rows, final once the watermark passes them.
    case append
    /// Rows changed by this trigger.
    case update
    /// The whole result, every trigger.
    case complete
}

/// When micro-batches run.
enum Trigger: Hashable, Sendable {
    /// `TRIGGER '5 seconds'`: one micro-batch per interval; the text is checked by
    /// ``parseInterval(_:)``.
    case processingTime(String)
    /// `TRIGGER ONCE`: one micro-batch of everything available, then stop.
    case once
    /// `TRIGGER AVAILABLE NOW`: everything available, in as many micro-batches as needed,
    /// then stop.
    case availableNow
}
