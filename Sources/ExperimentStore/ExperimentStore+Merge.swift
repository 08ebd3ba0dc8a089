import Foundation
import GRDB

extension ExperimentStore {
    public struct MergeReport: Codable, Sendable, Equatable {
        public var imported: [String]
        public var skipped: Int
        public var metricPoints: Int

        public init(imported: [String], skipped: Int, metricPoints: Int) {
            self.imported = imported
            self.skipped = skipped
            self.metricPoints = metricPoints
        }
    }

    /// What merging the store at `otherPath` into the store at `targetPath` would import,
    /// read without writing either file (a missing target counts as empty, and is not made).
    /// Refuses what `merge` refuses: a missing other store (`mergeSourceNotFound`), a file that
    /// is not a BlockLab store, a store of a newer BlockLab, a store merged into itself.
    public static func mergePlan(from otherPath: String, into targetPath: String) throws -> MergePlan {
        let other = try openMergeSource(otherPath)
        let target = URL(fileURLWithPath: targetPath).standardizedFileURL.path
        try refuseSameFile(other.path, target)
        var present = Set<String>()
        if FileManager.default.fileExists(atPath: target) {
            do {
                present = Set(try ExperimentStore.open(at: target, mode: .readOnly).runs().map(\.uuid))
            } catch StoreError.noRuns {
                // An empty file becomes a new store: nothing in it yet.
            }
        }
        return try other.read { db in
            var plan = MergePlan(source: other.path, target: target, runs: [], metricPoints: 0, skipped: 0)
            for row in try Row.fetchAll(db, sql: """
                SELECT r.id, r.uuid, r.name, r.status, (SELECT COUNT(*) FROM metrics m WHERE m.run_id = r.id)
                FROM runs r ORDER BY r.id
                """) {
                let uuid: String = row[1]
                if present.contains(uuid) { plan.skipped += 1; continue }
                let run = MergePlan.Run(id: row[0], uuid: uuid, name: row[2], status: row[3], metricPoints: row[4])
                plan.runs.append(run)
                plan.metricPoints += run.metricPoints
            }
            return plan
        }
    }

    /// Opens `merge`'s other store read-only; its absence is named as the other store's.
    private static func openMergeSource(_ otherPath: String) throws -> ExperimentStore {
        do {
            return try ExperimentStore.open(at: otherPath, mode: .readOnly)
        } catch StoreError.notFound(let path) {
            throw StoreError.mergeSourceNotFound(path: path)
        }
    }

