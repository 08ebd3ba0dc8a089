import ExperimentStore
import Foundation
import Hummingbird

/// `GET /api/runs/{run}/console?after=SEQ&limit=N`: the run's console log, the lines with
/// `seq` above `after` (default 0), at most `limit` of them (1...`maxConsoleLines`, default
/// 1000), and the log's figures. The run page asks again with the last `seq` it has while
/// the run is running; `more` says a full page was cut and the next is there already.
extension DashboardServer {
    /// The most lines one answer holds: at most 10,000 × 4 KiB (`RunHandle.consoleLineBytes`).
    public static let maxConsoleLines = 10_000

    func addConsoleRoutes(to router: Router<BasicRequestContext>) {
        let store = self.store
        router.get("/api/runs/:run/console") { request, context in
            let query = Query(request)
            let after = try query.int("after", in: 0...Int.max) ?? 0
            let limit = try query.int("limit", in: 1...Self.maxConsoleLines) ?? 1000
            let opened = try store.store()
            let run = try opened.run(context.parameters.require("run"))
            // One more than asked says whether more follow, without a second query.
            let lines = try opened.consoleLines(runID: run.id, after: Int64(after), limit: limit + 1)
            let figures = try opened.consoleSummary(runID: run.id)
            let summary = ConsolePage.Summary(runStatus: run.status.rawValue, linesPrinted: figures.printed, linesKept: figures.kept,
                                              linesDropped: figures.dropped, keepsFirst: RunHandle.consoleHead,
                                              keepsLatest: RunHandle.consoleTail, more: lines.count > limit)
            return try json(ConsolePage(lines: lines.prefix(limit).map(ConsolePage.Line.init), summary: summary))
        }
    }
}

/// The answer of `/api/runs/{run}/console` (snake_case keys, as every answer).
struct ConsolePage: Encodable {
    /// One line; `step` is null when no step was current (encoded, not left out).
    struct Line: Encodable {
        let seq: Int64, time: Double, stream: String, step: Int?, line: String

        init(_ line: ConsoleLine) {
            (seq, time, stream, step, self.line) = (line.seq, line.time, line.stream.rawValue, line.step, line.line)
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seq, forKey: .seq)
            try container.encode(time, forKey: .time)
            try container.encode(stream, forKey: .stream)
            try container.encode(step, forKey: .step)
            try container.encode(line, forKey: .line)
        }

        private enum CodingKeys: String, CodingKey { case seq, time, stream, step, line }
    }

    struct Summary: Encodable {
        let runStatus: String
        let linesPrinted: Int64, linesKept: Int64, linesDropped: Int64
        let keepsFirst: Int, keepsLatest: Int
        let more: Bool
    }

    let lines: [Line]
    let summary: Summary
}
