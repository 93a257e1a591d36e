import Foundation
import Testing

/// The folders of Sources/CellKernel form layers: a folder may use what the folders below it
/// declare, never what the folders above it declare. The scan is textual (top-level declarations
/// of each folder, and the identifiers other folders' code mentions, comments and string
/// literals left out), so it sees every use by name; it cannot see an extension member used
/// without naming its type, which is why the layers are also kept by review.
@Suite("Folder layering")
struct LayeringTests {
    /// Lowest first; a folder may depend only on folders of a lower rank.
    static let layers: [String: Int] = [
        "Types": 0,
        "SQL": 1, "Decoding": 1,
        "Formatting": 2, "Notebook": 2,
        "Expressions": 3,
        "Planning": 4, "Charts": 4,
        "Operators": 5,
        "Backend": 6,
        "Sources": 7,
        "Sinks": 8,
        "Connectors": 9,
        "Checkpoint": 10,
        "Runtime": 11,
        "Catalog": 12,
    ]

    /// Upward edges allowed, each with why; none today. Nothing may point upwards.
    static let knownUpwardEdges: [Edge: String] = [:]

    struct Edge: Hashable, CustomStringConvertible {
        var from: String
        var to: String
        var description: String { "\(from) -> \(to)" }
    }

    @Test("every folder has a layer")
    func everyFolderHasALayer() throws {
        let graph = try Self.graph()
        let unplaced = graph.folders.filter { Self.layers[$0] == nil }
        #expect(unplaced.isEmpty, "give these folders a layer in LayeringTests.layers: \(unplaced)")
    }

    @Test("the scan sees declarations and uses")
    func scanSeesDeclarationsAndUses() throws {
        let graph = try Self.graph()
        #expect(graph.owner["Batch"] == "Types")
        #expect(graph.owner["SQLParser"] == "SQL")
        #expect(graph.owner["BoundExpression"] == "Expressions")
        #expect(graph.owner["LogicalPlan"] == "Planning")
        #expect(graph.owner["BatchOperator"] == "Operators")
        #expect(graph.owner["CellSession"] == "Catalog")
        #expect(graph.uses[Edge(from: "Planning", to: "Expressions")]?.isEmpty == false)
        #expect(graph.uses[Edge(from: "Catalog", to: "Runtime")]?.isEmpty == false)
    }

    @Test("the folder graph has no cycle")
    func noCycle() throws {
        let graph = try Self.graph()
        let edges = Set(graph.uses.keys).subtracting(Self.knownUpwardEdges.keys)
        if let cycle = Self.cycle(in: edges) {
            let steps = zip(cycle, cycle.dropFirst()).map { Edge(from: $0, to: $1) }
            let detail = steps.map { "\($0) (\(graph.evidence($0)))" }.joined(separator: "\n  ")
            Issue.record("folders depend on each other in a cycle \(cycle.joined(separator: " -> ")):\n  \(detail)")
        }
    }

    @Test("every dependency points down the layers")
    func dependenciesPointDown() throws {
        let graph = try Self.graph()
        for edge in graph.uses.keys.sorted(by: { $0.description < $1.description }) {
            guard let from = Self.layers[edge.from], let to = Self.layers[edge.to] else { continue }
            if from > to || Self.knownUpwardEdges[edge] != nil { continue }
            Issue.record("\(edge) points up or sideways the layers (\(graph.evidence(edge))): move the declaration down or the use up")
        }
    }

    @Test("intended independences")
    func intendedIndependences() throws {
        let graph = try Self.graph()
        func expectNone(_ from: String, _ targets: [String]) {
            for to in targets {
                let edge = Edge(from: from, to: to)
                guard Self.knownUpwardEdges[edge] == nil else { continue }
                #expect(graph.uses[edge] == nil, "\(edge): \(graph.evidence(edge))")
            }
        }
        let all = graph.folders
        expectNone("Types", all)
        expectNone("SQL", all.filter { $0 != "Types" })
        expectNone("Decoding", all.filter { $0 != "Types" })
        expectNone("Expressions", ["Planning", "Operators", "Runtime", "Catalog", "Sinks", "Sources", "Notebook"])
        expectNone("Operators", ["Runtime", "Catalog", "Sinks", "Sources"])
        // Operators may read plan nodes (aggregation, sort keys, window specs), not bind.
        let binding = (graph.uses[Edge(from: "Operators", to: "Planning")] ?? []).filter { $0.name.hasSuffix("Binder") }
        #expect(binding.isEmpty, "Operators names the binder: \(binding.map(\.description).sorted())")
        expectNone("Sources", ["Sinks", "Runtime", "Catalog"])
    }

    // MARK: The scan

    /// One mention of a name: the file that mentions it.
    struct Use: Hashable, CustomStringConvertible {
        var file: String
        var name: String
        var description: String { "\(file): \(name)" }
    }

    struct Graph {
        var folders: [String]
        /// The folder each top-level name is declared in.
        var owner: [String: String]
        /// For each folder-to-folder edge, the names that make it.
        var uses: [Edge: Set<Use>]

