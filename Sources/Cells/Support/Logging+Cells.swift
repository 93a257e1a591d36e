import Foundation
import Logging

/// Routes swift-log (and through KafkaBridge, librdkafka's own logs) to standard error, at the
/// level `CELLS_LOG_LEVEL` names (default `error`: quiet unless something is wrong).
enum CellsLogging {
    static func bootstrap() -> Logger {
        let level = ProcessInfo.processInfo.environment["CELLS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "cells")
    }
}
