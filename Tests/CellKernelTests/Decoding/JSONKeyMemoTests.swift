import Testing
@testable import CellKernel

/// The key memo (keys recognised by position from the previous document) must never change a
/// result: documents decoded in a stream through one context equal documents decoded alone.
@Suite struct JSONKeyMemoTests {
    static let fields = [JSONFieldSpec(name: "a", type: .string), JSONFieldSpec(name: "ab", type: .bigint),
                         JSONFieldSpec(name: "a_key_longer_than_twenty_four_bytes", type: .string),
                         JSONFieldSpec(name: "sixteen_bytes_kk", type: .double), JSONFieldSpec(name: "é", type: .string)]

    /// Keys that share prefixes, swap places, are escaped, too long to memoise, cut off at
    /// the document's end, or differ from the remembered key only in the last or middle byte.
    static let documents = [
        #"{"a":"x","ab":1,"a_key_longer_than_twenty_four_bytes":"long","sixteen_bytes_kk":1.5,"é":"e"}"#,
        #"{"a":"y","ab":2,"a_key_longer_than_twenty_four_bytes":"long2","sixteen_bytes_kk":2.5,"é":"f"}"#,
        #"{"ab":3,"a":"z","sixteen_bytes_kk":3.5,"a_key_longer_than_twenty_four_bytes":"l3"}"#,
        #"{"ab":4,"a":"w","sixteen_bytes_kX":9,"sixteen_bytes_kk":4.5}"#,
        #"{"ab":5,"\u0061":"escaped","sixteen_bytes_kk":5.5}"#,
        #"{"ab":6,"a":"v","sixteen_bytes_kk":6.5}"#,
        #"{"ac":7,"a":"u","sixteen_bytes_kk":7.5}"#,
        #"{"ab":8,"a":"t","sixteen_bytes_Xk":0,"sixteen_bytes_kk":8.5}"#,
        #"{"ab":9,"a"#,
        #"{"ab":10,"a":"s","sixteen_bytes_kk":10.5,"é":"g"}"#,
        #"{"ab":11,"b":"r","sixteen_bytes_kk":11.5,"e":"h"}"#,
        #"{"ab":12,"a":"q","sixteen_bytes_kk":"NaN","é":"i"}"#,
        #"{"ab":13,"a":"p","sixteen_bytes_kk":"oops","é":"j"}"#,
        #"{"ab":14,"a":"o","sixteen_bytes_kk":14.5,"é":"k"}"#,
        // Spaced as Python's json.dumps writes, then spaced otherwise, then broken between keys.
        #"{"ab": 15, "a": "n", "sixteen_bytes_kk": 15.5}"#,
        #"{"ab": 16, "a": "m", "sixteen_bytes_kk": 16.5}"#,
        #"{"ab":  17,  "a" : "l" , "sixteen_bytes_kk":17.5}"#,
        #" {"ab":18,"a":"k","sixteen_bytes_kk":18.5} "#,
        #"{"ab":19,"a":"j","sixteen_bytes_kk":19.5}x"#,
        #"{"ab":20,"a":"i","sixteen_bytes_kk":20.5,}"#,
        #"{"ab":21,"a":"h""sixteen_bytes_kk":21.5}"#,
        #"{"ab":22,"a":"g","sixteen_bytes_kk"21.5}"#,
        #"{}"#,
        #"{"ab":23,"a":"f","sixteen_bytes_kk":23.5}"#,
    ]

    func cells(_ columns: [Column], row: Int) -> [JSONCell] { columns.map { jsonCell($0, row) } }

    @Test func wideMatchesAreTheRememberedBytes() {
        // Every span, bytes equal to the remembered ones or differing in one byte, inside the
        // span (no match) or past it (still a match).
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
        for span in 1...JSONKeyMemo.wideSpan {
            for round in 0..<40 {
                let remembered = (0..<64).map { _ in UInt8(truncatingIfNeeded: next()) }
                var seen = remembered
                let place = Int(next() % 40)
                if round > 0 && place < 32 { seen[place] ^= UInt8(1 << (next() % 8)) }
                let memo = UnsafeMutablePointer<JSONKeyMemo>.allocate(capacity: 1)
                defer { memo.deallocate() }
                memo.initialize(to: JSONKeyMemo())
                remembered.withUnsafeBufferPointer { memo.pointee.remember($0.baseAddress!, span: span, field: 3) }
                // The definition: the first `span` bytes are the remembered ones.
                let reference = seen.prefix(span) == remembered.prefix(span)
                let bytewise = seen.withUnsafeBufferPointer { JSONKeyMemo.matchesWide(memo, $0.baseAddress!) }
                #expect(reference == bytewise, "span \(span), round \(round)")
                #expect(bytewise == !(round > 0 && place < span), "span \(span), round \(round)")
            }
        }
        let empty = UnsafeMutablePointer<JSONKeyMemo>.allocate(capacity: 1)
        defer { empty.deallocate() }
        empty.initialize(to: JSONKeyMemo())
        #expect(!JSONKeyMemo.matchesWide(empty, Array(repeating: UInt8(0), count: 32)))
    }

    @Test func streamedDocumentsDecodeAsIfAlone() {
        let decoder = JSONRecordDecoder(fields: Self.fields)
        let context = JSONDecodingContext(decoder)
        var streamed = decoder.makeColumns()
        var outcomes: [JSONDecodeOutcome] = []
        // Twice over, so every document also follows a different one than the first time.
        for document in Self.documents + Self.documents.reversed() {
            outcomes.append(Array(document.utf8).withUnsafeBytes { context.decode($0, into: &streamed) })
        }
        for (row, document) in (Self.documents + Self.documents.reversed()).enumerated() {
            var alone = decoder.makeColumns()
            let outcome = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &alone) }
            #expect(outcomes[row] == outcome, "\(document)")
            #expect(cells(streamed, row: row) == cells(alone, row: 0), "\(document)")
        }
        #expect(cells(streamed, row: 1) == [.text("y"), .int(2), .text("long2"), .double(2.5), .text("f")])
        #expect(cells(streamed, row: 3) == [.text("w"), .int(4), .null, .double(4.5), .null])
        #expect(cells(streamed, row: 4) == [.text("escaped"), .int(5), .null, .double(5.5), .null])
        #expect(cells(streamed, row: 6) == [.text("u"), .null, .null, .double(7.5), .null])
        #expect(cells(streamed, row: 10) == [.null, .int(11), .null, .double(11.5), .null])
        #expect(cells(streamed, row: 16) == [.text("l"), .int(17), .null, .double(17.5), .null])
        #expect(outcomes[14...23].map { $0 == .ok } == [true, true, true, true, false, false, false, false, true, true])
    }

    @Test func linesDecodeLikeDocumentsAlone() {
        let decoder = JSONRecordDecoder(fields: Self.fields)
        let text = (Self.documents + Self.documents).joined(separator: "\n")
        var lines = decoder.makeColumns()
        let rows = Array(text.utf8).withUnsafeBytes { decoder.decodeLines($0, into: &lines) }
        #expect(rows == Self.documents.count * 2)
        for (row, document) in (Self.documents + Self.documents).enumerated() {
            var alone = decoder.makeColumns()
            _ = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &alone) }
            #expect(cells(lines, row: row) == cells(alone, row: 0), "\(document)")
        }
    }
}
