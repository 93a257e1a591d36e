import Testing
@testable import CellKernel
import TransactionGenerator

/// `JSONDecodingContext.decodeLines` reads a line's object before knowing where the line ends,
/// with a newline as the end of the text. Whatever the buffer holds, that must give what
/// splitting it at newlines and decoding each non-blank line alone gives: the same rows, the
/// same malformed lines (where, and why), the same values.
@Suite struct JSONLinesInPlaceTests {
    static let fields = [JSONFieldSpec(name: "a", type: .string), JSONFieldSpec(name: "n", type: .bigint),
                         JSONFieldSpec(name: "x", type: .double), JSONFieldSpec(name: "o", type: .string)]

    /// The buffer split and decoded a line at a time: each line's cells, and its range and
    /// reason when malformed.
    static func alone(_ text: [UInt8]) -> (rows: [[JSONCell]], malformed: [(Range<Int>, String)]) {
        let decoder = JSONRecordDecoder(fields: fields)
        var rows: [[JSONCell]] = [], malformed: [(Range<Int>, String)] = []
        var start = 0
        while start < text.count {
            var newline = start
            while newline < text.count && text[newline] != 0x0A { newline += 1 }
            var end = newline
            if end > start && text[end - 1] == 0x0D { end -= 1 }
            if text[start..<end].contains(where: { $0 > 0x20 }) {
                var columns = decoder.makeColumns()
                let outcome = Array(text[start..<end]).withUnsafeBytes { decoder.decode($0, into: &columns) }
                rows.append(columns.map { jsonCell($0, 0) })
                if case .malformed(let why) = outcome { malformed.append((start..<end, why.description)) }
            }
            start = newline + 1
        }
        return (rows, malformed)
    }

    /// The buffer through one context, as a file lane reads it: on past each malformed line,
    /// at most `maxRows` rows a call.
    static func inPlace(_ text: [UInt8], maxRows: Int = 7) -> (rows: [[JSONCell]], malformed: [(Range<Int>, String)]) {
        let decoder = JSONRecordDecoder(fields: fields)
        let context = JSONDecodingContext(decoder)
        var columns = decoder.makeColumns()
        var malformed: [(Range<Int>, String)] = []
        text.withUnsafeBufferPointer { buffer in
            var next = 0
            while next < buffer.count {
                let progress = context.decodeLines(buffer.baseAddress!, next..<buffer.count, maxRows: maxRows, into: &columns)
                if let (line, why) = progress.malformed { malformed.append((line, why.description)) }
                #expect(progress.next > next, "no progress at \(next)")
                if progress.next <= next { return }
                next = progress.next
            }
        }
        let count = columns.first?.count ?? 0
        return ((0..<count).map { row in columns.map { jsonCell($0, row) } }, malformed)
    }

    static func check(_ text: String, _ comment: Comment? = nil) {
        let bytes = Array(text.utf8)
        let expected = alone(bytes), got = inPlace(bytes)
        #expect(got.rows == expected.rows, comment)
        #expect(got.malformed.map(\.0) == expected.malformed.map(\.0), comment)
        #expect(got.malformed.map(\.1) == expected.malformed.map(\.1), comment)
    }

    @Test func objectsBrokenAcrossLinesAreTwoMalformedLines() {
        let text = #"{"a":"p","n":1}"# + "\n" + #"{"a":"q","n":"# + "\n" + #"2}"# + "\n" + #"{"a":"r","o":{"k":"# + "\n"
            + #"[1]}}"# + "\n" + #"{"a":"s","n":3}"#
        Self.check(text)
        let got = Self.inPlace(Array(text.utf8))
        #expect(got.rows.count == 6)
        #expect(got.malformed.count == 4)
        #expect(got.rows.first == [.text("p"), .int(1), .null, .null])
        #expect(got.rows.last == [.text("s"), .int(3), .null, .null])
    }

    @Test func lineEndsBlankLinesAndWhatFollowsAnObject() {
        let cases = [
            #"{"a":"p","n":1}"# + "\r\n" + #"{"a":"q","n":2}"# + "\r\n",
            #"{"a":"p"}"# + "\n\n  \n\t\r\n" + #"{"a":"q"}"# + "\n",
            #"{"a":"p"} "# + "\n" + #" {"a":"q"}"# + "\n" + #"{"a":"r"}x"# + "\n" + #"{"a":"s"}}"#,
            #"{"a":"p"}"# + "\r" + #"{"a":"q"}"# + "\n" + #"{"a":"r"}"# + "\r",
            #"{"a": "p", "n": 1, "x": 1.5}"# + "\n" + #"{"a" :"q" ,"n""# + "\t" + #":2}"# + "\n",
            #"{}"# + "\n" + #"{"a":"p","o":{"deep":[1,{"k":null}],"s":"}\n"}}"# + "\n" + #"{"a":"q"}"#,
            #"{"a":"p\"# + "\n" + #"q"}"# + "\n" + #"{"a":"é\u00e9","n":-0,"x":1e308}"#,
            #"{"a":"p","n":1}"#,
            "\n\n",
            "",
        ]
        for text in cases { Self.check(text, "\(text.debugDescription)") }
        // CRLF lines are two rows, with the `\r` no part of either.
        #expect(Self.inPlace(Array(cases[0].utf8)).rows == [[.text("p"), .int(1), .null, .null], [.text("q"), .int(2), .null, .null]])
    }

    /// Generated lines (with the key memo primed by repeats), cut and joined at random:
    /// newlines inside values, between tokens, doubled, after spaces, before and after `\r`.
    @Test func randomBuffersReadAsTheirLinesAlone() {
        var random = CellsRandom(seed: 15)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let values = [#""p""#, #""q r""#, "12", "-7", "1.25", "null", "true", #"{"k":[1,2]}"#, #""\u0041\n""#, #""é""#]
        let separators = ["", "", "", " ", "\t", "\n", "\r\n", "\r"]
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<(1 + below(12)) {
                let keys = ["a", "n", "x", "o", "z"].shuffled(using: &random).prefix(1 + below(5))
                var line = "{" + keys.map { #""\#($0)":"# + values[below(values.count)] }.joined(separator: ",") + "}"
                if below(8) == 0 {
                    // A newline, or a stray byte, somewhere inside.
                    let cut = line.index(line.startIndex, offsetBy: below(line.count))
                    line.insert(contentsOf: below(2) == 0 ? "\n" : " ", at: cut)
                }
                text += line + separators[below(separators.count)] + "\n"
            }
            if below(2) == 0 { text.removeLast() }
            Self.check(text, "\(text.debugDescription)")
        }
    }
}
