import Foundation
import GRDB

extension ExperimentStore {
    /// Records a phase that ran against an existing run (e.g. `embed --run`, `push`), whose
    /// process holds no `RunHandle` for it: the whole row at once, `stats` encoded as JSON
    /// (as `RunHandle.finishPhase` encodes it).
    public func recordPhase<Stats: Encodable>(runID: Int64, name: String, status: PhaseStatus, startedAt: Double,
                                              endedAt: Double, stats: Stats, error: String? = nil) throws {
        guard mode == .readWrite else { throw StoreError.invalid("the store \(path) was opened read-only") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(stats), as: UTF8.self)
        try write { db in
            try db.execute(sql: "INSERT INTO phases (run_id, name, status, started_at, ended_at, stats_json, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, name, status.rawValue, startedAt, endedAt, json, error])
        }
    }
}
