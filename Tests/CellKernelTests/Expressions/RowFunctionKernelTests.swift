@testable import CellKernel
import Testing
import TransactionGenerator

// The row functions' column kernels against the row-at-a-time path they stand in for: the same
// inputs through `RowFunctions.apply` with and without kernels must give the same bytes, numbers
// (to the bit, so the sign of a zero counts) and NULLs, row by row. Each test also checks that
// the kernel answered most rows itself, so a kernel that always declined would fail it.

// Seeded generators (CellsRandom), so a failure repeats.

extension CellsRandom {
    fileprivate mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    fileprivate mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }
}

private let rows = 4_000

/// Texts people group and filter on, with the cases the kernels must hand back to the row path:
/// non-ASCII (one, two, three and four UTF-8 bytes, a combining mark), invalid UTF-8, and NULLs.
private func texts(_ mixer: inout CellsRandom) -> Column {
    let ascii = ["", " ", "  ", "a", " a", "a ", "  a b  ", "4163944681626021", "Visa", "Mercado 1240",
                 "approved", "declined", "%", "_", "a_c", "abc", "aXc", "ab", "Sao Paulo", "\t x \t", "abcabcabc",
                 "a%b", "a\\b", "2024-01-01T00:00:00.000Z", String(repeating: "long text ", count: 12)]
    let other = ["São Paulo", " é ", "e\u{301}", "日本語", "🙂 ok", "a\u{0}b"]
    var column = Column(type: .string, capacity: rows)
    for _ in 0..<rows {
        switch mixer.below(20) {
        case 0: column.appendNull()
        case 1: column.append(mixer.pick(other))
        case 2: [0x61, 0xFF, 0x20, 0xC3].withUnsafeBytes { column.append(bytes: $0) }   // not UTF-8
        default: column.append(mixer.pick(ascii))
        }
    }
    return column
}

private func integers(_ mixer: inout CellsRandom, _ interesting: [Int64], nulls: Bool = true) -> Column {
    var column = Column(type: .int, capacity: rows)
    for _ in 0..<rows {
        if nulls && mixer.below(25) == 0 { column.appendNull(); continue }
        column.append(mixer.below(4) == 0 ? Int64(bitPattern: mixer.next()) : mixer.pick(interesting))
    }
    return column
}