    /// The same file under two names (a link, `./`, another spelling) is refused: merging a
    /// store into itself would import nothing, and is always a mistyped name.
    private static func refuseSameFile(_ other: String, _ target: String) throws {
        var a = stat(), b = stat()
        let same = other == target || (stat(other, &a) == 0 && stat(target, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        if same {
            throw StoreError.invalid("cannot merge \(target) into itself: name another store to merge from, or --store the one to merge into")
        }
    }

    /// Imports the runs of another store that this one does not have (matched by uuid),
    /// with everything recorded for them (every table that holds a run's records), in one
    /// transaction. Running it twice changes nothing; the other store is only read.
    public func merge(from otherPath: String) throws -> MergeReport {
        let other = try Self.openMergeSource(otherPath)
        try Self.refuseSameFile(other.path, path)
        guard try other.schemaVersion() == (try schemaVersion()) else {
            throw StoreError.invalid("\(other.path) has schema version \(try other.schemaVersion()) and \(path) has \(try schemaVersion()): open the older one for writing once with this BlockLab (any write command) to migrate it, then merge")
        }
        let otherPath = other.path
        do {
            return try database.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS other", arguments: [otherPath])
                defer { try? db.execute(sql: "DETACH DATABASE other") }
                var report = MergeReport(imported: [], skipped: 0, metricPoints: 0)
                try db.inTransaction(.immediate) {
                    try db.execute(sql: """
                        CREATE TEMP TABLE merge_runs AS
                        SELECT o.id AS old_id, o.uuid AS uuid FROM other.runs o
                        WHERE NOT EXISTS (SELECT 1 FROM main.runs m WHERE m.uuid = o.uuid)
                        """)
                    defer { try? db.execute(sql: "DROP TABLE temp.merge_runs") }
                    report.skipped = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM other.runs")!
                        - (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM temp.merge_runs")!)
                    try db.execute(sql: """
                        INSERT INTO main.runs (uuid, name, experiment, status, started_at, ended_at, heartbeat_at, pid, hostname,
                                               command_line, blocklab_version, source_repo, source_commit, error, note, world_size)
                        SELECT o.uuid, o.name, o.experiment, o.status, o.started_at, o.ended_at, o.heartbeat_at, o.pid, o.hostname,
                               o.command_line, o.blocklab_version, o.source_repo, o.source_commit, o.error, o.note, o.world_size
                        FROM other.runs o JOIN temp.merge_runs n ON n.old_id = o.id ORDER BY o.id
                        """)
                    try db.execute(sql: """
                        CREATE TEMP TABLE run_map AS
                        SELECT o.id AS old_id, m.id AS new_id FROM other.runs o JOIN main.runs m ON m.uuid = o.uuid
                        """)
                    defer { try? db.execute(sql: "DROP TABLE temp.run_map") }
                    // Parent links follow the uuid, whether the parent was imported now or was here already.
                    try db.execute(sql: """
                        UPDATE main.runs SET parent_run_id = (
                            SELECT pm.new_id FROM other.runs o JOIN temp.run_map pm ON pm.old_id = o.parent_run_id
                            WHERE o.uuid = main.runs.uuid)
                        WHERE uuid IN (SELECT uuid FROM temp.merge_runs)
                        """)
                    try db.execute(sql: "INSERT INTO main.metric_keys (key) SELECT key FROM other.metric_keys WHERE true ON CONFLICT (key) DO NOTHING")
                    try db.execute(sql: """
                        CREATE TEMP TABLE key_map AS
                        SELECT o.id AS old_id, m.id AS new_id FROM other.metric_keys o JOIN main.metric_keys m ON m.key = o.key
                        """)
                    defer { try? db.execute(sql: "DROP TABLE temp.key_map") }
                    let newRuns = "(SELECT r.old_id, r.new_id FROM temp.run_map r JOIN temp.merge_runs n ON n.old_id = r.old_id)"
                    try db.execute(sql: "INSERT INTO main.tags SELECT r.new_id, t.key, t.value FROM other.tags t JOIN \(newRuns) r ON r.old_id = t.run_id")
                    try db.execute(sql: "INSERT INTO main.config_snapshots SELECT r.new_id, c.yaml, c.resolved_json, c.sha256 FROM other.config_snapshots c JOIN \(newRuns) r ON r.old_id = c.run_id")
                    try db.execute(sql: "INSERT INTO main.params SELECT r.new_id, p.key, p.value, p.value_type FROM other.params p JOIN \(newRuns) r ON r.old_id = p.run_id")
                    try db.execute(sql: """
                        INSERT INTO main.metrics SELECT r.new_id, k.new_id, x.step, x.value, x.wall_time, x.epoch
                        FROM other.metrics x JOIN \(newRuns) r ON r.old_id = x.run_id JOIN temp.key_map k ON k.old_id = x.key_id
                        """)
                    report.metricPoints = db.changesCount
                    try db.execute(sql: """
                        INSERT INTO main.metric_summaries SELECT r.new_id, k.new_id, s.count, s.min, s.min_step, s.max, s.max_step, s.last, s.last_step
                        FROM other.metric_summaries s JOIN \(newRuns) r ON r.old_id = s.run_id JOIN temp.key_map k ON k.old_id = s.key_id
                        """)
                    try db.execute(sql: """
                        INSERT INTO main.metric_blocks SELECT r.new_id, k.new_id, b.shift, b.block, b.count,
                               b.first_step, b.first_value, b.first_epoch, b.first_time, b.last_step, b.last_value, b.last_epoch, b.last_time,
                               b.min_step, b.min_value, b.min_epoch, b.min_time, b.max_step, b.max_value, b.max_epoch, b.max_time
                        FROM other.metric_blocks b JOIN \(newRuns) r ON r.old_id = b.run_id JOIN temp.key_map k ON k.old_id = b.key_id
                        """)
                    for row in try Row.fetchAll(db, sql: """
                        SELECT h.id, r.new_id, h.time, h.step, h.cpu_percent, h.ram_used_bytes, h.ram_percent, h.process_rss_bytes, h.cpu_temp_c,
                               h.host, h.rank, h.phase, h.process_rss_anon_bytes
                        FROM other.hardware_samples h JOIN \(newRuns) r ON r.old_id = h.run_id ORDER BY h.id
                        """) {
                        try db.execute(sql: """
                            INSERT INTO main.hardware_samples (run_id, time, step, cpu_percent, ram_used_bytes, ram_percent, process_rss_bytes, cpu_temp_c,
                                                               host, rank, phase, process_rss_anon_bytes)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, arguments: [row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11], row[12]])
                        try db.execute(sql: """
                            INSERT INTO main.gpu_samples SELECT ?, gpu_index, name, utilization_pct, memory_used_bytes, memory_total_bytes, temperature_c, power_w
                            FROM other.gpu_samples WHERE sample_id = ?
                            """, arguments: [db.lastInsertedRowID, row[0] as Int64])
                    }
                    try db.execute(sql: """
                        INSERT INTO main.checkpoints (run_id, step, epoch, path, sha256, bytes, format, is_best, metrics_json, created_at)
                        SELECT r.new_id, c.step, c.epoch, c.path, c.sha256, c.bytes, c.format, c.is_best, c.metrics_json, c.created_at
                        FROM other.checkpoints c JOIN \(newRuns) r ON r.old_id = c.run_id ORDER BY c.id
                        """)
                    try db.execute(sql: """
                        INSERT INTO main.artifacts (run_id, kind, name, path, sha256, bytes, created_at)
                        SELECT r.new_id, a.kind, a.name, a.path, a.sha256, a.bytes, a.created_at
                        FROM other.artifacts a JOIN \(newRuns) r ON r.old_id = a.run_id ORDER BY a.id
                        """)
                    try db.execute(sql: """
                        INSERT INTO main.phases (run_id, name, status, started_at, ended_at, stats_json, error)
                        SELECT r.new_id, p.name, p.status, p.started_at, p.ended_at, p.stats_json, p.error
                        FROM other.phases p JOIN \(newRuns) r ON r.old_id = p.run_id ORDER BY p.id
                        """)
                    try db.execute(sql: "INSERT INTO main.embeddings SELECT r.new_id, e.item_id, e.model, e.dimension, e.vector, e.payload_json FROM other.embeddings e JOIN \(newRuns) r ON r.old_id = e.run_id")
                    try db.execute(sql: "INSERT INTO main.qdrant_pushes SELECT r.new_id, q.url, q.collection, q.item_id, q.point_id, q.pushed_at FROM other.qdrant_pushes q JOIN \(newRuns) r ON r.old_id = q.run_id")
                    try db.execute(sql: """
                        INSERT INTO main.console_lines SELECT r.new_id, l.seq, l.time, l.stream, l.step, l.line
                        FROM other.console_lines l JOIN \(newRuns) r ON r.old_id = l.run_id
                        """)
                    report.imported = try String.fetchAll(db, sql: "SELECT uuid FROM temp.merge_runs ORDER BY old_id")
                    return .commit
                }
                return report
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.from(error, path: path)
        }
    }
}
