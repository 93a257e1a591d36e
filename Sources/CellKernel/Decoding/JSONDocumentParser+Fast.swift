// The decoder's fast path: one straight pass over a well-formed document.
//
// Nearly every document a stream carries is a valid object. Reading it needs no error
// bookkeeping, so this pass reports failure as false and leaves every error, with its reason
// and offset, to the validating parser, which reads the document again from the start. The
// two accept exactly the same documents and fill the slots alike: this pass gives up at
// anything the other would report, and converts values with the same readers.
//
// It is written as one loop with its common steps inline (a remembered key in four loads, a
// skipped string eight bytes a step, a skipped number without a call), because calls and
// error paths, not the bytes, were most of a document's instructions.

extension JSONDocumentParser {
    /// Reads a whole document into the slots; false when the document needs the validating
    /// parser (it is malformed, or odd enough to be read more simply there), whose slots must
    /// then start over.
    @inline(__always)
    func parseWellFormed() -> Bool {
        let base = scanner.base
        let end = scanner.end
        var p = 0
        if end > 0 && base[0] <= 0x20 { p = scanner.skipWhitespace(0) }
        guard end - p >= 2, base[p] == UInt8(ascii: "{") else { return false }
        p &+= 1
        if base[p] <= 0x20 {
            p = scanner.skipWhitespace(p)
            guard p < end else { return false }
        }
        guard base[p] == UInt8(ascii: "\"") else { return false }
        let memoCount = memos.count
        let memoBase = memos.base
        var position = 0
        while true {
            // At a key's opening quote.
            let keyStart = p &+ 1
            var field: Int
            if position < memoCount, keyStart &+ JSONKeyMemo.wideSpan <= end,
               memoBase.unsafelyUnwrapped[position].matchesWide(base + keyStart) {
                let memo = memoBase.unsafelyUnwrapped + position
                field = memo.pointee.field
                p = keyStart &+ memo.pointee.length &+ 1
            } else {
                guard let (found, keyEnd) = try? readKey(at: p, position: position) else { return false }
                field = found
                p = keyEnd
            }
            position &+= 1
            guard p < end else { return false }
            if base[p] != UInt8(ascii: ":") {
                p = scanner.skipWhitespace(p)
                guard p < end, base[p] == UInt8(ascii: ":") else { return false }
            }
            p &+= 1
            guard p < end else { return false }
            if base[p] <= 0x20 {
                p = scanner.skipWhitespace(p)
                guard p < end else { return false }
            }
            let c = base[p]
            if field >= 0 {
                guard let next = try? readValue(field: field, at: p) else { return false }
                var same = Int(lookup.info[field].nextSameName)
                while same >= 0 {
                    guard (try? readValue(field: same, at: p)) != nil else { return false }
                    same = Int(lookup.info[same].nextSameName)
                }
                p = next
            } else if c == UInt8(ascii: "\"") {
                p = skipString(from: p &+ 1)
            } else if JSONScanner.isDigit(c) || c == UInt8(ascii: "-") {
                p = scanner.numberEnd(at: p)
            } else {
                p = skipOther(at: p)
            }
            guard p >= 0, p < end else { return false }
            var separator = base[p]
            if separator <= 0x20 {
                p = scanner.skipWhitespace(p)
                guard p < end else { return false }
                separator = base[p]
            }
            p &+= 1
            if separator == UInt8(ascii: ",") {
                guard p < end else { return false }
                if base[p] != UInt8(ascii: "\"") {
                    p = scanner.skipWhitespace(p)
                    guard p < end, base[p] == UInt8(ascii: "\"") else { return false }
                }
                continue
            }
            guard separator == UInt8(ascii: "}") else { return false }
            return p == end || scanner.skipWhitespace(p) == end
        }
    }

    /// Skips string contents from `start` (after the opening quote) to past the closing quote,
    /// eight bytes a step; an escape or a non-ASCII byte hands over to the validating scan
    /// from there. -1 where that scan finds an error.
    @inline(__always)
    func skipString(from start: Int) -> Int {
        let base = scanner.base
        let end = scanner.end
        var p = start
        while p &+ 8 <= end {
            let m = JSONScanner.stringStopMask(UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
            if m != 0 {
                p &+= m.trailingZeroBitCount &>> 3
                if base[p] == UInt8(ascii: "\"") { return p &+ 1 }
                break
            }
            p &+= 8
        }
        return (try? scanner.scanString(from: p).end) ?? -1
    }

    /// Skips a literal or a container nobody requested; -1 for anything else (the numbers
    /// Jackson reads that JSON does not, such as `NaN`, go to the validating parser).
    func skipOther(at p: Int) -> Int {
        switch scanner.base[p] {
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return (try? scanner.skipLiteral(at: p)) ?? -1
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return (try? scanner.skipContainer(from: p, levelsLeft: JSONScanner.maximumDepth - 1)) ?? -1
        default:
            return -1
        }
    }
}
