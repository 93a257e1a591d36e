/// The streaming engine: notebooks, Spark SQL, micro-batches and sinks.
///
/// Filled by the kernel issue; the target exists now so the package has its final shape.
public enum CellKernel {
    public static let version = "0.1.0"
}
