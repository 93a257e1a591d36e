import Synchronization

/// Shares a micro-batch's bytes among lane threads a block at a time, so that a thread that
/// runs out of work takes half of what another has left rather than waiting for it.
///
/// Positions count through the batch's bytes in reading order (its files' ranges end to end).
/// Every lane reads one contiguous run of them, in order, and the runs tile the batch: the
/// lanes in ``lanes`` order are the batch in reading order. A state that folds them in that
/// order (an aggregation's groups numbered by first appearance, `first` and `last`) is the
/// same however the work was shared, as if one thread had read it all. Threads start on equal
/// runs; one that is done takes the back half of the biggest run still being read (once it is
/// worth a few blocks) into a new lane, which goes right after the run it came from.
final class LaneSchedule: Sendable {
    /// One lane's run: `next..<end` still to read. Its start is where the one before it ends.
    private struct Run {
        var next: Int
        var end: Int
        let lane: any RecordLane
        /// The thread reading it; nil once it is done (or its thread stopped).
        var reader: Int?
    }

    /// A block handed to a thread: the positions to read into `lane`.
    struct Block {
        let lane: any RecordLane
        let range: Range<Int>
    }

    private let runs: Mutex<[Run]>
    private let lineEnd: @Sendable (Int) -> Int
    private let blockBytes: Int
    private let stealMinimum: Int

    /// - Parameters:
    ///   - total: the batch's bytes.
    ///   - lanes: a lane per thread; thread `i` starts on the `i`-th equal run, in lane `i`.
    ///     Runs left empty (a batch of fewer lines than lanes) are not handed out.
    ///   - lineEnd: the position just past the line that holds a position, or `total`: runs and
    ///     blocks are cut there, so a line is read whole by one lane.
    ///   - blockBytes: about how much a thread reads between two visits here.
    ///   - stealMinimum: the least a run must have left to be split.
    init(total: Int, lanes: [any RecordLane], lineEnd: @escaping @Sendable (Int) -> Int,
         blockBytes: Int, stealMinimum: Int) {
        var runs: [Run] = []
        var start = 0
        for (index, lane) in lanes.enumerated() where start < total {
            let end = index == lanes.count - 1 ? total : min(total, lineEnd(max(start, total / lanes.count * (index + 1))))
            if end > start { runs.append(Run(next: start, end: end, lane: lane, reader: runs.count)) }
            start = end
        }
        self.runs = Mutex(runs)
        self.lineEnd = lineEnd
        self.blockBytes = max(1, blockBytes)
        self.stealMinimum = max(2, stealMinimum)
    }

    /// How many threads have a run to start on.
    var threads: Int { runs.withLock { $0.count } }

    /// The next block for thread `thread`: the rest of its run's next block, or else a block of
    /// half a run taken from another thread; nil when nothing is left that is worth taking.
    func next(for thread: Int) -> Block? {
        // The block's end is found outside the lock: finding a line end can fault a page of
        // the file in (from disk, once the page cache let it go), and a thread waiting for
        // the lock meanwhile would spin. That is safe because only a run's reader moves its
        // `next`, and a steal only moves its `end` back, to a line end past `next`.
        if let (start, end) = runs.withLock({ runs in
            runs.first(where: { $0.reader == thread && $0.next < $0.end }).map { ($0.next, $0.end) }
        }) {
            let cut = end - start <= blockBytes ? end : min(end, lineEnd(start + blockBytes))
            if let block = runs.withLock({ runs -> Block? in
                guard let index = runs.firstIndex(where: { $0.reader == thread && $0.next == start }) else { return nil }
                runs[index].next = min(cut, runs[index].end)
                return Block(lane: runs[index].lane, range: start..<runs[index].next)
            }) {
                return block
            }
        }
        return runs.withLock { runs in
            if let index = runs.firstIndex(where: { $0.reader == thread && $0.next < $0.end }) {
                return take(from: index, in: &runs)
            }
            Self.letGo(thread, in: &runs)
            guard let victim = runs.indices.filter({ runs[$0].reader != nil }).max(by: { runs[$0].end - runs[$0].next < runs[$1].end - runs[$1].next }),
                  runs[victim].end - runs[victim].next >= stealMinimum else { return nil }
            let run = runs[victim]
            let cut = lineEnd(run.next + (run.end - run.next) / 2)
            guard cut > run.next, cut < run.end, let lane = run.lane.makeLane() else { return nil }
            runs[victim].end = cut
            runs.insert(Run(next: cut, end: run.end, lane: lane, reader: thread), at: victim + 1)
            return take(from: victim + 1, in: &runs)
        }
    }

    /// Thread `thread` reads no more: what is left of its run is not handed to anyone.
    func leave(_ thread: Int) {
        runs.withLock { Self.letGo(thread, in: &$0) }
    }

    /// Marks the runs `thread` read as read by nobody, so that none is taken from.
    private static func letGo(_ thread: Int, in runs: inout [Run]) {
        for index in runs.indices where runs[index].reader == thread { runs[index].reader = nil }
    }

    /// Every lane, in reading order.
    var lanes: [any RecordLane] { runs.withLock { $0.map(\.lane) } }

    private func take(from index: Int, in runs: inout [Run]) -> Block {
        let run = runs[index]
        let end = run.end - run.next <= blockBytes ? run.end : min(run.end, lineEnd(run.next + blockBytes))
        runs[index].next = end
        return Block(lane: run.lane, range: run.next..<end)
    }
}
