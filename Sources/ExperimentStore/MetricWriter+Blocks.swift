import GRDB
import GRDBSQLite

/// Keeping `metric_blocks` in step with `metrics`, inside the writer's transaction.
extension MetricWriter {
    /// Merges new points' block summaries into the stored ones (a block may come more than
    /// once when steps were logged out of order: merging is associative).
    static func upsert(_ blocks: [(block: Int64, summary: PointSummary)], shift: Int64, runID: Int64, keyID: Int64,
                       db: Database) throws {
        guard !blocks.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO metric_blocks (run_id, key_id, shift, block, count,
                                       first_step, first_value, first_epoch, first_time,
                                       last_step, last_value, last_epoch, last_time,
                                       min_step, min_value, min_epoch, min_time,
                                       max_step, max_value, max_epoch, max_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, key_id, shift, block) DO UPDATE SET
                count = count + excluded.count,
                first_step  = CASE WHEN excluded.first_step < first_step THEN excluded.first_step  ELSE first_step  END,
                first_value = CASE WHEN excluded.first_step < first_step THEN excluded.first_value ELSE first_value END,
                first_epoch = CASE WHEN excluded.first_step < first_step THEN excluded.first_epoch ELSE first_epoch END,
                first_time  = CASE WHEN excluded.first_step < first_step THEN excluded.first_time  ELSE first_time  END,
                last_step   = CASE WHEN excluded.last_step >= last_step THEN excluded.last_step  ELSE last_step  END,
                last_value  = CASE WHEN excluded.last_step >= last_step THEN excluded.last_value ELSE last_value END,
                last_epoch  = CASE WHEN excluded.last_step >= last_step THEN excluded.last_epoch ELSE last_epoch END,
                last_time   = CASE WHEN excluded.last_step >= last_step THEN excluded.last_time  ELSE last_time  END,
                min_step  = CASE WHEN \(lower) THEN excluded.min_step  ELSE min_step  END,
                min_value = CASE WHEN \(lower) THEN excluded.min_value ELSE min_value END,
                min_epoch = CASE WHEN \(lower) THEN excluded.min_epoch ELSE min_epoch END,
                min_time  = CASE WHEN \(lower) THEN excluded.min_time  ELSE min_time  END,
                max_step  = CASE WHEN \(higher) THEN excluded.max_step  ELSE max_step  END,
                max_value = CASE WHEN \(higher) THEN excluded.max_value ELSE max_value END,
                max_epoch = CASE WHEN \(higher) THEN excluded.max_epoch ELSE max_epoch END,
                max_time  = CASE WHEN \(higher) THEN excluded.max_time  ELSE max_time  END
            """)
        let handle = statement.sqliteStatement
        for (block, summary) in blocks {
            sqlite3_reset(handle)
            sqlite3_bind_int64(handle, 1, runID)
            sqlite3_bind_int64(handle, 2, keyID)
            sqlite3_bind_int64(handle, 3, shift)
            sqlite3_bind_int64(handle, 4, block)
            sqlite3_bind_int64(handle, 5, Int64(summary.count))
            for (index, point) in [summary.first, summary.last, summary.min, summary.max].enumerated() {
                bind(point, at: Int32(6 + 4 * index), to: handle)
            }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
            }
        }
        sqlite3_reset(handle)
    }

    /// The stored row loses when the new extreme is lower (higher), or equal at a smaller step.
    private static let lower = """
        excluded.min_value IS NOT NULL AND (min_value IS NULL OR excluded.min_value < min_value
            OR (excluded.min_value = min_value AND excluded.min_step < min_step))
        """
    private static let higher = """
        excluded.max_value IS NOT NULL AND (max_value IS NULL OR excluded.max_value > max_value
            OR (excluded.max_value = max_value AND excluded.max_step < max_step))
        """

    private static func bind(_ point: PointSummary.Point?, at first: Int32, to handle: OpaquePointer?) {
        guard let point else {
            for offset in 0..<Int32(4) { sqlite3_bind_null(handle, first + offset) }
            return
        }
        sqlite3_bind_int64(handle, first, point.step)
        if point.value.isNaN { sqlite3_bind_null(handle, first + 1) } else { sqlite3_bind_double(handle, first + 1, point.value) }
        if point.epoch.isNaN { sqlite3_bind_null(handle, first + 2) } else { sqlite3_bind_double(handle, first + 2, point.epoch) }
        sqlite3_bind_double(handle, first + 3, point.time)
    }

    /// Rebuilds whole blocks from the stored points (after a point replaced another).
    static func recomputeBlocks(_ blocks: Set<Int64>, shift: Int64, runID: Int64, keyID: Int64, db: Database) throws {
        for block in blocks.sorted() {
            let steps = PointSummary.steps(ofBlock: block, shift: shift)
            var summary: PointSummary?
            let rows = try Row.fetchCursor(db, sql: """
                SELECT step, value, epoch, wall_time FROM metrics
                WHERE run_id = ? AND key_id = ? AND step BETWEEN ? AND ? ORDER BY step
                """, arguments: [runID, keyID, steps.lowerBound, steps.upperBound])
            while let row = try rows.next() {
                let point = PointSummary.Point(step: row[0], value: row[1] ?? .nan, epoch: row[2] ?? .nan, time: row[3])
                if summary == nil { summary = PointSummary(point) } else { summary!.add(point) }
            }
            try db.execute(sql: "DELETE FROM metric_blocks WHERE run_id = ? AND key_id = ? AND shift = ? AND block = ?",
                           arguments: [runID, keyID, shift, block])
            if let summary { try upsert([(block, summary)], shift: shift, runID: runID, keyID: keyID, db: db) }
        }
    }
}
