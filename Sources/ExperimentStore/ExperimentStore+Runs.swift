import Foundation
import GRDB
import HardwareMonitor

extension ExperimentStore {
    /// Starts a run: writes its row, tags and config snapshot (secrets redacted, every key
    /// flattened into `params`) in one transaction, then starts its background writer.
    public func startRun(_ spec: RunSpec) throws -> RunHandle {
        guard mode == .readWrite else { throw StoreError.invalid("the store \(path) was opened read-only") }
        let trimmedName = spec.name.trimmingCharacters(in: .whitespaces)
        guard !trimmedName.isEmpty else { throw StoreError.invalid("a run needs a non-empty name") }
        guard spec.worldSize >= 1 else { throw StoreError.invalid("a run's world size must be at least 1, got \(spec.worldSize)") }
        let uuid = spec.uuid ?? UUID().uuidString.lowercased()
        let now = Date().timeIntervalSince1970
        let snapshot = try spec.config.map { config -> (yaml: String?, json: String, sha: String, params: [(key: String, value: String?, type: String)]) in
            let object = try config.redactedObject()
            let json = object.jsonString()
            let yaml = config.redactedYAML()
            return (yaml, json, Self.sha256(of: Data(((yaml ?? "") + "\n" + json).utf8)), ConfigSnapshot.flatten(object))
        }
        let id: Int64 = try write { db in
            try db.execute(sql: """
                INSERT INTO runs (uuid, name, experiment, status, started_at, heartbeat_at, pid, hostname,
                                  command_line, blocklab_version, source_repo, source_commit, parent_run_id, world_size)
                VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [uuid, trimmedName, spec.experiment, now, now, Int64(getpid()), Host.name,
                                 Self.shellQuoted(spec.commandLine), BlockLabVersion.string,
                                 spec.sourceRepository, spec.sourceCommit, spec.parentRunID, spec.worldSize])
            let id = db.lastInsertedRowID
            for (key, value) in spec.tags {
                try db.execute(sql: "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)", arguments: [id, key, value])
            }
            if let snapshot {
                try db.execute(sql: "INSERT INTO config_snapshots (run_id, yaml, resolved_json, sha256) VALUES (?, ?, ?, ?)",
                               arguments: [id, snapshot.yaml, snapshot.json, snapshot.sha])
                let insert = try db.cachedStatement(sql: "INSERT INTO params (run_id, key, value, value_type) VALUES (?, ?, ?, ?)")
                for param in snapshot.params {
                    try insert.execute(arguments: [id, param.key, param.value, param.type])
                }
            }
            return id
        }
        return RunHandle(store: self, id: id, uuid: uuid, name: trimmedName, flushInterval: spec.flushInterval)
    }

    /// A command line as one string a shell would split back into the same words.
    public static func shellQuoted(_ words: [String]) -> String {
        words.map { word in
            if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }) { return word }
            return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

/// This machine's host name, read once.
enum Host {
    static var name: String { HardwareMonitor.hostName }
}