        func evidence(_ edge: Edge) -> String {
            let names = (uses[edge] ?? []).map(\.description).sorted()
            return names.prefix(6).joined(separator: ", ") + (names.count > 6 ? ", ..." : "")
        }
    }

    static func graph() throws -> Graph {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CellKernel")
        let fileManager = FileManager.default
        let folders = try fileManager.contentsOfDirectory(atPath: root.path).filter {
            var isDirectory: ObjCBool = false
            return fileManager.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
        var code: [(folder: String, file: String, text: String)] = []
        for folder in folders {
            let directory = root.appendingPathComponent(folder)
            for file in try fileManager.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".swift") {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                code.append((folder, file, stripCommentsAndStrings(text)))
            }
        }
        var owner: [String: String] = [:]
        for item in code {
            for name in topLevelDeclarations(item.text) { owner[name] = item.folder }
        }
        var uses: [Edge: Set<Use>] = [:]
        for item in code {
            for name in identifiers(item.text) {
                guard let folder = owner[name], folder != item.folder else { continue }
                uses[Edge(from: item.folder, to: folder), default: []].insert(Use(file: "\(item.folder)/\(item.file)", name: name))
            }
        }
        #expect(!owner.isEmpty, "no declarations found under \(root.path)")
        return Graph(folders: folders, owner: owner, uses: uses)
    }

    /// The text with comments and string literals (including interpolations) blanked, so names
    /// in prose and messages do not count as uses.
    static func stripCommentsAndStrings(_ text: String) -> String {
        let b = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        func at(_ j: Int, _ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard j + n <= b.count else { return false }
            for k in 0..<n where b[j + k] != s.utf8Start[k] { return false }
            return true
        }
        while i < b.count {
            if at(i, "//") {
                while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
            } else if at(i, "/*") {
                var depth = 0
                repeat {
                    if at(i, "/*") { depth += 1; i += 2 } else if at(i, "*/") { depth -= 1; i += 2 } else { i += 1 }
                } while i < b.count && depth > 0
                out.append(UInt8(ascii: " "))
            } else if at(i, "\"\"\"") {
                i += 3
                while i < b.count, !at(i, "\"\"\"") { i += at(i, "\\") ? 2 : 1 }
                i += 3
                out.append(contentsOf: Array("\"\"".utf8))
            } else if b[i] == UInt8(ascii: "\"") {
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\n") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                out.append(contentsOf: Array("\"\"".utf8))
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Types, type aliases and free functions declared at the top level (unindented lines).
    static func topLevelDeclarations(_ text: String) -> [String] {
        let modifiers: Set<Substring> = ["public", "internal", "private", "fileprivate", "final", "indirect", "nonisolated"]
        let kinds: Set<Substring> = ["struct", "class", "enum", "protocol", "actor", "typealias", "func"]
        var names: [String] = []
        for line in text.split(separator: "\n") where line.first.map({ !$0.isWhitespace }) == true {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "<" || $0 == ":" || $0 == "(" || $0 == "{" || $0 == "=" })
            var k = 0
            while k < words.count, modifiers.contains(words[k]) || words[k].hasPrefix("@") { k += 1 }
            if k + 1 < words.count, kinds.contains(words[k]), let first = words[k + 1].first, first.isLetter || first == "_" {
                names.append(String(words[k + 1]))
            }
        }
        return names
    }

    /// Every identifier of the code, except member names after a `.` (a member named like a
    /// type of another folder is not a use of it).
    static func identifiers(_ text: String) -> Set<String> {
        var names = Set<String>()
        let b = Array(text.utf8)
        func isHead(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F }
        func isBody(_ c: UInt8) -> Bool { isHead(c) || (c >= 0x30 && c <= 0x39) }
        var i = 0
        while i < b.count {
            guard isHead(b[i]), i == 0 || !isBody(b[i - 1]) else { i += 1; continue }
            var j = i
            while j < b.count, isBody(b[j]) { j += 1 }
            if i == 0 || b[i - 1] != UInt8(ascii: ".") { names.insert(String(decoding: b[i..<j], as: UTF8.self)) }
            i = j
        }
        return names
    }

    /// A cycle of `edges` as the folders along it (first repeated at the end), if there is one.
    static func cycle(in edges: Set<Edge>) -> [String]? {
        var next: [String: [String]] = [:]
        for edge in edges { next[edge.from, default: []].append(edge.to) }
        for key in next.keys { next[key]?.sort() }
        var state: [String: Int] = [:]  // 1: on the path, 2: done
        var path: [String] = []
        func visit(_ node: String) -> [String]? {
            state[node] = 1
            path.append(node)
            for to in next[node] ?? [] {
                if state[to] == 1, let start = path.firstIndex(of: to) { return Array(path[start...]) + [to] }
                if state[to] == nil, let found = visit(to) { return found }
            }
            path.removeLast()
            state[node] = 2
            return nil
        }
        for node in next.keys.sorted() where state[node] == nil {
            if let found = visit(node) { return found }
        }
        return nil
    }
}
