/// The Luhn (mod 10) check used by payment card numbers.
public enum Luhn {
    /// Whether `digits` (ASCII `0`–`9`, check digit last) passes the Luhn check.
    ///
    /// Empty input and any non-digit byte are invalid rather than skipped, so a stray separator
    /// cannot make a malformed number look valid.
    public static func isValid<C: Collection>(_ digits: C) -> Bool where C.Element == UInt8 {
        guard !digits.isEmpty else { return false }
        var sum = 0
        var doubled = false
        for byte in digits.reversed() {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return false }
            sum += weigh(Int(byte &- 48), doubled: doubled)
            doubled.toggle()
        }
        return sum % 10 == 0
    }

    /// The ASCII check digit that makes `payload` followed by it Luhn-valid.
    @inline(__always)
    static func checkDigit(_ payload: UnsafePointer<UInt8>, count: Int) -> UInt8 {
        var sum = 0
        var doubled = true  // the payload's last digit sits second from the right once completed
        var i = count - 1
        while i >= 0 {
            sum += weigh(Int(payload[i] &- 48), doubled: doubled)
            doubled.toggle()
            i -= 1
        }
        return UInt8((10 - sum % 10) % 10) + 48
    }

    @inline(__always)
    private static func weigh(_ d: Int, doubled: Bool) -> Int {
        guard doubled else { return d }
        let twice = d * 2
        return twice > 9 ? twice - 9 : twice
    }
}
