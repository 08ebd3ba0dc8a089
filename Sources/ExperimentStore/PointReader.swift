import GRDB
import GRDBSQLite

/// Reads one key's points and block summaries in step order through prepared statements
/// stepped by hand (the downsampling hot path: no Row per point).
struct PointReader {
    private let db: Database
    private let runID: Int64
    private let keyID: Int64

    init(db: Database, runID: Int64, keyID: Int64) throws {
        self.db = db
        self.runID = runID
        self.keyID = keyID
    }

    /// Each point with `from <= step <= to` (none when from > to).
    func forEachPoint(from: Int64, to: Int64, _ body: (PointSummary.Point) -> Void) throws {
        guard from <= to else { return }
        let statement = try db.cachedStatement(sql: """
            SELECT step, value, epoch, wall_time FROM metrics
            WHERE run_id = ? AND key_id = ? AND step BETWEEN ? AND ? ORDER BY step
            """)
        try run(statement, from, to) { handle in
            body(PointSummary.Point(step: sqlite3_column_int64(handle, 0), value: Self.double(handle, 1),
                                    epoch: Self.double(handle, 2), time: sqlite3_column_double(handle, 3)))
        }
    }

    /// Each stored block summary with its block number in `blocks`.
    func forEachBlock(in blocks: ClosedRange<Int64>, _ body: (Int64, PointSummary) -> Void) throws {
        let statement = try db.cachedStatement(sql: """
            SELECT block, count, first_step, first_value, first_epoch, first_time, last_step, last_value, last_epoch, last_time,
                   min_step, min_value, min_epoch, min_time, max_step, max_value, max_epoch, max_time
            FROM metric_blocks WHERE run_id = ? AND key_id = ? AND block BETWEEN ? AND ? ORDER BY block
            """)
        try run(statement, blocks.lowerBound, blocks.upperBound) { handle in
            func point(_ column: Int32) -> PointSummary.Point? {
                guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
                return PointSummary.Point(step: sqlite3_column_int64(handle, column), value: Self.double(handle, column + 1),
                                          epoch: Self.double(handle, column + 2), time: sqlite3_column_double(handle, column + 3))
            }
            guard let first = point(2), let last = point(6) else { return }
            body(sqlite3_column_int64(handle, 0),
                 PointSummary(count: Int(sqlite3_column_int64(handle, 1)), first: first, last: last, min: point(10), max: point(14)))
        }
    }

    private func run(_ statement: Statement, _ from: Int64, _ to: Int64, row: (OpaquePointer?) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_bind_int64(handle, 1, runID)
        sqlite3_bind_int64(handle, 2, keyID)
        sqlite3_bind_int64(handle, 3, from)
        sqlite3_bind_int64(handle, 4, to)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
            }
            row(handle)
        }
    }

    private static func double(_ handle: OpaquePointer?, _ column: Int32) -> Double {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? .nan : sqlite3_column_double(handle, column)
    }
}
