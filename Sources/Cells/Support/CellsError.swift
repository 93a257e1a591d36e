#if canImport(Glibc)
import Glibc
#endif

/// Errors the command line reports itself, each with what to do about it.
enum CellsError: Error, CustomStringConvertible {
    case cannotOpen(String, errno: Int32)
    case invalidOption(String, String)
    case undelivered(failed: Int, total: Int, firstError: String)

    var description: String {
        switch self {
        case let .cannotOpen(path, code):
            "cannot open \(path): \(String(cString: strerror(code)))"
        case let .invalidOption(option, why):
            "\(option): \(why)"
        case let .undelivered(failed, total, firstError):
            "\(failed) of \(total) records were not delivered; first error: \(firstError)"
        }
    }
}
