import Foundation
import TestSupport
import GRDB
import HardwareMonitor
import Testing
@testable import ExperimentStore

/// `merge` carries every record of a run to the other store, and refuses what it cannot do
/// without writing anything.
@Suite struct MergeTests {
    /// A run with rows in every table of the schema.
    private func fullRun(_ store: ExperimentStore, dir: TempDir, name: String) throws -> RunHandle {
        let config = ConfigSnapshot(yaml: "training:\n  lr: 0.1\n", resolvedJSON: json("{\"training\": {\"lr\": 0.1}}"))
        let run = try store.startRun(RunSpec(name: name, tags: ["team": "ml"], config: config))
        for step in 0..<300 { run.log(step: step, epoch: Double(step) / 100, ["\(name)/loss": Double(300 - step), "lr": 0.1]) }
        run.logHardware(HardwareSample(time: 10, step: 5, cpuPercent: 50, ramUsedBytes: 1 << 30, ramPercent: 12, processRSSBytes: 1 << 28,
                                       cpuTemperatureC: 60, gpus: [GPUSample(index: 0, name: "g", utilizationPercent: 90, memoryUsedBytes: 5,
                                                                             memoryTotalBytes: 10, temperatureC: 70, powerWatts: 200)],
                                       host: "h", rank: 0))
        run.logHardware(HardwareSample(time: 11, cpuPercent: 55, host: "h", rank: 0))
        run.logConsole(.stdout, "step 100 of \(name)", step: 100, time: 12)
        run.logConsole(.stderr, "a warning", step: nil, time: 13)
        try run.flush()
        try "weights \(name)".write(toFile: dir.file("\(name).ckpt"), atomically: true, encoding: .utf8)
        try run.recordCheckpoint(path: dir.file("\(name).ckpt"), step: 100, epoch: 1, format: "safetensors", isBest: true, metrics: ["loss": 2])
        try "tokens".write(toFile: dir.file("\(name).bin"), atomically: true, encoding: .utf8)
        try run.recordArtifact(path: dir.file("\(name).bin"), kind: "dataset")
        try run.startPhase("train")
        try run.finishPhase("train", stats: ["steps": 300])
        try store.saveEmbeddings(runID: run.id, model: "m", dimension: 2,
                                 records: [EmbeddingRecord(itemID: "c1", vector: [1, 2], payloadJSON: "{\"a\": 1}")])
        try store.recordPushes(runID: run.id, url: "http://q", collection: "c", points: [(itemID: "c1", pointID: "p1")])
        try run.finish()
        return run
    }

