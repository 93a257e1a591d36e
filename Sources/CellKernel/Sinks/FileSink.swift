import Foundation

/// Writes each micro-batch's rows to a new file in the folder `path`, as JSON lines or CSV
/// (Spark's file sinks, which only append). Options: `path` (required); for CSV, `header`
/// (default true) and `sep` (default `,`).
///
/// With a checkpoint the sink is exactly-once: batch N's file `part-N` is written whole or
/// not at all (flushed, renamed into place), then `_cells_metadata/N` lists the files of
/// batch N, as Spark's `_spark_metadata` log does. A batch run again after a crash replaces
/// both, so the folder never holds a batch twice; a reader that lists `_cells_metadata`
/// sees only batches the sink finished.
final class FileSink: QuerySink {
    enum Format: String, Sendable { case json, csv }

    private let format: Format
    private let folder: URL
    private let header: Bool
    private let separator: String
    /// Set by a checkpoint: writes are durable and logged in `_cells_metadata`.
    private var durable = false
    static let metadataFolder = "_cells_metadata"

    init(format: Format, options: [String: String]) throws {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        guard let path = lowered["path"] else {
            throw SinkError("the \(format) sink needs 'path', a folder for its files",
                            hint: "add OPTIONS ('path' = '/tmp/out') after USING \(format)")
        }
        try OptionValues.forSink {
            _ = try OptionValues.nonEmpty(path, option: "path", example: "/tmp/out")
        }
        self.format = format
        folder = URL(fileURLWithPath: path, isDirectory: true)
        header = try OptionValues.forSink { try OptionValues.boolean(lowered["header"] ?? "true", option: "header") }
        separator = lowered["sep"] ?? ","
        guard !separator.isEmpty, !separator.contains("\n"), !separator.contains("\"") else {
            throw SinkError("'sep' must be one or more characters other than a newline or '\"', not '\(separator)'", option: "sep")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw SinkError("cannot create the folder \(path): \(error.localizedDescription)", option: "path")
        }
    }

    var guarantee: DeliveryGuarantee { durable ? .exactlyOnce : .atLeastOnce }

    func attach(_ checkpoint: SinkCheckpoint) throws {
        do { try DurableFile.makeFolder(folder.path + "/" + Self.metadataFolder) } catch {
            throw SinkError("cannot create \(folder.path)/\(Self.metadataFolder): \(error)", option: "path")
        }
        durable = true
    }

    func write(_ result: ResultBatch) throws {
        let name = String(format: "part-%05lld.%@", result.batchId, format.rawValue)
        let file = folder.appendingPathComponent(name)
        guard result.count > 0 else {
            // An empty batch still finishes in the log, and a file an earlier attempt of
            // the same batch wrote (before a crash, with other rows) goes.
            if durable {
                DurableFile.remove(file.path)
                try log(result.batchId, files: [])
            }
            return
        }
        var text = ""
        let names = result.schema.fields.map(\.name)
        switch format {
        case .json:
            for row in 0..<result.count { text += JSONText.object(names: names, columns: result.columns, row: row) + "\n" }
        case .csv:
            // As Spark's CSV data source: nested columns have no CSV form.
            if let nested = result.schema.fields.first(where: { $0.type.isNested }) {
                throw SinkError("the csv sink cannot write column '\(nested.name)' of type \(nested.type)",
                                hint: "write it with to_json(\(nested.name)), or use the json sink")
            }
            if header { text += names.map(csvField).joined(separator: separator) + "\n" }
            for row in 0..<result.count {
                text += result.columns.map { $0.isNull(row) ? "" : csvField(JSONText.fileText($0, row)) }.joined(separator: separator) + "\n"
            }
        }
        do {
            if durable {
                try DurableFile.write(Array(text.utf8), to: file.path)
            } else {
                try text.write(to: file, atomically: true, encoding: .utf8)
            }
        } catch {
            throw SinkError("cannot write \(file.path): \(error)")
        }
        if durable { try log(result.batchId, files: [name]) }
    }

    /// `_cells_metadata/N`: the files of batch N, one name per line.
    private func log(_ batch: Int64, files: [String]) throws {
        let entry = "v1\n" + files.map { $0 + "\n" }.joined()
        let path = "\(folder.path)/\(Self.metadataFolder)/\(batch)"
        do { try DurableFile.write(Array(entry.utf8), to: path) } catch {
            throw SinkError("cannot write \(path): \(error)")
        }
    }

    private func csvField(_ text: String) -> String {
        // A carriage return ends a record for CSV readers as a newline does (scalars, as "\r\n" is
        // one Character that contains neither "\r" nor "\n" as a String); an empty string is
        // written "" so that it stays apart from NULL (nothing), as Spark's CSV writer does.
        guard text.isEmpty || text.contains(separator)
                || text.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Result rows as JSON objects (NULL fields left out, as Spark's JSON writer does).
enum JSONText {
    static func object(names: [String], columns: [Column], row: Int) -> String {
        var parts: [String] = []
        for (name, column) in zip(names, columns) where !column.isNull(row) {
            let value: String = switch column.data {
            case .int64 where column.type == .timestamp || column.type == .date: quoted(fileText(column, row))
            case .int64, .int128, .bool: Cast.text(column, row)
            case .double(let v): v[row].isFinite ? Cast.text(column, row) : quoted(Cast.text(column, row))
            case .bytes where column.type.isNested: column.nestedJSON(row) ?? "null"
            case .bytes: quoted(Cast.text(column, row))
            }
            parts.append(quoted(name) + ":" + value)
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A value as Spark's file and Kafka writers print it: as `CAST(x AS STRING)`, except
    /// timestamps, which they write in ISO 8601 with milliseconds and the zone.
    static func fileText(_ column: Column, _ row: Int) -> String {
        if column.type == .timestamp, case .int64(let values) = column.data {
            return TimeText.formatTimestampForFiles(values[row])
        }
        return Cast.text(column, row)
    }

    /// A JSON string literal, as nested values write theirs.
    static func quoted(_ text: String) -> String { NestedText.quoted(text) }
}
