/// Writes each message's value as one line of a JSON-lines file.
struct FileRecordSink: RecordSink {
    private var stream: OutputStream

    init(path: String) throws {
        stream = try OutputStream(path: path)
    }

    mutating func write(key: [UInt8], value: [UInt8], id: UInt64) {
        stream.write(value)
        stream.write(CollectionOfOne(UInt8(ascii: "\n")))
    }

    mutating func idle() {
        stream.flush()
    }
}
