import Foundation
import GRDB
import GRDBSQLite
import HardwareMonitor

extension ExperimentStore {
    /// A `running` run is `crashed` when its process is gone: on this host, its pid no
    /// longer exists; on another host (where the pid cannot be checked), its heartbeat is
    /// more than `staleAfter` seconds old. The writer beats at least once a second.
    public static func effectiveStatus(recorded: RunStatus, heartbeatAt: Double, pid: Int64?, hostname: String?,
                                       now: Double = Date().timeIntervalSince1970, staleAfter: Double = 60) -> RunStatus {
        guard recorded == .running else { return recorded }
        if hostname == Host.name, let pid, pid > 0 {
            let alive = kill(pid_t(pid), 0) == 0 || errno == EPERM
            return alive ? .running : .crashed
        }
        return now - heartbeatAt > staleAfter ? .crashed : .running
    }

    private static let runColumns = """
        id, uuid, name, experiment, status, started_at, ended_at, heartbeat_at, pid, hostname,
        command_line, blocklab_version, source_repo, source_commit, parent_run_id, error, note, world_size
        """

    private func runInfos(_ db: Database, where clause: String = "", arguments: StatementArguments = []) throws -> [RunInfo] {
        let rows = try Row.fetchAll(db, sql: "SELECT \(Self.runColumns) FROM runs \(clause) ORDER BY id", arguments: arguments)
        var tagsByRun = [Int64: [String: String]]()
        for row in try Row.fetchAll(db, sql: "SELECT run_id, key, value FROM tags WHERE run_id IN (SELECT id FROM runs \(clause))",
                                    arguments: arguments) {
            tagsByRun[row[0], default: [:]][row[1]] = row[2]
        }
        // By position, in `runColumns`' order: a lookup by name lower-cases every column name
        // of every row, which was a tenth of `blocklab runs`' time on a 300-run store.
        return rows.map { row in
            let recorded = RunStatus(rawValue: row[4]) ?? .running
            let heartbeat: Double = row[7]
            let pid: Int64? = row[8]
            let host: String? = row[9]
            let id: Int64 = row[0]
            return RunInfo(
                id: id, uuid: row[1], name: row[2], experiment: row[3],
                status: Self.effectiveStatus(recorded: recorded, heartbeatAt: heartbeat, pid: pid, hostname: host),
                recordedStatus: recorded, startedAt: row[5], endedAt: row[6],
                heartbeatAt: heartbeat, pid: pid, hostname: host, commandLine: row[10],
                blocklabVersion: row[11], sourceRepo: row[12], sourceCommit: row[13], parentRunID: row[14], error: row[15],
                note: row[16], tags: tagsByRun[id] ?? [:], worldSize: row[17])
        }
    }

    /// Every run, oldest first, optionally only those whose effective status is `status`.
    public func runs(status: RunStatus? = nil) throws -> [RunInfo] {
        let all = try read { db in try runInfos(db) }
        guard let status else { return all }
        return all.filter { $0.status == status }
    }

