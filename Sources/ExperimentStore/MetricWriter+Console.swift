import GRDB

extension MetricWriter {
    /// Inserts a batch's console lines, then deletes the stored lines the bound drops: those
    /// after the run's first `consoleHead` and before its latest `consoleTail` (RunHandle+Console).
    static func insertConsole(_ lines: [ConsoleLine], runID: Int64, db: Database) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO console_lines (run_id, seq, time, stream, step, line) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for line in lines {
            try insert.execute(arguments: [runID, line.seq, line.time, line.stream.rawValue, line.step, line.line])
        }
        guard let last = lines.last?.seq, last > Int64(RunHandle.consoleHead + RunHandle.consoleTail) else { return }
        try db.execute(sql: "DELETE FROM console_lines WHERE run_id = ? AND seq > ? AND seq <= ?",
                       arguments: [runID, RunHandle.consoleHead, last - Int64(RunHandle.consoleTail)])
    }
}
