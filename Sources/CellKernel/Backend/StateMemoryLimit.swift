#if canImport(Glibc)
import Glibc
#endif

/// The bound on a query's state (its group table and aggregate states) that stops the query
/// with an error instead of letting it take the machine's memory.
///
/// Given per query as the START option `'cells.stateMemoryLimit'` (`'512m'`, `'2g'`, bytes; a
/// size as Spark writes one, in units of 1024), or for every query of a session with
/// ``CellSession/stateMemoryLimit``. The default is 2 GiB, or half the physical memory where
/// that is less.
public struct StateMemoryLimit: Sendable, Hashable {
    /// The limit in bytes.
    public var bytes: Int

    /// A limit of `bytes`.
    public init(bytes: Int) { self.bytes = bytes }

    /// The option that sets the limit on START.
    public static let optionName = "cells.stateMemoryLimit"

    /// 2 GiB, or half the physical memory when that is less.
    public static let `default`: StateMemoryLimit = {
        let twoGiB = 2 << 30
        let pages = Int(sysconf(Int32(_SC_PHYS_PAGES))), pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard pages > 0, pageSize > 0 else { return StateMemoryLimit(bytes: twoGiB) }
        let (physical, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return StateMemoryLimit(bytes: overflow ? twoGiB : min(twoGiB, physical / 2))
    }()

    /// Reads a size as Spark writes one: a number and an optional unit b, k, m, g, t (or kb,
    /// mb, gb, tb), in units of 1024, case-insensitive: `'512m'`, `'2g'`, `'1048576'`.
    public init?(parsing text: String) {
        let lower = text.lowercased().filter { $0 != " " }
        let digits = lower.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int(digits) else { return nil }
        let shift: Int
        switch lower.dropFirst(digits.count) {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        guard number > 0, number <= Int.max >> shift else { return nil }
        bytes = number << shift
    }

    /// `bytes` as a short size: `512.0 MiB`.
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : "\((value * 10).rounded() / 10) \(units[unit])"
    }
}

/// The query's state outgrew its ``StateMemoryLimit``.
public struct StateMemoryExceeded: Error, Sendable, CustomStringConvertible {
    public var view: String
    public var groups: Int
    public var estimatedBytes: Int
    public var limit: Int

    public var description: String {
        "the state of \(view) holds about \(StateMemoryLimit.describe(estimatedBytes)) (\(groups) groups), "
            + "over its limit of \(StateMemoryLimit.describe(limit)): the query stopped. Group by fewer distinct keys, "
            + "use a watermark so that closed windows leave the state, or raise the limit with "
            + "START \(view) ... USING console OPTIONS ('\(StateMemoryLimit.optionName)' = '4g')"
    }
}
