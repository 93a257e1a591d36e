import Foundation
@testable import TransactionGenerator

/// 2024-01-01T00:00:00Z, the anchors' default start.
let start2024: Int64 = 1_704_067_200_000

/// One generated message, with the positions of its JSON fields found once so that statistical
/// tests over large samples stay fast in debug builds.
struct Message: Sendable {
    var key: [UInt8]
    var value: [UInt8]
    var eventTimeMillis: Int64
    /// Byte ranges in `value` of each field's name and raw value (string contents without quotes,
    /// other values as written), in order of appearance; empty if the splitter failed.
    var fields: [FlatField]

    var keyText: String { String(decoding: key, as: UTF8.self) }
    var text: String { String(decoding: value, as: UTF8.self) }

    var names: [String] { fields.map { string($0.name) } }
    var values: [String] { fields.map { string($0.value) } }
    var quoted: [Bool] { fields.map(\.quoted) }

    /// The raw value of field number `i`, or "" if there is no such field.
    func value(at i: Int) -> String {
        i < fields.count ? string(fields[i].value) : ""
    }

    /// The raw value of the field called `name`. Looks at the field's place in its schema first,
    /// so lookups in big loops do not compare every name.
    subscript(_ name: String) -> String? {
        if let i = seedFieldNames.firstIndex(of: name) ?? extendedFieldNames.firstIndex(of: name),
           i < fields.count, string(fields[i].name) == name {
            return string(fields[i].value)
        }
        return fields.first { string($0.name) == name }.map { string($0.value) }
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: value[range], as: UTF8.self)
    }

    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(value))
        guard let dictionary = object as? [String: Any] else { throw SupportError("not a JSON object: \(text)") }
        return dictionary
    }
}

struct FlatField: Sendable {
    var name: Range<Int>
    var value: Range<Int>
    var quoted: Bool
}

struct SupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Splits a flat JSON object of the generators' escape-free layout (either separator style).
/// Anything it does not understand (escapes, nesting, stray bytes) yields `nil`, which the tests
/// report. It hops between quotes with `memchr` rather than looking at every byte, because
/// unoptimised test builds are slow per byte.
func splitFlatObject(_ bytes: [UInt8]) -> [FlatField]? {
    bytes.withUnsafeBufferPointer { buffer -> [FlatField]? in
        guard let base = buffer.baseAddress, buffer.count >= 2, base[0] == 0x7B, base[buffer.count - 1] == 0x7D,
              memchr(base, 0x5C, buffer.count) == nil  // no escapes
        else { return nil }
        let end = buffer.count - 1
        func nextQuote(from i: Int) -> Int? {
            guard i < end, let p = memchr(base + i, 0x22, end - i) else { return nil }
            return UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self) - base
        }
        func skipSpaces(_ i: Int) -> Int {
            var j = i
            while j < end && base[j] == 0x20 { j += 1 }
            return j
        }
        var fields: [FlatField] = []
        var i = skipSpaces(1)
        while true {
            guard base[i] == 0x22, let nameEnd = nextQuote(from: i + 1) else { return nil }
            let name = (i + 1)..<nameEnd
            i = nameEnd + 1
            guard i < end, base[i] == 0x3A else { return nil }
            i = skipSpaces(i + 1)
            guard i < end else { return nil }
            if base[i] == 0x22 {
                guard let valueEnd = nextQuote(from: i + 1) else { return nil }
                fields.append(FlatField(name: name, value: (i + 1)..<valueEnd, quoted: true))
                i = valueEnd + 1
            } else {
                let separator = memchr(base + i, 0x2C, end - i).map {
                    UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base
                } ?? end
                fields.append(FlatField(name: name, value: i..<separator, quoted: false))
                i = separator
            }
            if i == end { return fields }
            guard base[i] == 0x2C else { return nil }
            i = skipSpaces(i + 1)
        }
    }
}

/// Generates `count` messages with event times `start + i * step`. A message the splitter cannot
/// read gets no fields, which every test that looks at fields then reports.
func generate(_ schema: TransactionSchema, seed: UInt64?, count: Int, start: Int64 = start2024,
              stepMillis: Int64 = 20, utcOffsetSeconds: Int = 0) -> [Message] {
    var generator = CardTransactionGenerator(schema: schema, seed: seed)
    var key: [UInt8] = []
    var value: [UInt8] = []
    var messages: [Message] = []
    messages.reserveCapacity(count)
    for i in 0..<count {
        let time = start + Int64(i) * stepMillis
        generator.next(eventTimeMillis: time, utcOffsetSeconds: utcOffsetSeconds, key: &key, value: &value)
        messages.append(Message(key: key, value: value, eventTimeMillis: time, fields: splitFlatObject(value) ?? []))
    }
    return messages
}

let seedFieldNames = ["name", "bandeira", "credit_card", "value", "dia_compra", "horario_compra", "formato_captura"]
let extendedFieldNames = ["transaction_id", "card_number", "card_brand", "customer_name", "amount", "currency",
                          "merchant", "category", "city", "state", "status", "installments", "event_time"]

/// Large samples shared by several tests (built once, lazily, thread-safely).
let sampleSize = 50_000
let seedSample: [Message] = generate(.seed, seed: 20_240_101, count: sampleSize)
let extendedSample: [Message] = generate(.extended, seed: 20_240_101, count: sampleSize)

/// Collects per-message failures so a loop over 50,000 messages costs one `#expect`, and a failure
/// shows the first few offenders instead of thousands of lines.
struct Failures: CustomStringConvertible {
    private(set) var count = 0
    private var examples: [String] = []

    mutating func check(_ condition: Bool, _ example: @autoclosure () -> String) {
        guard !condition else { return }
        count += 1
        if examples.count < 5 { examples.append(example()) }
    }

    var isEmpty: Bool { count == 0 }
    var description: String { "\(count) failures, e.g. \(examples)" }
}

/// Pearson's chi-square statistic of observed counts against expected probabilities.
func chiSquare(_ counts: [Int], expected probabilities: [Double]) -> Double {
    let total = Double(counts.reduce(0, +))
    return zip(counts, probabilities).reduce(0) { sum, pair in
        let expected = total * pair.1
        let d = Double(pair.0) - expected
        return sum + d * d / expected
    }
}

/// Chi-square critical values at p = 0.0001, by degrees of freedom: a correct generator exceeds
/// them one time in 10,000, and the samples use fixed seeds, so a pass is stable.
let chiSquareCritical: [Int: Double] = [1: 15.14, 2: 18.42, 3: 21.11, 4: 23.51, 9: 33.72, 11: 37.33]

/// Renders what an internal `ByteWriter` routine writes.
func render(_ body: (inout ByteWriter) -> Void) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
        var writer = ByteWriter(buffer)
        body(&writer)
        return String(decoding: writer.written, as: UTF8.self)
    }
}

func isDigits<S: StringProtocol>(_ text: S) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}
