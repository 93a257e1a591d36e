@testable import CellKernel
import TransactionGenerator

/// One decoded cell, compared exactly: doubles by bit pattern, so -0.0 ≠ 0.0 and NaN == NaN.
enum JSONCell: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case text(String)

    static func == (a: JSONCell, b: JSONCell) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x.bitPattern == y.bitPattern
        case let (.text(x), .text(y)): Array(x.utf8) == Array(y.utf8)
        default: false
        }
    }

    var description: String {
        switch self {
        case .null: "NULL"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .text(let s): "\"\(s)\""
        }
    }
}

func jsonCell(_ column: Column, _ row: Int) -> JSONCell {
    if column.isNull(row) { return .null }
    switch column.data {
    case .bool(let v): return .bool(v[row])
    case .int64(let v): return .int(v[row])
    // DECIMALs are compared by their unscaled value; the tests' values fit 64 bits.
    case .int128(let v): return .int(Int64(truncatingIfNeeded: v[row]))
    case .double(let v): return .double(v[row])
    case .bytes(let v): return .text(v[row])
    }
}

/// Checks the invariant every decode must keep: all columns have the same number of rows,
/// and the validity masks (when present) match.
func jsonColumnsAreAligned(_ columns: [Column]) -> Bool {
    guard let rows = columns.first?.count else { return true }
    return columns.allSatisfy { $0.count == rows && ($0.validity.isEmpty || $0.validity.count == rows) }
}

/// Decodes one document given as bytes; returns the row's cells and the outcome.
func jsonDecode(bytes: [UInt8], _ fields: [JSONFieldSpec]) -> (cells: [JSONCell], outcome: JSONDecodeOutcome) {
    let decoder = JSONRecordDecoder(fields: fields)
    var columns = decoder.makeColumns()
    let outcome = bytes.withUnsafeBytes { decoder.decode($0, into: &columns) }
    precondition(jsonColumnsAreAligned(columns) && columns.allSatisfy { $0.count == 1 })
    return (columns.map { jsonCell($0, 0) }, outcome)
}

func jsonDecode(_ text: String, _ fields: [JSONFieldSpec]) -> (cells: [JSONCell], outcome: JSONDecodeOutcome) {
    jsonDecode(bytes: Array(text.utf8), fields)
}

/// The single cell of a one-field decode.
func jsonValue(_ text: String, as type: SQLType, field: String = "v") -> JSONCell {
    jsonDecode(text, [JSONFieldSpec(name: field, type: type)]).cells[0]
}

/// Decodes `{"v": <valueText>}` as `type`.
func jsonField(_ valueText: String, as type: SQLType) -> (cell: JSONCell, outcome: JSONDecodeOutcome) {
    let r = jsonDecode("{\"v\": \(valueText)}", [JSONFieldSpec(name: "v", type: type)])
    return (r.cells[0], r.outcome)
}

extension JSONDecodeOutcome {
    var isMalformed: Bool {
        if case .malformed = self { return true }
        return false
    }

    var malformation: JSONMalformation? {
        if case .malformed(let m) = self { return m }
        return nil
    }
}

/// The project's seeded generator, so failures reproduce, with the draws these tests use.
extension CellsRandom {
    mutating func uniform(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func chance(_ percent: Int) -> Bool { uniform(100) < percent }
}
