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
        try run(statement, nil, from, to) { handle in
            body(PointSummary.Point(step: sqlite3_column_int64(handle, 0), value: Self.double(handle, 1),
                                    epoch: Self.double(handle, 2), time: sqlite3_column_double(handle, 3)))
        }
    }

    /// Each stored block in `blocks`, in block order, as a row whose columns are read on demand.
    func forEachBlock(shift: Int64, in blocks: ClosedRange<Int64>, _ body: (BlockRow) -> Void) throws {
        let statement = try db.cachedStatement(sql: """
            SELECT block, count, first_step, first_value, first_epoch, first_time, last_step, last_value, last_epoch, last_time,
                   min_step, min_value, min_epoch, min_time, max_step, max_value, max_epoch, max_time
            FROM metric_blocks WHERE run_id = ? AND key_id = ? AND shift = ? AND block BETWEEN ? AND ? ORDER BY block
            """)
        try run(statement, shift, blocks.lowerBound, blocks.upperBound) { body(BlockRow(handle: $0)) }
    }

    /// The current row of a `metric_blocks` scan (valid only inside `forEachBlock`'s body).
    struct BlockRow {
        let handle: OpaquePointer?

        var block: Int64 { sqlite3_column_int64(handle, 0) }
        var count: Int { Int(sqlite3_column_int64(handle, 1)) }
        var first: PointSummary.Point { point(at: 2)! }
        var last: PointSummary.Point { point(at: 6)! }
        var minValue: Double? { value(at: 11) }
        var min: PointSummary.Point? { point(at: 10) }
        var maxValue: Double? { value(at: 15) }
        var max: PointSummary.Point? { point(at: 14) }
        var summary: PointSummary { PointSummary(count: count, first: first, last: last, min: min, max: max) }

        private func value(at column: Int32) -> Double? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(handle, column)
        }

        private func point(at column: Int32) -> PointSummary.Point? {
            guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
            return PointSummary.Point(step: sqlite3_column_int64(handle, column), value: PointReader.double(handle, column + 1),
                                      epoch: PointReader.double(handle, column + 2), time: sqlite3_column_double(handle, column + 3))
        }
    }

    /// Binds run, key, (shift,) from, to and steps through the rows.
    private func run(_ statement: Statement, _ shift: Int64?, _ from: Int64, _ to: Int64, row: (OpaquePointer?) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        var arguments = [runID, keyID]
        if let shift { arguments.append(shift) }
        arguments += [from, to]
        for (index, value) in arguments.enumerated() { sqlite3_bind_int64(handle, Int32(index + 1), value) }
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

    static func double(_ handle: OpaquePointer?, _ column: Int32) -> Double {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? .nan : sqlite3_column_double(handle, column)
    }
}
