import Foundation
import GRDB
import GRDBSQLite
import HardwareMonitor

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
            try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        }
        defer {
            if final != nil {
                try? store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            }
        }
        let runID = runID
        var resolved = keyIDs
        try store.database.writeWithoutTransaction { db in
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
                if !batch.console.isEmpty {
                    try Self.insertConsole(batch.console, runID: runID, db: db)
                }
                if let (status, error) = final {
                    try db.execute(sql: """
                        UPDATE runs SET status = ?, ended_at = ?, heartbeat_at = ?, error = ?
                        WHERE id = ? AND status IN ('running', 'crashed')
                        """, arguments: [status.rawValue, now, now, error, runID])
                    try Self.closeOpenPhases(runID: runID, status: status, error: error, at: now, db: db)
                } else {
                    try db.execute(sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [now, runID])
                }
                return .commit
            }
        }
        keyIDs = resolved
    }

    /// A phase still running when its run ends did not finish: it is recorded `failed`,
    /// with the run's error (e.g. "stopped by SIGTERM") or a note saying so.
    static func closeOpenPhases(runID: Int64, status: RunStatus, error: String?, at time: Double, db: Database) throws {
        try db.execute(sql: """
            UPDATE phases SET status = 'failed', ended_at = ?, error = COALESCE(error, ?)
            WHERE run_id = ? AND status = 'running'
            """, arguments: [time, error ?? "the run ended (\(status.rawValue)) before this phase did", runID])
    }

    /// Updates only the heartbeat (between flushes of a run with a long flush interval).
    func writeHeartbeat(to store: ExperimentStore) throws {
        let now = Date().timeIntervalSince1970
        try store.database.write { db in
            try db.execute(sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [now, runID])
        }
    }

    /// Used when the final batch could not be written: the run's end is still recorded,
    /// as `failed` (or `killed`), with how many points were lost and why.
    func writeStatusOnly(_ final: (RunStatus, String?), lost: Int, reason: String, to store: ExperimentStore) throws {
        let now = Date().timeIntervalSince1970
        let status: RunStatus = final.0 == .killed ? .killed : .failed
        let note = "\(lost) points logged at the end could not be written (\(reason))"
        let error = final.1.map { "\($0); \(note)" } ?? note
        try store.database.write { db in
            try db.execute(sql: """
                UPDATE runs SET status = ?, ended_at = ?, heartbeat_at = ?, error = ?
                WHERE id = ? AND status IN ('running', 'crashed')
                """, arguments: [status.rawValue, now, now, error, runID])
            try Self.closeOpenPhases(runID: runID, status: status, error: error, at: now, db: db)
        }
    }

    /// One key's figures over the new points of a batch.
    private struct Summary {
        var count = 0
        var min = Double.nan, minStep: Int64 = 0
        var max = Double.nan, maxStep: Int64 = 0
        var last = Double.nan, lastStep: Int64 = .min

        /// Min and max keep the smallest step on ties; `last` is the value at the highest step.
        mutating func add(value: Double, step: Int64) {
            count += 1
            if !value.isNaN {
                if min.isNaN || value < min || (value == min && step < minStep) { min = value; minStep = step }
                if max.isNaN || value > max || (value == max && step < maxStep) { max = value; maxStep = step }
            }
            if step >= lastStep { last = value; lastStep = step }
        }
    }

    /// Inserts the batch's points and brings each key's summary up to date. A point that
    /// replaces one already stored (the same key and step logged again) makes its key's
    /// summary be recomputed from the stored points, so the summary always says what an
    /// aggregate over `metrics` would; the common case (new steps only) merges the batch's
    /// own figures and never reads back.
    private static func insertPoints(_ batch: PendingWrites.Batch, runID: Int64, keyIDs: [Int64], db: Database) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO metrics (run_id, key_id, step, value, wall_time, epoch) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let replace = try db.cachedStatement(sql: """
            UPDATE metrics SET value = ?, wall_time = ?, epoch = ? WHERE run_id = ? AND key_id = ? AND step = ?
            """)
        let handle = insert.sqliteStatement
        var summaries = [Summary](repeating: Summary(), count: keyIDs.count)
        var replaced = [Bool](repeating: false, count: keyIDs.count)
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
        var keyStart = 0
        for key in 0..<keyIDs.count {
            // This key's points, in the order they were logged; its block summaries as they fill.
            var blocks = [[(block: Int64, summary: PointSummary)]](repeating: [], count: PointSummary.blockShifts.count)
            for i in order[keyStart..<starts[key]] {
                let point = PointSummary.Point(step: batch.steps[i], value: batch.values[i], epoch: batch.epochs[i],
                                              time: batch.times[i])
                sqlite3_reset(handle)
                sqlite3_bind_int64(handle, 1, runID)
                sqlite3_bind_int64(handle, 2, keyIDs[key])
                sqlite3_bind_int64(handle, 3, point.step)
                if point.value.isNaN { sqlite3_bind_null(handle, 4) } else { sqlite3_bind_double(handle, 4, point.value) }
                sqlite3_bind_double(handle, 5, point.time)
                if point.epoch.isNaN { sqlite3_bind_null(handle, 6) } else { sqlite3_bind_double(handle, 6, point.epoch) }
                let code = sqlite3_step(handle)
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                        message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                        sql: insert.sql)
                }
                if sqlite3_changes(db.sqliteConnection) == 0 {
                    // The step is already stored: the later value wins; summaries are recomputed.
                    try replace.execute(arguments: [point.value.isNaN ? nil : point.value, point.time,
                                                    point.epoch.isNaN ? nil : point.epoch, runID, keyIDs[key], point.step])
                    replaced[key] = true
                } else {
                    summaries[key].add(value: point.value, step: point.step)
                }
                for (level, shift) in PointSummary.blockShifts.enumerated() {
                    let block = point.step >> shift
                    if blocks[level].last?.block == block {
                        blocks[level][blocks[level].count - 1].summary.add(point)
                    } else {
                        blocks[level].append((block, PointSummary(point)))
                    }
                }
            }
            keyStart = starts[key]
            for (level, shift) in PointSummary.blockShifts.enumerated() {
                if replaced[key] {
                    try recomputeBlocks(Set(blocks[level].map(\.block)), shift: shift, runID: runID, keyID: keyIDs[key], db: db)
                } else {
                    try upsert(blocks[level], shift: shift, runID: runID, keyID: keyIDs[key], db: db)
                }
            }
        }
        sqlite3_reset(handle)
        let merge = try db.cachedStatement(sql: """
            INSERT INTO metric_summaries (run_id, key_id, count, min, min_step, max, max_step, last, last_step)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, key_id) DO UPDATE SET
                count = count + excluded.count,
                min_step = CASE WHEN min IS NULL OR excluded.min < min OR (excluded.min = min AND excluded.min_step < min_step)
                                THEN excluded.min_step ELSE min_step END,
                min = CASE WHEN min IS NULL OR excluded.min < min THEN excluded.min ELSE min END,
                max_step = CASE WHEN max IS NULL OR excluded.max > max OR (excluded.max = max AND excluded.max_step < max_step)
                                THEN excluded.max_step ELSE max_step END,
                max = CASE WHEN max IS NULL OR excluded.max > max THEN excluded.max ELSE max END,
                last = CASE WHEN excluded.last_step >= last_step THEN excluded.last ELSE last END,
                last_step = MAX(last_step, excluded.last_step)
            """)
        for (key, summary) in summaries.enumerated() where summary.count > 0 && !replaced[key] {
            try merge.execute(arguments: [
                runID, keyIDs[key], summary.count,
                summary.min.isNaN ? nil : summary.min, summary.min.isNaN ? nil : summary.minStep,
                summary.max.isNaN ? nil : summary.max, summary.max.isNaN ? nil : summary.maxStep,
                summary.last.isNaN ? nil : summary.last, summary.lastStep,
            ])
        }
        for (key, wasReplaced) in replaced.enumerated() where wasReplaced {
            try recomputeSummary(runID: runID, keyID: keyIDs[key], db: db)
        }
    }

    /// The summary of one key from its stored points: count, min and max (each at the
    /// smallest step that holds it), and the value at the highest step.
    static func recomputeSummary(runID: Int64, keyID: Int64, db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO metric_summaries (run_id, key_id, count, min, min_step, max, max_step, last, last_step)
            SELECT a.run_id, a.key_id, a.count, a.min,
                   (SELECT MIN(step) FROM metrics m WHERE m.run_id = a.run_id AND m.key_id = a.key_id AND m.value = a.min),
                   a.max,
                   (SELECT MIN(step) FROM metrics m WHERE m.run_id = a.run_id AND m.key_id = a.key_id AND m.value = a.max),
                   (SELECT value FROM metrics m WHERE m.run_id = a.run_id AND m.key_id = a.key_id AND m.step = a.last_step),
                   a.last_step
            FROM (SELECT run_id, key_id, COUNT(*) AS count, MIN(value) AS min, MAX(value) AS max, MAX(step) AS last_step
                  FROM metrics WHERE run_id = ? AND key_id = ? GROUP BY run_id, key_id) a
            """, arguments: [runID, keyID])
    }

    private static func insert(_ sample: HardwareSample, runID: Int64, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO hardware_samples (run_id, time, step, cpu_percent, ram_used_bytes, ram_percent,
                                          process_rss_bytes, cpu_temp_c, host, rank, phase, process_rss_anon_bytes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [runID, sample.time, sample.step, sample.cpuPercent, sample.ramUsedBytes,
                             sample.ramPercent, sample.processRSSBytes, sample.cpuTemperatureC, sample.host, sample.rank,
                             sample.phase, sample.processRSSAnonBytes])
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
