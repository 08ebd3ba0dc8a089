import DurableFiles
import Foundation
import GRDB

extension RunHandle {
    // Phases, checkpoints and artifacts are rare: each is written at once, not buffered.

    /// Records the start of a phase of this run.
    public func startPhase(_ name: String) throws {
        let now = Date().timeIntervalSince1970
        let phaseID = try store.write { db -> Int64 in
            try db.execute(sql: "INSERT INTO phases (run_id, name, status, started_at) VALUES (?, ?, 'running', ?)",
                           arguments: [id, name, now])
            return db.lastInsertedRowID
        }
        phaseIDs.withLock { $0[name] = phaseID }
        currentPhase.withLock { $0 = name }
    }

    /// Records the end of a phase, with its counts and stats as JSON. A phase ends once: a
    /// phase already ended (e.g. closed when a signal ended the run) keeps that end.
    public func finishPhase<Stats: Encodable>(_ name: String, status: PhaseStatus = .finished,
                                              stats: Stats, error: String? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(stats), as: UTF8.self)
        try finishPhase(name, status: status, statsJSON: json, error: error)
    }

    public func finishPhase(_ name: String, status: PhaseStatus = .finished, error: String? = nil) throws {
        try finishPhase(name, status: status, statsJSON: "{}", error: error)
    }

    private func finishPhase(_ name: String, status: PhaseStatus, statsJSON: String, error: String?) throws {
        guard let phaseID = phaseIDs.withLock({ $0[name] }) else {
            throw StoreError.invalid("phase '\(name)' was never started in run \(id)")
        }
        currentPhase.withLock { if $0 == name { $0 = nil } }
        let now = Date().timeIntervalSince1970
        try store.write { db in
            try db.execute(sql: "UPDATE phases SET status = ?, ended_at = ?, stats_json = ?, error = ? WHERE id = ? AND status = 'running'",
                           arguments: [status.rawValue, now, statsJSON, error, phaseID])
        }
    }

    /// Records a checkpoint once its file (or directory of files) is complete: syncs it to
    /// disk, computes its sha256 and size, then writes the row. Throws if it does not exist.
    @discardableResult
    public func recordCheckpoint(path: String, step: Int, epoch: Double? = nil, format: String,
                                 isBest: Bool = false, metrics: [String: Double] = [:]) throws -> CheckpointRecord {
        try Self.sync(path: path, what: "checkpoint")
        let (hex, bytes) = try ExperimentStore.sha256(ofPath: path)
        let metricsJSON = JSONValue.object(metrics.mapValues { .double($0) }).jsonString()
        let now = Date().timeIntervalSince1970
        let rowID = try store.write { db -> Int64 in
            try db.execute(sql: """
                INSERT INTO checkpoints (run_id, step, epoch, path, sha256, bytes, format, is_best, metrics_json, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, step, epoch, Self.absolute(path), hex, bytes, format, isBest, metricsJSON, now])
            return db.lastInsertedRowID
        }
        return CheckpointRecord(id: rowID, runID: id, step: step, epoch: epoch, path: Self.absolute(path),
                                sha256: hex, bytes: bytes, format: format, isBest: isBest,
                                metrics: metrics, createdAt: now)
    }

    /// Records an artifact (tokenizer, dataset, report, manifest) with its sha256 and size.
    @discardableResult
    public func recordArtifact(path: String, kind: String, name: String? = nil) throws -> ArtifactRecord {
        try Self.sync(path: path, what: "artifact")
        let (hex, bytes) = try ExperimentStore.sha256(ofPath: path)
        let artifactName = name ?? URL(fileURLWithPath: path).lastPathComponent
        let now = Date().timeIntervalSince1970
        let rowID = try store.write { db -> Int64 in
            try db.execute(sql: """
                INSERT INTO artifacts (run_id, kind, name, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, kind, artifactName, Self.absolute(path), hex, bytes, now])
            return db.lastInsertedRowID
        }
        return ArtifactRecord(id: rowID, runID: id, kind: kind, name: artifactName, path: Self.absolute(path),
                              sha256: hex, bytes: bytes, createdAt: now)
    }

    /// Pushes a file, or every file under a directory, to stable storage before its row is
    /// written, so a row never points at a file a crash could still lose.
    static func sync(path: String, what: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.fileMissing(path: path, what: what) }
        do { try DurableFile.sync(path: path) } catch { throw StoreError.invalid("\(error)") }
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
