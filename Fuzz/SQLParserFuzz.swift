// libFuzzer entry point for the SQL parser: any bytes, read as a script, parse or fail with an
// SQLError; nothing traps. Built by `make fuzz-libfuzzer` (Fuzz/build.sh), not by `swift build`.
@testable import CellKernel

@_cdecl("LLVMFuzzerTestOneInput")
public func sqlParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let statements = try SQLParser.parseScript(text, environment: ["X": "1"])
        // Printing walks every tree the parser accepted: deep ones must not overflow either.
        for statement in statements { _ = statement.text.count }
    } catch {
        _ = error.rendered(source: text, file: "fuzz.sql")
    }
    return 0
}
