import GRDB

extension ExperimentStore {
    /// A run's console lines with `seq` greater than `after`, in order, at most `limit` of
    /// them: `logs --follow` and the dashboard ask again with the last `seq` they have.
    public func consoleLines(runID: Int64, after seq: Int64 = 0, limit: Int? = nil) throws -> [ConsoleLine] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, time, stream, step, line FROM console_lines WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?
                """, arguments: [runID, seq, limit ?? -1]).map(Self.consoleLine)
        }
    }

    /// A run's latest `count` console lines, in order (the end of a long log).
    public func lastConsoleLines(runID: Int64, count: Int) throws -> [ConsoleLine] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, time, stream, step, line FROM console_lines WHERE run_id = ? ORDER BY seq DESC LIMIT ?
                """, arguments: [runID, count]).map(Self.consoleLine).reversed()
        }
    }

    /// A run's console figures (the `console_summary` view): lines printed (the last `seq`),
    /// kept, and dropped by the bound; all 0 for a run that printed nothing.
    public func consoleSummary(runID: Int64) throws -> (printed: Int64, kept: Int64, dropped: Int64) {
        try read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT lines_printed, lines_kept, lines_dropped FROM console_summary WHERE run_id = ?
                """, arguments: [runID])
            return (row?[0] ?? 0, row?[1] ?? 0, row?[2] ?? 0)
        }
    }

    private static func consoleLine(_ row: Row) -> ConsoleLine {
        ConsoleLine(seq: row[0], time: row[1], stream: ConsoleLine.Stream(rawValue: row[2]) ?? .stdout, step: row[3], line: row[4])
    }
}
