import Foundation
import GRDB

extension ExperimentStore {
    /// Sets (or replaces) a tag on a run.
    public func setTag(runID: Int64, key: String, value: String) throws {
        guard !key.isEmpty else { throw StoreError.invalid("a tag needs a non-empty key: KEY=VALUE") }
        try write { db in
            try db.execute(sql: """
                INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)
                ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
                """, arguments: [runID, key, value])
        }
    }

    /// Sets a run's free-text note.
    public func setNote(runID: Int64, note: String) throws {
        try write { db in try db.execute(sql: "UPDATE runs SET note = ? WHERE id = ?", arguments: [note, runID]) }
    }

    /// Records `crashed` for every run that says running but whose process is gone.
    /// Returns the runs it changed.
    @discardableResult
    public func reap() throws -> [RunInfo] {
        let dead = try runs().filter { $0.recordedStatus == .running && $0.status == .crashed }
        guard !dead.isEmpty else { return [] }
        try write { db in
            for run in dead {
                try db.execute(sql: """
                    UPDATE runs SET status = 'crashed', ended_at = heartbeat_at,
                        error = COALESCE(error, 'the process stopped without finishing the run (last heartbeat kept as the end time)')
                    WHERE id = ? AND status = 'running'
                    """, arguments: [run.id])
            }
        }
        return dead.map { var run = $0; run.recordedStatus = .crashed; run.endedAt = run.heartbeatAt; return run }
    }

    /// Deletes a run and everything recorded for it (files on disk are left alone).
    public func deleteRun(id: Int64) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
        }
    }

    /// How many records of each kind a run has: what deleting it removes.
    public func recordCounts(runID: Int64) throws -> RunRecordCounts {
        try read { db in
            func count(_ table: String) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE run_id = ?", arguments: [runID]) ?? 0
            }
            return RunRecordCounts(
                metricPoints: try count("metrics"), hardwareSamples: try count("hardware_samples"),
                checkpoints: try count("checkpoints"), artifacts: try count("artifacts"), phases: try count("phases"),
                tags: try count("tags"), params: try count("params"), embeddings: try count("embeddings"),
                qdrantPushes: try count("qdrant_pushes"))
        }
    }
}
