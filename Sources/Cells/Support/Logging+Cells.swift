import Foundation
import Logging

/// Routes swift-log (and through KafkaBridge, librdkafka's own logs) to standard error, at the
/// level `CELLS_LOG_LEVEL` names. The default, `critical`, keeps librdkafka's retries and
/// connection failures (logged at `error`) off the shell's screen: cells reports every
/// failure itself, with what to do; `CELLS_LOG_LEVEL=error` shows them too.
enum CellsLogging {
    static func bootstrap() -> Logger {
        let level = ProcessInfo.processInfo.environment["CELLS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "cells")
    }
}
