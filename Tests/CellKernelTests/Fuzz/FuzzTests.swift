@testable import CellKernel
import Foundation
import Testing

/// Thousands of generated and mutated scripts run the way `cells run --all --trigger
/// available-now` runs a notebook: each ends in success, a statement error with its position
/// (exit 2) or a runtime error (exit 3), never in a crash (which would kill this process) or a
/// hang (a case over its deadline fails).
///
/// `FUZZ_CASES=10000 swift test --filter FuzzTests` runs more cases (`make fuzz` runs 100000);
/// `FUZZ_SEED` changes the seed. The case being run is written to `cells-fuzz-case.sql` in the
/// temporary directory first, so a crash leaves it there to replay.
@Suite struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let caseCount = environment["FUZZ_CASES"].flatMap(Int.init) ?? 2000
    static let seed = environment["FUZZ_SEED"].flatMap(UInt64.init) ?? 9
    /// Seconds a case may take (its streams are bounded to 3 batches and 5 s as well).
    static let deadline = Duration.seconds(30)

    /// Cases known to trap in code other parts of issue 9 fix (each with where it traps),
    /// skipped until then so they do not hide other findings: a script containing one of
    /// these is not run. Remove an entry once its fix is in, and the run shows whether it holds.
    static let knownOpen: [(pattern: String, reason: String)] = [
        // None open. (Window arithmetic on extreme event times, e.g. window(CAST(n AS TIMESTAMP),
        // '1 day') over n = Long.MinValue, trapped in WindowOperator.assign until fixed.)
    ]

    @Test func generatedAndMutatedScriptsEndInAnExitStatus() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cells-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data.jsonl").path
        try writeFuzzInput(to: data)
        let current = FileManager.default.temporaryDirectory.appendingPathComponent("cells-fuzz-case.sql")
        let notebooks = FuzzCases.notebooks(dataFile: data)
        #expect(notebooks.count >= 3)

        var counts: [Int32: Int] = [:]
        var hangs = 0, skipped = 0
        let started = ContinuousClock.now
        for index in 0..<Self.caseCount {
            var cases = FuzzCases(seed: Self.seed &* 1_000_003 &+ UInt64(index), dataFile: data)
            let script = cases.script(index, notebooks: notebooks)
            if Self.knownOpen.contains(where: { script.contains($0.pattern) }) {
                skipped += 1
                continue
            }
            try? "-- FUZZ_SEED=\(Self.seed) case \(index)\n\(script)".write(to: current, atomically: false, encoding: .utf8)
            guard let outcome = onThread(deadline: Self.deadline, { runFuzzScript(script) }) else {
                hangs += 1
                Issue.record("case \(index) did not finish in \(Self.deadline):\n\(script.prefix(2000))")
                continue
            }
            counts[outcome.exitStatus, default: 0] += 1
            if case .statementError(let position) = outcome {
                let place = position.prefix { $0 != " " }.split(separator: ":").compactMap { Int($0) }
                #expect(place.count == 2 && place.allSatisfy { $0 >= 1 }, "case \(index): no position in \(position)")
            }
        }
        let elapsed = ContinuousClock.now - started
        print("fuzz: \(Self.caseCount) cases (seed \(Self.seed)) in \(elapsed): \(counts[0, default: 0]) succeeded, "
              + "\(counts[2, default: 0]) statement errors, \(counts[3, default: 0]) runtime errors, 0 crashes, \(hangs) hangs, \(skipped) skipped as known open")
        // The generator must reach execution, not only the parser.
        #expect(counts[0, default: 0] > Self.caseCount / 20)
    }
}
