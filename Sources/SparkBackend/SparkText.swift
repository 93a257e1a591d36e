/// Spark's spelling of what the translation writes besides SQL (names and strings are the
/// kernel's ``SparkSQLText``).
enum SparkText {
    /// A trigger interval as Spark's `processingTime` reads it: whole seconds when it is,
    /// else milliseconds (Spark's triggers have millisecond precision).
    static func interval(micros: Int64) -> String {
        micros % 1_000_000 == 0 ? "\(micros / 1_000_000) seconds" : "\(micros / 1_000) milliseconds"
    }
}