    /// A table's rows of one run, with every surrogate id replaced by what it stands for
    /// (a run by its uuid, a metric key by its text, a hardware sample by its run and time).
    private func rows(_ path: String, _ table: String, uuid: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            let columns = try db.columns(in: table).map(\.name)
            let shown = columns.compactMap { column -> String? in
                switch column {
                case "id": return nil
                case "run_id": return "quote((SELECT uuid FROM runs WHERE id = t.run_id))"
                case "parent_run_id": return "quote((SELECT uuid FROM runs WHERE id = t.parent_run_id))"
                case "key_id": return "quote((SELECT key FROM metric_keys WHERE id = t.key_id))"
                case "sample_id": return "quote((SELECT r.uuid || '@' || h.time FROM hardware_samples h JOIN runs r ON r.id = h.run_id WHERE h.id = t.sample_id))"
                default: return "quote(t.\(column))"
                }
            }
            let owner: String
            switch table {
            case "runs": owner = "t.uuid"
            case "gpu_samples": owner = "(SELECT r.uuid FROM hardware_samples h JOIN runs r ON r.id = h.run_id WHERE h.id = t.sample_id)"
            default: owner = "(SELECT uuid FROM runs WHERE id = t.run_id)"
            }
            return try String.fetchAll(db, sql: "SELECT \(shown.joined(separator: " || ',' || ")) FROM \(table) t WHERE \(owner) = ?",
                                       arguments: [uuid]).sorted()
        }
    }

    @Test func mergeCarriesEveryTableOfARun() throws {
        let dir = TempDir()
        let source = try ExperimentStore.open(at: dir.file("other.db"))
        let imported = try fullRun(source, dir: dir, name: "far")
        let target = try ExperimentStore.open(at: dir.file("main.db"))
        let mine = try fullRun(target, dir: dir, name: "near")  // ids, keys and samples numbered differently here
        let report = try target.merge(from: dir.file("other.db"))
        #expect(report.imported == [imported.uuid] && report.metricPoints == 600 && report.skipped == 0)

        // Every table of the schema but the bookkeeping and the interned keys holds a run's rows.
        let tables = try DatabaseQueue(path: dir.file("main.db")).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
        }.filter { !["schema_migrations", "metric_keys"].contains($0) }
        #expect(tables == ["artifacts", "checkpoints", "config_snapshots", "console_lines", "embeddings", "gpu_samples", "hardware_samples",
                           "metric_blocks", "metric_summaries", "metrics", "params", "phases", "qdrant_pushes", "runs", "tags"],
                "a new table needs a line in merge and here")
        for table in tables {
            let there = try rows(dir.file("other.db"), table, uuid: imported.uuid)
            #expect(!there.isEmpty, "the source run has \(table) rows")
            #expect(try rows(dir.file("main.db"), table, uuid: imported.uuid) == there, "\(table)")
        }
        #expect(try rows(dir.file("main.db"), "metrics", uuid: mine.uuid).count == 600, "the run already here is untouched")
        let again = try target.merge(from: dir.file("other.db"))
        #expect(again.imported.isEmpty && again.skipped == 1)
    }

    @Test func aStoreIsNotMergedIntoItselfUnderAnyName() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try store.startRun(RunSpec(name: "r")).finish()
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.db"), withDestinationPath: dir.file("s.db"))
        for other in [dir.file("s.db"), dir.path + "/./s.db", dir.file("link.db")] {
            #expect(throws: StoreError.self, "\(other)") { try store.merge(from: other) }
            #expect(throws: StoreError.self, "\(other)") { try ExperimentStore.mergePlan(from: other, into: dir.file("s.db")) }
            do { _ = try store.merge(from: other) } catch {
                #expect("\(error)".contains("cannot merge \(dir.file("s.db")) into itself"), "\(error)")
            }
        }
        #expect(try store.runs().count == 1)
    }

    /// A newer BlockLab's store, a missing one, another program's database: refused before
    /// anything is written; the store merged into is not even made.
    @Test func whatCannotBeMergedIsRefusedAndNothingIsWritten() throws {
        let dir = TempDir()
        let newer = try ExperimentStore.open(at: dir.file("newer.db"))
        try newer.startRun(RunSpec(name: "future")).finish()
        try newer.write { db in try db.execute(sql: "INSERT INTO schema_migrations VALUES (999, '999_future', 'x', 0)") }
        _ = try shell("sqlite3 '\(dir.file("notes.db"))' 'CREATE TABLE notes (x)'")
        let existing = try ExperimentStore.open(at: dir.file("main.db"))
        try existing.startRun(RunSpec(name: "mine")).finish()
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.file("main.db")))
        let refusals: [(String, StoreError)] = [
            (dir.file("newer.db"), .newerSchema(path: dir.file("newer.db"), found: 999, supported: Migrator.latestVersion)),
            (dir.file("missing.db"), .mergeSourceNotFound(path: dir.file("missing.db"))),
            (dir.file("notes.db"), .notABlockLabStore(path: dir.file("notes.db"), tables: ["notes"])),
        ]
        for (other, error) in refusals {
            #expect(throws: error) { try existing.merge(from: other) }
            #expect(throws: error) { try ExperimentStore.mergePlan(from: other, into: dir.file("new.db")) }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("main.db"))) == before)
        #expect(!FileManager.default.fileExists(atPath: dir.file("new.db")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing.db")))
        #expect(StoreError.mergeSourceNotFound(path: dir.file("missing.db")).description
                == "nothing to merge: no store at \(dir.file("missing.db")) (merge imports the runs of another BlockLab store; check that file's name)")
    }

    @Test func thePlanListsWhatWouldBeImportedAndWritesNothing() throws {
        let dir = TempDir()
        let source = try ExperimentStore.open(at: dir.file("other.db"))
        let shared = try source.startRun(RunSpec(name: "shared"))
        shared.log(step: 0, ["loss": 1])
        try shared.finish()
        let fresh = try source.startRun(RunSpec(name: "fresh"))
        for step in 0..<3 { fresh.log(step: step, ["loss": 1, "lr": 2]) }
        try fresh.finish()
        let intoNew = try ExperimentStore.mergePlan(from: dir.file("other.db"), into: dir.file("new.db"))
        #expect(intoNew.runs.map(\.name) == ["shared", "fresh"] && intoNew.metricPoints == 7 && intoNew.skipped == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("new.db")))
        let target = try ExperimentStore.open(at: dir.file("main.db"))
        try target.startRun(RunSpec(name: "shared", uuid: shared.uuid)).finish()
        let plan = try ExperimentStore.mergePlan(from: dir.file("other.db"), into: dir.file("main.db"))
        #expect(plan == MergePlan(source: dir.file("other.db"), target: dir.file("main.db"),
                                  runs: [MergePlan.Run(id: fresh.id, uuid: fresh.uuid, name: "fresh", status: "finished", metricPoints: 6)],
                                  metricPoints: 6, skipped: 1))
    }
}
