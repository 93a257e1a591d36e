import CellKernel
#if SparkConnect
import SparkBackend
#endif

/// The engines `--engine`, `$CELLS_ENGINE` and `SET ENGINE` reach besides the local one:
/// Apache Spark through Spark Connect, in a build with the SparkConnect trait.
enum Engines {
    static var resolver: EngineResolver? {
        #if SparkConnect
        return { address in try SparkBackend(address: address) }
        #else
        return nil
        #endif
    }
}
