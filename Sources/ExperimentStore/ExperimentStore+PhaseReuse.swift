import Foundation
import GRDB

/// A finished phase of some run, found by the hash of its inputs.
public struct FinishedPhase: Sendable {
    public var runID: Int64
    public var phase: PhaseRecord
}

extension ExperimentStore {
    /// The finished phases named `name` whose stats hold `input_sha256` = `inputSHA256`,
    /// newest first: the candidates a pipeline may reuse instead of running the phase again
    /// (the caller checks that their output files are still there, unchanged).
    public func finishedPhases(named name: String, inputSHA256: String) throws -> [FinishedPhase] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, run_id, status, started_at, ended_at, stats_json, error FROM phases
                WHERE name = ? AND status = 'finished' AND json_extract(stats_json, '$.input_sha256') = ?
                ORDER BY id DESC
                """, arguments: [name, inputSHA256]).map { row in
                let statsJSON: String = row[5]
                return FinishedPhase(runID: row[1], phase: PhaseRecord(
                    id: row[0], name: name, status: .finished, startedAt: row[3], endedAt: row[4],
                    stats: (try? JSONValue.parse(Data(statsJSON.utf8))) ?? .object([:]), error: row[6]))
            }
        }
    }
}
