import Foundation
import GRDB
import GRDBSQLite

/// Writes one batch of a run's buffered points in one transaction: metric keys interned,
/// points inserted through a prepared statement bound by hand (the hot path), the per-key
/// running summary merged, hardware samples inserted, and the heartbeat updated.
struct MetricWriter {
    let runID: Int64
    /// The store's id of each of the handle's local key indexes, once known and committed.
    private var keyIDs: [Int64] = []

    init(runID: Int64) { self.runID = runID }

    mutating func write(_ batch: PendingWrites.Batch, to store: ExperimentStore,
                        final: (RunStatus, String?)?) throws {
        if final != nil {
            // The last transaction of a run is synced to disk before finish returns.
            try store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        }
        defer {
            if final != nil {
                try? store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            }
        }
        let runID = runID
        var resolved = keyIDs
        try store.pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let now = Date().timeIntervalSince1970
                if resolved.count < batch.keyNames.count {
                    for name in batch.keyNames[resolved.count...] {
                        try db.execute(sql: "INSERT INTO metric_keys (key) VALUES (?) ON CONFLICT (key) DO NOTHING", arguments: [name])
                        resolved.append(try Int64.fetchOne(db, sql: "SELECT id FROM metric_keys WHERE key = ?", arguments: [name])!)
                    }
                }
                if batch.count > 0 {
                    try Self.insertPoints(batch, runID: runID, keyIDs: resolved, db: db)
                }
                for sample in batch.hardware {
                    try Self.insert(sample, runID: runID, db: db)
                }
                if let (status, error) = final {
                    try db.execute(sql: """
                        UPDATE runs SET status = ?, ended_at = ?, heartbeat_at = ?, error = ?
                        WHERE id = ? AND status IN ('running', 'crashed')
                        """, arguments: [status.rawValue, now, now, error, runID])
                } else {
                    try db.execute(sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [now, runID])
                }
                return .commit
            }
        }
        keyIDs = resolved
    }

    /// Used when the final batch could not be written: the run's end is still recorded,
    /// as `failed` (or `killed`), with how many points were lost and why.
    func writeStatusOnly(_ final: (RunStatus, String?), lost: Int, reason: String, to store: ExperimentStore) throws {
        let now = Date().timeIntervalSince1970
        let status: RunStatus = final.0 == .killed ? .killed : .failed
        let note = "\(lost) points logged at the end could not be written (\(reason))"
        try store.pool.write { db in
            try db.execute(sql: """
                UPDATE runs SET status = ?, ended_at = ?, heartbeat_at = ?, error = ?
                WHERE id = ? AND status IN ('running', 'crashed')
                """, arguments: [status.rawValue, now, now, final.1.map { "\($0); \(note)" } ?? note, runID])
        }
    }

    private struct Summary {
        var count = 0
        var min = Double.nan, minStep: Int64 = 0
        var max = Double.nan, maxStep: Int64 = 0
        var last = Double.nan, lastStep: Int64 = .min
    }

    private static func insertPoints(_ batch: PendingWrites.Batch, runID: Int64, keyIDs: [Int64], db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO metrics (run_id, key_id, step, value, wall_time, epoch) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, key_id, step) DO UPDATE
            SET value = excluded.value, wall_time = excluded.wall_time, epoch = excluded.epoch
            """)
        let handle = statement.sqliteStatement
        var summaries = [Summary](repeating: Summary(), count: keyIDs.count)
        // Insert key by key (a stable counting sort of the batch): each key's points then go
        // to one place in the (run, key, step) B-tree one after another, instead of four
        // places in turn, which keeps the leaf being filled in cache and splits at the end.
        var starts = [Int](repeating: 0, count: keyIDs.count + 1)
        for key in batch.keys { starts[Int(key) + 1] += 1 }
        for k in 0..<keyIDs.count { starts[k + 1] += starts[k] }
        var order = [Int](repeating: 0, count: batch.count)
        for (i, key) in batch.keys.enumerated() {
            order[starts[Int(key)]] = i
            starts[Int(key)] += 1
        }
        for i in order {
            let key = Int(batch.keys[i])
            let step = batch.steps[i]
            let value = batch.values[i]
            sqlite3_reset(handle)
            sqlite3_bind_int64(handle, 1, runID)
            sqlite3_bind_int64(handle, 2, keyIDs[key])
            sqlite3_bind_int64(handle, 3, step)
            if value.isNaN { sqlite3_bind_null(handle, 4) } else { sqlite3_bind_double(handle, 4, value) }
            sqlite3_bind_double(handle, 5, batch.times[i])
            let epoch = batch.epochs[i]
            if epoch.isNaN { sqlite3_bind_null(handle, 6) } else { sqlite3_bind_double(handle, 6, epoch) }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: statement.sql)
            }
            var summary = summaries[key]
            summary.count += 1
            if !value.isNaN {
                if summary.min.isNaN || value < summary.min { summary.min = value; summary.minStep = step }
                if summary.max.isNaN || value > summary.max { summary.max = value; summary.maxStep = step }
            }
            if step >= summary.lastStep { summary.last = value; summary.lastStep = step }
            summaries[key] = summary
        }
        sqlite3_reset(handle)
        let merge = try db.cachedStatement(sql: """
            INSERT INTO metric_summaries (run_id, key_id, count, min, min_step, max, max_step, last, last_step)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, key_id) DO UPDATE SET
                count = count + excluded.count,
                min_step = CASE WHEN excluded.min < min OR min IS NULL THEN excluded.min_step ELSE min_step END,
                min = CASE WHEN excluded.min < min OR min IS NULL THEN excluded.min ELSE min END,
                max_step = CASE WHEN excluded.max > max OR max IS NULL THEN excluded.max_step ELSE max_step END,
                max = CASE WHEN excluded.max > max OR max IS NULL THEN excluded.max ELSE max END,
                last = CASE WHEN excluded.last_step >= last_step THEN excluded.last ELSE last END,
                last_step = MAX(last_step, excluded.last_step)
            """)
        for (key, summary) in summaries.enumerated() where summary.count > 0 {
            try merge.execute(arguments: [
                runID, keyIDs[key], summary.count,
                summary.min.isNaN ? nil : summary.min, summary.min.isNaN ? nil : summary.minStep,
                summary.max.isNaN ? nil : summary.max, summary.max.isNaN ? nil : summary.maxStep,
                summary.last.isNaN ? nil : summary.last, summary.lastStep,
            ])
        }
    }

    private static func insert(_ sample: HardwareSample, runID: Int64, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO hardware_samples (run_id, time, step, cpu_percent, ram_used_bytes, ram_percent,
                                          process_rss_bytes, cpu_temp_c)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [runID, sample.time, sample.step, sample.cpuPercent, sample.ramUsedBytes,
                             sample.ramPercent, sample.processRSSBytes, sample.cpuTemperatureC])
        let sampleID = db.lastInsertedRowID
        for gpu in sample.gpus {
            try db.execute(sql: """
                INSERT INTO gpu_samples (sample_id, gpu_index, name, utilization_pct, memory_used_bytes,
                                         memory_total_bytes, temperature_c, power_w)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [sampleID, gpu.index, gpu.name, gpu.utilizationPercent, gpu.memoryUsedBytes,
                                 gpu.memoryTotalBytes, gpu.temperatureC, gpu.powerWatts])
        }
    }
}