    /// Resolves RUN: the one place a reference becomes a run, for every command and the
    /// dashboard.
    /// - `latest`: the newest run (the highest id);
    /// - a run's id: that run. Ids and `latest` are never ambiguous: a run named `3` in a store
    ///   with a run 3 is reached by its uuid prefix;
    /// - else every run named RUN, and every run whose uuid starts with RUN (4 characters or
    ///   more): the one, or `ambiguousRun` listing them all (as git does for a short hash).
    /// A store without any run throws `noRuns`; a reference that matches nothing, `runNotFound`.
    public func run(_ ref: String) throws -> RunInfo {
        let ref = ref.trimmingCharacters(in: .whitespaces)
        return try read { db in
            if ref == "latest" {
                if let run = try runInfos(db, where: "WHERE id = (SELECT MAX(id) FROM runs)").first { return run }
                throw StoreError.noRuns(path: path)
            }
            if let id = Int64(ref), let run = try runInfos(db, where: "WHERE id = ?", arguments: [id]).first {
                return run
            }
            let uuidPattern = ref.count >= 4
                ? ref.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                : nil
            let matches = try runInfos(db, where: "WHERE name = ? OR uuid LIKE ? ESCAPE '\\'", arguments: [ref, uuidPattern])
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw StoreError.ambiguousRun(ref: ref, matches: matches.map(StoreError.RunMatch.init)) }
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") == 0 { throw StoreError.noRuns(path: path) }
            throw StoreError.runNotFound(ref: ref)
        }
    }

    public func metricSummaries(runID: Int64) throws -> [MetricSummary] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT k.key, s.count, s.min, s.min_step, s.max, s.max_step, s.last, s.last_step
                FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
                WHERE s.run_id = ? ORDER BY k.key
                """, arguments: [runID]).map { row in
                MetricSummary(key: row[0], count: row[1], min: row[2], minStep: row[3], max: row[4],
                              maxStep: row[5], last: row[6], lastStep: row[7])
            }
        }
    }

    /// One key's history in step order, read straight off the clustered index.
    public func metricHistory(runID: Int64, key: String) throws -> [MetricPoint] {
        try read { db in
            guard let keyID = try Int64.fetchOne(db, sql: "SELECT id FROM metric_keys WHERE key = ?", arguments: [key]) else {
                return []
            }
            let statement = try db.makeStatement(sql: """
                SELECT step, value, epoch, wall_time FROM metrics WHERE run_id = ? AND key_id = ? ORDER BY step
                """)
            let handle = statement.sqliteStatement
            sqlite3_bind_int64(handle, 1, runID)
            sqlite3_bind_int64(handle, 2, keyID)
            var points = [MetricPoint]()
            while true {
                let code = sqlite3_step(handle)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                        message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
                }
                points.append(MetricPoint(
                    step: Int(sqlite3_column_int64(handle, 0)),
                    value: sqlite3_column_type(handle, 1) == SQLITE_NULL ? nil : sqlite3_column_double(handle, 1),
                    epoch: sqlite3_column_type(handle, 2) == SQLITE_NULL ? nil : sqlite3_column_double(handle, 2),
                    wallTime: sqlite3_column_double(handle, 3)))
            }
            sqlite3_reset(handle)
            return points
        }
    }

    public func params(runID: Int64) throws -> [Param] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT key, value, value_type FROM params WHERE run_id = ? ORDER BY key",
                             arguments: [runID]).map { Param(key: $0[0], value: $0[1], type: $0[2]) }
        }
    }

    /// The config snapshot as stored (secrets already redacted): YAML, resolved JSON, sha256.
    public func configSnapshot(runID: Int64) throws -> (yaml: String?, resolvedJSON: String, sha256: String)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT yaml, resolved_json, sha256 FROM config_snapshots WHERE run_id = ?",
                             arguments: [runID]).map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// The peaks of a run over all its samples (every rank's, for a data-parallel run).
    public func hardwarePeaks(runID: Int64) throws -> HardwarePeaks {
        try read { db in try Self.peaks(db, runID: runID, rank: nil) }
    }

    /// The peaks of each process of a run, by (host, rank), in rank order: one entry for a
    /// run of one process; none for a run without samples.
    public func hardwarePeaksByRank(runID: Int64) throws -> [RankPeaks] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT DISTINCT host, rank FROM hardware_samples WHERE run_id = ? ORDER BY rank, host
                """, arguments: [runID]).map { row in
                let host: String? = row[0], rank: Int? = row[1]
                return RankPeaks(host: host, rank: rank, peaks: try Self.peaks(db, runID: runID, rank: (host, rank)))
            }
        }
    }

    /// Peaks of the samples of `runID`, or of one (host, rank) of it (NULLs match NULLs).
    private static func peaks(_ db: Database, runID: Int64, rank: (host: String?, rank: Int?)?) throws -> HardwarePeaks {
        guard let rank else { return try peaks(db, runID: runID, where: "", []) }
        return try peaks(db, runID: runID, where: " AND h.host IS ? AND h.rank IS ?", [rank.host, rank.rank])
    }

    /// Peaks of the samples of `runID` that `filter` (SQL over `h`, from " AND") keeps.
    static func peaks(_ db: Database, runID: Int64, where filter: String, _ values: StatementArguments) throws -> HardwarePeaks {
        let arguments: StatementArguments = [runID] + values
        let cpu = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), MAX(cpu_percent), MAX(ram_used_bytes), MAX(ram_percent), MAX(process_rss_bytes), MAX(cpu_temp_c),
                   MAX(process_rss_anon_bytes)
            FROM hardware_samples h WHERE h.run_id = ?\(filter)
            """, arguments: arguments)!
        let gpu = try Row.fetchOne(db, sql: """
            SELECT MAX(g.utilization_pct), MAX(g.memory_used_bytes), MAX(g.temperature_c), MAX(g.power_w)
            FROM gpu_samples g JOIN hardware_samples h ON h.id = g.sample_id WHERE h.run_id = ?\(filter)
            """, arguments: arguments)!
        return HardwarePeaks(samples: cpu[0], cpuPercent: cpu[1], ramUsedBytes: cpu[2], ramPercent: cpu[3],
                             processRSSBytes: cpu[4], cpuTemperatureC: cpu[5], gpuUtilizationPercent: gpu[0],
                             gpuMemoryUsedBytes: gpu[1], gpuTemperatureC: gpu[2], gpuPowerWatts: gpu[3],
                             processRSSAnonBytes: cpu[6])
    }

    public func hardwareSamples(runID: Int64) throws -> [HardwareSample] {
        try read { db in
            var gpusBySample = [Int64: [GPUSample]]()
            for row in try Row.fetchAll(db, sql: """
                SELECT g.sample_id, g.gpu_index, g.name, g.utilization_pct, g.memory_used_bytes, g.memory_total_bytes,
                       g.temperature_c, g.power_w
                FROM gpu_samples g JOIN hardware_samples h ON h.id = g.sample_id WHERE h.run_id = ? ORDER BY g.gpu_index
                """, arguments: [runID]) {
                gpusBySample[row[0], default: []].append(GPUSample(
                    index: row[1], name: row[2], utilizationPercent: row[3], memoryUsedBytes: row[4],
                    memoryTotalBytes: row[5], temperatureC: row[6], powerWatts: row[7]))
            }
            return try Row.fetchAll(db, sql: """
                SELECT id, time, step, cpu_percent, ram_used_bytes, ram_percent, process_rss_bytes, cpu_temp_c, host, rank,
                       process_rss_anon_bytes, phase
                FROM hardware_samples WHERE run_id = ? ORDER BY time, id
                """, arguments: [runID]).map { row in
                HardwareSample(time: row[1], step: row[2], cpuPercent: row[3], ramUsedBytes: row[4], ramPercent: row[5],
                               processRSSBytes: row[6], cpuTemperatureC: row[7], gpus: gpusBySample[row[0]] ?? [],
                               host: row[8], rank: row[9], processRSSAnonBytes: row[10], phase: row[11])
            }
        }
    }

    public func checkpoints(runID: Int64) throws -> [CheckpointRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, step, epoch, path, sha256, bytes, format, is_best, metrics_json, created_at
                FROM checkpoints WHERE run_id = ? ORDER BY step, id
                """, arguments: [runID]).map { row in
                let metricsJSON: String = row[8]
                var metrics = [String: Double]()
                if case .object(let object)? = try? JSONValue.parse(Data(metricsJSON.utf8)) {
                    for (key, value) in object { if let number = value.number { metrics[key] = number } }
                }
                return CheckpointRecord(id: row[0], runID: runID, step: row[1], epoch: row[2], path: row[3], sha256: row[4],
                                        bytes: row[5], format: row[6], isBest: row[7], metrics: metrics, createdAt: row[9])
            }
        }
    }

    public func artifacts(runID: Int64) throws -> [ArtifactRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, kind, name, path, sha256, bytes, created_at FROM artifacts WHERE run_id = ? ORDER BY id
                """, arguments: [runID]).map { row in
                ArtifactRecord(id: row[0], runID: runID, kind: row[1], name: row[2], path: row[3], sha256: row[4],
                               bytes: row[5], createdAt: row[6])
            }
        }
    }

    public func phases(runID: Int64) throws -> [PhaseRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, status, started_at, ended_at, stats_json, error FROM phases WHERE run_id = ? ORDER BY started_at, id
                """, arguments: [runID]).map { row in
                let statsJSON: String = row[5]
                return PhaseRecord(id: row[0], name: row[1], status: PhaseStatus(rawValue: row[2]) ?? .running,
                                   startedAt: row[3], endedAt: row[4],
                                   stats: (try? JSONValue.parse(Data(statsJSON.utf8))) ?? .object([:]), error: row[6])
            }
        }
    }
}
