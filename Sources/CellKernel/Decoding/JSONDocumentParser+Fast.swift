import CByteScan

// The decoder's fast path: one straight pass over a well-formed document.
//
// Nearly every document a stream carries is a valid object. Reading it needs no error
// bookkeeping, so this pass reports failure as false and leaves every error, with its reason
// and offset, to the validating parser, which reads the document again from the start. The
// two accept exactly the same documents and fill the slots alike: this pass gives up at
// anything the other would report, and converts values with the same readers.
//
// It is written as one loop with its common steps inline (the bytes between two values in
// four loads, a skipped string sixteen bytes a step, a skipped number without a call),
// because calls and error paths, not the bytes, were most of a document's instructions.

extension JSONDocumentParser {
    /// Reads a whole document into the slots; false when the document needs the validating
    /// parser (it is malformed, or odd enough to be read more simply there), whose slots must
    /// then start over.
    @inline(__always)
    func parseWellFormed() -> Bool {
        let p = parseObject()
        return p >= 0 && (p == scanner.end || scanner.skipWhitespace(p) == scanner.end)
    }

    /// Reads the object at the start into the slots, as ``parseWellFormed()`` does; the offset
    /// just past its closing brace, whatever follows, or -1 where ``parseWellFormed()`` is false.
    @inline(__always)
    func parseObject() -> Int {
        let base = scanner.base
        let end = scanner.end
        let runCount = memos.count
        let runs = memos.runs
        var p = 0
        var position = 0
        while true {
            // At the end of the previous value, or the document's start: next comes the run up
            // to the next value (`{` or `,`, a key, `:`, whitespace between), or the object's end.
            var field: Int
            if position < runCount, p &+ JSONKeyMemo.wideSpan <= end,
               JSONKeyMemo.matchesWide(runs.unsafelyUnwrapped + position, base + p) {
                let run = runs.unsafelyUnwrapped + position
                field = run.pointee.field
                p &+= run.pointee.span
            } else {
                let runStart = p
                if p < end && base[p] <= 0x20 { p = scanner.skipWhitespace(p) }
                guard p < end else { return -1 }
                let opener = base[p]
                if position > 0 && opener == UInt8(ascii: "}") { return p &+ 1 }
                // `{}` and anything that is not an object are left to the validating parser.
                guard opener == (position == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")) else { return -1 }
                p &+= 1
                if p < end && base[p] <= 0x20 { p = scanner.skipWhitespace(p) }
                guard p < end, base[p] == UInt8(ascii: "\"") else { return -1 }
                guard let (found, keyEnd) = try? readKey(at: p, position: position) else { return -1 }
                field = found
                p = keyEnd
                if p < end && base[p] <= 0x20 { p = scanner.skipWhitespace(p) }
                guard p < end, base[p] == UInt8(ascii: ":") else { return -1 }
                p &+= 1
                if p < end && base[p] <= 0x20 { p = scanner.skipWhitespace(p) }
                if position < runCount {
                    runs.unsafelyUnwrapped[position].remember(base + runStart, span: p &- runStart, field: field)
                }
            }
            position &+= 1
            guard p < end else { return -1 }
            if base[p] <= 0x20 {
                // More whitespace before the value than the remembered run had.
                p = scanner.skipWhitespace(p)
                guard p < end else { return -1 }
            }
            let c = base[p]
            if field >= 0 {
                // The commonest requests, plain text and prices, are read here rather than
                // through readValue's calls; the rest, and their odd cases, go there.
                let info = lookup.info + field
                if info.pointee.nextSameName < 0 {
                    if info.pointee.kind == .string && c == UInt8(ascii: "\"") {
                        let close = scanner.stringStop(from: p &+ 1)
                        if close < end && base[close] == UInt8(ascii: "\"") {
                            setText(field, p &+ 1, close)
                            p = close &+ 1
                            continue
                        }
                    } else if info.pointee.kind == .double, let (value, next) = scanner.shortDecimal(at: p) {
                        setValue(field, value.bitPattern)
                        p = next
                        continue
                    }
                }
                guard let next = try? readValue(field: field, at: p) else { return -1 }
                var same = Int(lookup.info[field].nextSameName)
                while same >= 0 {
                    guard (try? readValue(field: same, at: p)) != nil else { return -1 }
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
            guard p >= 0 else { return -1 }
        }
    }

    /// Skips string contents from `start` (after the opening quote) to past the closing quote,
    /// sixteen bytes a step; an escape, a non-ASCII byte or a string's last few bytes hand over
    /// to the validating scan from there. -1 where that scan finds an error.
    @inline(__always)
    func skipString(from start: Int) -> Int {
        let p = scanner.stringStop(from: start)
        if p < scanner.end && scanner.base[p] == UInt8(ascii: "\"") { return p &+ 1 }
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
