import CellKernel
import Foundation
import Testing

@testable import ArrowIPC

/// The bytes of `Fixtures/<name>.arrows` (written by `Fixtures/make_fixtures.py`).
func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "arrows", subdirectory: "Fixtures"))
    return Array(try Data(contentsOf: url))
}

func decodeFixture(_ name: String) throws -> Batch {
    try ArrowIPC.decode(fixture(name))
}

extension Batch {
    /// Every value of the named column.
    func values(_ name: String) -> [Value]? { column(named: name)?.values }
}

/// The error decoding `bytes` throws, nil when it decodes.
func decodeError(_ bytes: [UInt8]) -> ArrowError? {
    do {
        _ = try ArrowIPC.decode(bytes)
        return nil
    } catch {
        return error
    }
}
