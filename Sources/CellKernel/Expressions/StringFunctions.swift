/// translate, replace, upper, lower, concat, length: byte loops over UTF-8, with a table for
/// ASCII translations (the original notebook's `translate(value, '$,', '')`).
enum StringFunctions {
    static func apply(_ function: ScalarFunction, _ inputs: [Column], count: Int) -> Column {
        switch function {
        case .translate: return translate(inputs[0], inputs[1], inputs[2], count: count)
        case .replace: return replace(inputs, count: count)
        case .upper, .lower: return changeCase(inputs[0], upper: function == .upper, count: count)
        case .concat: return concat(inputs, count: count)
        case .length: return length(inputs[0], count: count)
        default: preconditionFailure("not a string function: \(function)")
        }
    }

    private static func strings(_ c: Column) -> ByteVector {
        guard case .bytes(let v) = c.data else { preconditionFailure("string column expected, found \(c.type)") }
        return v
    }

    static func translate(_ source: Column, _ from: Column, _ to: Column, count: Int) -> Column {
        let text = strings(source), f = strings(from), t = strings(to)
        var out = Column(type: .string, capacity: count)
        var cached: (String, String, [Int16]?)? = nil
        for i in 0..<count {
            if source.isNull(i) || from.isNull(i) || to.isNull(i) { out.appendNull(); continue }
            let key = (f[i], t[i])
            if cached == nil || cached!.0 != key.0 || cached!.1 != key.1 {
                cached = (key.0, key.1, asciiTable(from: key.0, to: key.1))
            }
            if let table = cached!.2 {
                out.withByteVector { vector in
                    vector.appendEmpty()
                    for byte in text.bytes[text.range(i)] {
                        let mapped = table[Int(byte)]
                        if mapped >= 0 { vector.appendToLast(byte: UInt8(mapped)) }
                    }
                }
                out.markLastValid()
            } else {
                out.append(translateCharacters(text[i], from: key.0, to: key.1))
            }
        }
        return out
    }

    /// -1 deletes, otherwise the replacement byte; nil when either side is not ASCII.
    private static func asciiTable(from: String, to: String) -> [Int16]? {
        guard from.utf8.allSatisfy({ $0 < 0x80 }), to.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        var table = (0..<256).map { Int16($0) }
        let replacement = Array(to.utf8)
        var seen = Set<UInt8>()
        for (index, byte) in from.utf8.enumerated() where seen.insert(byte).inserted {
            table[Int(byte)] = index < replacement.count ? Int16(replacement[index]) : -1
        }
        return table
    }

    private static func translateCharacters(_ text: String, from: String, to: String) -> String {
        let fromScalars = Array(from.unicodeScalars), toScalars = Array(to.unicodeScalars)
        var map: [Unicode.Scalar: Unicode.Scalar?] = [:]
        for (index, scalar) in fromScalars.enumerated() where map[scalar] == nil {
            map[scalar] = index < toScalars.count ? .some(toScalars[index]) : .some(nil)
        }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if let mapped = map[scalar] {
                if let mapped { result.append(mapped) }
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    static func replace(_ inputs: [Column], count: Int) -> Column {
        let text = strings(inputs[0]), search = strings(inputs[1])
        let replacement = inputs.count > 2 ? strings(inputs[2]) : nil
        var out = Column(type: .string, capacity: count)
        for i in 0..<count {
            if inputs.contains(where: { $0.isNull(i) }) { out.appendNull(); continue }
            // Byte matching: a valid UTF-8 needle can only match whole code points, which is
            // what Spark's UTF8String.replace matches (Swift's String would match characters).
            let haystack = Array(text.bytes[text.range(i)]), needle = Array(search.bytes[search.range(i)])
            let with = replacement.map { Array($0.bytes[$0.range(i)]) } ?? []
            guard !needle.isEmpty, needle.count <= haystack.count else {
                haystack.withUnsafeBytes { out.append(bytes: $0) }
                continue
            }
            var result: [UInt8] = []
            result.reserveCapacity(haystack.count)
            var at = 0
            while at < haystack.count {
                if at + needle.count <= haystack.count && haystack[at..<(at + needle.count)].elementsEqual(needle) {
                    result += with
                    at += needle.count
                } else {
                    result.append(haystack[at])
                    at += 1
                }
            }
            result.withUnsafeBytes { out.append(bytes: $0) }
        }
        return out
    }

    static func changeCase(_ source: Column, upper: Bool, count: Int) -> Column {
        let text = strings(source)
        var out = Column(type: .string, capacity: count)
        for i in 0..<count {
            if source.isNull(i) { out.appendNull(); continue }
            let bytes = text.bytes[text.range(i)]
            if bytes.allSatisfy({ $0 < 0x80 }) {
                out.withByteVector { vector in
                    vector.appendEmpty()
                    for b in bytes {
                        let isLower = b >= 0x61 && b <= 0x7A, isUpper = b >= 0x41 && b <= 0x5A
                        vector.appendToLast(byte: upper && isLower ? b - 32 : (!upper && isUpper ? b + 32 : b))
                    }
                }
                out.markLastValid()
            } else {
                out.append(upper ? text[i].uppercased() : text[i].lowercased())
            }
        }
        return out
    }

    static func concat(_ inputs: [Column], count: Int) -> Column {
        let vectors = inputs.map(strings)
        var out = Column(type: .string, capacity: count)
        for i in 0..<count {
            if inputs.contains(where: { $0.isNull(i) }) { out.appendNull(); continue }
            out.withByteVector { vector in
                vector.appendEmpty()
                for v in vectors {
                    v.withElement(i) { vector.appendToLast($0) }
                }
            }
            out.markLastValid()
        }
        return out
    }

    /// Characters, as Spark counts them (Unicode code points).
    static func length(_ source: Column, count: Int) -> Column {
        let text = strings(source)
        var out = [Int64](repeating: 0, count: count)
        for i in 0..<count {
            out[i] = Int64(text.bytes[text.range(i)].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) })
        }
        return Column(type: .int, data: .int64(out), validity: source.validity)
    }
}
