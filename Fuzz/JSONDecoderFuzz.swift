// libFuzzer entry point for the JSON record decoder: any bytes decode into one row of every
// column type, or are a malformed record with a reason; nothing traps and the columns stay
// aligned. Built by `make fuzz-libfuzzer` (Fuzz/build.sh), not by `swift build`.
@testable import CellKernel

let fuzzFields = [
    JSONFieldSpec(name: "n", type: .bigint), JSONFieldSpec(name: "i", type: .int), JSONFieldSpec(name: "d", type: .double),
    JSONFieldSpec(name: "s", type: .string), JSONFieldSpec(name: "b", type: .boolean),
    JSONFieldSpec(name: "ts", type: .timestamp), JSONFieldSpec(name: "dt", type: .date),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let decoder = JSONRecordDecoder(fields: fuzzFields)
    var columns = decoder.makeColumns()
    let outcome = decoder.decode(UnsafeRawBufferPointer(start: data, count: size), into: &columns)
    if case .malformed(let malformation) = outcome { _ = malformation.reason.count }
    let counts = Set(columns.map(\.count))
    if counts.count != 1 { fatalError("columns not aligned after a decode: \(counts)") }
    return 0
}
