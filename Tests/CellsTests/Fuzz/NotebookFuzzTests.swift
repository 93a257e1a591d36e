import Foundation
import Testing
import TransactionGenerator

/// The real `cells run FILE --all --trigger available-now` on mutated copies of the shipped
/// notebooks (over a file source instead of Kafka): each exits 0, 2 (with `file:line:col` on
/// stderr) or 3, within a deadline, and never dies of a signal.
///
/// The in-process fuzz suite (CellKernelTests' FuzzTests) runs thousands of cases; this part
/// checks what only the process shows: the exit status and the message on stderr.
/// `FUZZ_NOTEBOOKS` sets how many notebooks (default 100).
@Suite struct NotebookFuzzTests {
    static let count = ProcessInfo.processInfo.environment["FUZZ_NOTEBOOKS"].flatMap(Int.init) ?? 100

    /// Seeded: the same notebooks on every run.
    struct Random {
        var base: CellsRandom
        init(state: UInt64) { base = CellsRandom(seed: state) }
        mutating func below(_ n: Int) -> Int { Int(base.next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
    }


    static let insertions = [
        "(", ")", ",", ";", "'", "`", "NULL", "NOT", "CASE", "END", "SELECT", "FROM", "GROUP BY", "WHERE", "AS", "*",
        "9223372036854775807", "-9223372036854775808", "1e308", "99999999999999999999999999999999999999", "''",
        "'1 microsecond'", "CAST(", "window(", "count(", "+", "||", "AND", "--", "/*", "${X", "\u{0}", "é", "\n",
        String(repeating: "(", count: 3000), String(repeating: "NOT ", count: 200), String(repeating: "n + ", count: 2000),
    ]

    /// A notebook's text, read from a file instead of Kafka, with a few token changes.
    static func mutate(_ text: String, _ random: inout Random) -> String {
        var tokens: [String] = []
        var word = ""
        for c in text {
            if c.isLetter || c.isNumber || c == "_" { word.append(c) } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                tokens.append(String(c))
            }
        }
        if !word.isEmpty { tokens.append(word) }
        for _ in 0..<(1 + random.below(3)) {
            let i = random.below(tokens.count)
            switch random.below(4) {
            case 0: tokens.remove(at: i)
            case 1: tokens.insert(tokens[i], at: i)
            case 2: tokens.swapAt(i, random.below(tokens.count))
            default: tokens.insert(" " + random.pick(insertions) + " ", at: i)
            }
        }
        return tokens.joined()
    }

    @Test func deepNestingIsAStatementErrorNotACrash() throws {
        // Used to overflow the stack (exit 139): now exit 2 at the level too many.
        let path = temporaryPath("deep.cells")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        try "-- %% one\nCREATE SOURCE f USING file OPTIONS ('path' = '/nonexistent');\n-- %% two\nSELECT \(deep) AS x;\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let run = try cells("run", path, "--all", timeout: .seconds(60))
        #expect(run.status == 2, "\(run.stderr.prefix(500))")
        #expect(run.stderr.contains("\(path):4:136: error: expression nested too deeply (more than 128 levels"), "\(run.stderr.prefix(500))")
        #expect(run.stderr.utf8.count < 5_000, "the echoed line is cut")
    }

    @Test func mutatedNotebooksExitWithAStatus() throws {
        let folder = temporaryPath("notebook-fuzz")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = "\(folder)/data.jsonl"
        try ([#"{"card_brand":"Visa","amount":12.5,"status":"declined","card_number":"1","customer_name":"A","event_time":"2024-01-01T00:00:10Z","formato_captura":"chip","value":"$1,234.50"}"#,
              #"{"card_brand":null,"amount":1e308,"status":"declined","card_number":"1","event_time":"9999-12-31T23:59:59Z","value":"x"}"#,
              #"{"card_brand":"Visa","amount":"#, "[1]", String(repeating: "[", count: 100_000), ""].joined(separator: "\n"))
            .write(toFile: data, atomically: true, encoding: .utf8)
        let notebooks = try ["work", "windows", "alerts"].map { name in
            var text = try String(contentsOfFile: notebookPath(name + ".cells"), encoding: .utf8)
            text = text.replacingOccurrences(of: #"USING kafka OPTIONS \([^;]*?'subscribe'[^;]*?\);"#,
                                             with: "USING file OPTIONS ('path' = '\(data)');", options: .regularExpression)
            text = text.replacingOccurrences(of: #"USING kafka OPTIONS \([^;]*?\);"#, with: "USING console;", options: .regularExpression)
            return text
        }
        var random = Random(state: 2026)
        var statuses: [Int32: Int] = [:]
        for index in 0..<Self.count {
            let original = notebooks[index % notebooks.count]
            // The first of each notebook runs unchanged: the baseline must succeed.
            let text = index < notebooks.count ? original : Self.mutate(original, &random)
            let path = "\(folder)/case-\(index).cells"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let run = try cells("run", path, "--all", "--trigger", "available-now", "--timeout", "10", timeout: .seconds(60))
            statuses[run.status, default: 0] += 1
            #expect([0, 2, 3].contains(run.status), "case \(index) exited \(run.status):\n\(run.stderr.suffix(2000))\n--- \(path)\n\(text.prefix(3000))")
            if index < notebooks.count { #expect(run.status == 0, "unchanged notebook \(index): \(run.stderr.suffix(1000))") }
            if run.status == 2 {
                #expect(run.stderr.contains("\(path):"), "case \(index): no file:line:col in \(run.stderr.prefix(500))")
                let place = run.stderr.range(of: #"case-\d+\.cells:\d+:\d+"#, options: .regularExpression)
                #expect(place != nil, "case \(index): \(run.stderr.prefix(500))")
            }
        }
        print("notebook fuzz: \(Self.count) runs of cells: \(statuses.sorted { $0.key < $1.key }.map { "exit \($0.key) × \($0.value)" }.joined(separator: ", "))")
    }
}