/// Runs `function` both ways and compares them row by row; returns the rows the kernel took.
@discardableResult
private func expectSameResults(_ function: RowFunction, _ inputs: [Column], type: SQLType,
                               sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Int {
    let count = inputs[0].count
    let fast = RowFunctions.apply(function, inputs, type: type, count: count)
    let reference = RowFunctions.apply(function, inputs, type: type, count: count, kernels: false)
    #expect(fast.count == count && reference.count == count, sourceLocation: sourceLocation)
    var mismatches = 0
    for row in 0..<count where mismatches < 5 {
        let same: Bool = switch (fast.data, reference.data) {
        case _ where fast.isNull(row) || reference.isNull(row): fast.isNull(row) == reference.isNull(row)
        case (.bytes(let a), .bytes(let b)): a.withElement(row) { x in b.withElement(row) { y in x.elementsEqual(y) } }
        case (.int64(let a), .int64(let b)): a[row] == b[row]
        case (.double(let a), .double(let b)): a[row].bitPattern == b[row].bitPattern || (a[row].isNaN && b[row].isNaN)
        case (.bool(let a), .bool(let b)): a[row] == b[row]
        default: false
        }
        if !same {
            mismatches += 1
            Issue.record("\(function) row \(row) of \(inputs.map { $0.value(at: row) }): kernel \(fast.value(at: row)), row path \(reference.value(at: row))",
                         sourceLocation: sourceLocation)
        }
    }
    guard let kernel = RowKernel(function, inputs, type: type) else {
        Issue.record("no kernel for \(function) over \(inputs.map(\.type))", sourceLocation: sourceLocation)
        return 0
    }
    var scratch = Column(type: type, capacity: count), declined = 0
    kernel.run(count, into: &scratch) { _, out in declined += 1; out.appendNull() }
    #expect(scratch.count == count, sourceLocation: sourceLocation)
    return count - declined
}

@Suite struct RowFunctionKernelTests {
    @Test func substringMatchesTheRowPath() {
        var mixer = CellsRandom(seed: 1)
        let positions: [Int64] = [0, 1, 2, 3, 5, 9, 16, 17, 100, -1, -2, -3, -16, -17, -100,
                                  Int64(Int32.max), Int64(Int32.min), Int64(Int32.max) + 1, 4_294_967_298, .min, .max]
        let lengths: [Int64] = [0, 1, 2, 3, 6, 16, 100, -1, -5, Int64(Int32.max), Int64(Int32.min), .min, .max]
        let text = texts(&mixer)
        let taken = expectSameResults(.substring, [text, integers(&mixer, positions)], type: .string)
        #expect(taken > rows * 3 / 4)
        #expect(expectSameResults(.substring, [text, integers(&mixer, positions), integers(&mixer, lengths)], type: .string) > rows * 3 / 4)
    }

    @Test func trimsMatchTheRowPath() {
        var mixer = CellsRandom(seed: 2)
        let text = texts(&mixer)
        for function in [RowFunction.trim, .ltrim, .rtrim] {
            #expect(expectSameResults(function, [text], type: .string) > rows * 3 / 4)
        }
    }

    @Test func likeMatchesTheRowPath() {
        var mixer = CellsRandom(seed: 3)
        let text = texts(&mixer)
        for pattern in ["", "%", "%%", "_", "__", "a", "a%", "%a", "%a%", "a_c", "%b%c%", "_b%", "A%", "Visa",
                        "Mercado%", "%1240", "4163%", "\\%", "a\\%b", "%\\_%", "a\\\\b", "\\", "abc\\", "%abc%abc",
                        "a%a%a%a%a%", "2024-__-__T%Z", "% %"] {
            #expect(expectSameResults(.like(pattern: pattern), [text], type: .boolean) > rows * 3 / 4, "pattern \(pattern)")
        }
        // A pattern that is not ASCII leaves every row to the row path.
        #expect(RowKernel(.like(pattern: "São%"), [text], type: .boolean) == nil)
    }

    @Test func datePartsMatchTheRowPath() {
        var mixer = CellsRandom(seed: 4)
        let micros: [Int64] = [0, -1, 1, 86_400_000_000 - 1, 86_400_000_000, -86_400_000_000, 1_704_112_496_000_000,
                               253_402_300_799_999_999, -62_135_596_800_000_000, .min, .max, .min + 1, .max - 1]
        let days: [Int64] = [0, -1, 1, 19_723, 2_932_896, -719_162, Int64(Int32.max), Int64(Int32.min)]
        for (type, values) in [(SQLType.timestamp, micros), (.date, days)] {
            var column = integers(&mixer, values)
            column.type = type
            for part in [RowFunction.year, .month, .day, .hour, .minute, .second] {
                #expect(expectSameResults(part, [column], type: .int) > rows * 9 / 10, "\(part) of \(type)")
            }
        }
    }

    @Test func roundMatchesTheRowPath() {
        var mixer = CellsRandom(seed: 5)
        var column = Column(type: .double, capacity: rows)
        let special: [Double] = [0, -0.0, 0.5, -0.5, 2.5, 2.675, 1.005, -1.005, 0.125, 0.045, 1e-300, 5e-324, -5e-324,
                                 1e300, .nan, .infinity, -.infinity, .greatestFiniteMagnitude, 1_099_511_627_775.5,
                                 1_099_511_627_776, 0.1 + 0.2, 1.0 / 3, 9_007_199_254_740_993]
        for _ in 0..<rows {
            switch mixer.below(8) {
            case 0: column.appendNull()
            case 1: column.append(mixer.pick(special))
            case 2: column.append(Double(bitPattern: mixer.next()))
            // Prices, and the ties of one more digit (x.xx5), both signs.
            case 3, 4: column.append(Double(Int(mixer.next() % 2_000_000) - 1_000_000) / 100)
            case 5: column.append(Double(Int(mixer.next() % 2_000_000) * 10 + 5) / 1000 * (mixer.below(2) == 0 ? 1 : -1))
            default: column.append(Double(mixer.next() % 1_000_000_000) / Double(1 << mixer.below(40)))
            }
        }
        for scale in 0...RowKernel.largestRoundingScale {
            let taken = expectSameResults(.round(scale: scale), [column], type: .double)
            // Small scales are the common case (prices); large ones leave more rows to the row path.
            if scale <= 4 { #expect(taken > rows / 2, "scale \(scale)") }
        }
        // Beyond that scale, and below 0, every row takes the row path.
        #expect(RowKernel(.round(scale: RowKernel.largestRoundingScale + 1), [column], type: .double) == nil)
        #expect(RowKernel(.round(scale: -1), [column], type: .double) == nil)
    }
}
