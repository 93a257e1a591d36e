import CellKernel

/// What the shell remembers to draw views as charts: the `:chart` choice per view (over the
/// sink's `'chart'` option), each view's last batch (which `:chart` draws again at once), and
/// the input rates of its recent batches (the progress line's sparkline).
///
/// A value guarded by ``Screen``'s lock: background queries print from their own threads.
struct ChartBoard {
    /// Views by lowercased name, as SQL names them.
    private var choices: [String: ChartKind] = [:]
    private var batches: [String: (view: String, batchId: Int64, table: ResultTable)] = [:]
    private var rates: [String: [Double]] = [:]
    /// The view that printed a batch last: the one a bare `:chart` switches.
    private(set) var lastView: String?

    /// How `table`, a batch of `view`, is to be drawn; remembers it as the view's last batch.
    mutating func request(forBatch table: ResultTable, view: String, batchId: Int64) -> ChartRequest {
        let key = view.lowercased()
        batches[key] = (view, batchId, table)
        lastView = key
        return request(for: key, table: table)
    }

    private func request(for key: String, table: ResultTable) -> ChartRequest {
        let asked = table.chart ?? ChartRequest(kind: .table)
        return ChartRequest(kind: choices[key] ?? asked.kind, maxRows: asked.maxRows)
    }

    /// Draws `view` (nil: the last view shown) as `kind` from now on; its last batch, the
    /// request to draw it with, and the view's name.
    mutating func choose(_ kind: ChartKind, view: String?) throws(ChartError) -> (request: ChartRequest, view: String, batchId: Int64, table: ResultTable) {
        guard let key = view?.lowercased() ?? lastView else {
            throw ChartError("no view has printed a batch yet", hint: "START a view (its console prints each batch), then :chart bar, line or off")
        }
        guard let last = batches[key] else {
            let shown = batches.values.map(\.view).sorted()
            throw ChartError("\(view ?? key) has not printed a batch in this shell",
                             hint: shown.isEmpty ? "START it first" : "views that have: \(shown.joined(separator: ", "))")
        }
        try kind.check(names: last.table.names, types: last.table.columns.map(\.type), view: last.view)
        choices[key] = kind
        return (request(for: key, table: last.table), last.view, last.batchId, last.table)
    }

    /// How the last view is drawn, for a bare `:chart`.
    var summary: String {
        guard let key = lastView, let last = batches[key] else { return "no view has printed a batch yet" }
        let kind = request(for: key, table: last.table).kind
        return "\(last.view) is drawn as \(kind == .table ? "its table" : "a \(kind) chart") (:chart bar, :chart line, :chart off)"
    }

    /// Adds a batch's input rate for `view`; the recent ones, oldest first.
    mutating func addRate(_ rate: Double, view: String) -> [Double] {
        let key = view.lowercased()
        var recent = rates[key, default: []]
        recent.append(rate)
        if recent.count > Sparkline.length { recent.removeFirst(recent.count - Sparkline.length) }
        rates[key] = recent
        return recent
    }
}
