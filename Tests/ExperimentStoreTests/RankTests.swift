import Foundation
import TestSupport
import GRDB
import HardwareMonitor
import Testing
@testable import ExperimentStore

/// Runs of several processes (migration 4): the world size of a run, and hardware samples
/// and peaks per host and rank.
@Suite struct RankTests {
    /// A data-parallel run of 2 ranks on two hosts: every query that reports peaks reports
    /// them per rank, and merge carries the ranks over.
    @Test func peaksAreReportedPerRank() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        var spec = RunSpec(name: "ddp")
        spec.worldSize = 2
        let run = try store.startRun(spec)
        run.logHardware(HardwareSample(time: 1, step: 1, cpuPercent: 90, ramPercent: 20, processRSSBytes: 300, host: "a", rank: 0))
        run.logHardware(HardwareSample(time: 2, step: 2, cpuPercent: 80, ramPercent: 30, processRSSBytes: 500, host: "a", rank: 0))
        run.logHardware(HardwareSample(time: 1, step: 1, cpuPercent: 99, ramPercent: 10, processRSSBytes: 700, host: "b", rank: 1))
        try run.finish()
        let alone = try store.startRun(RunSpec(name: "alone"))
        alone.logHardware(HardwareSample(time: 1, processRSSBytes: 100, host: "a", rank: 0))
        try alone.finish()

        #expect(try store.run("ddp").worldSize == 2 && (try store.run("alone").worldSize) == 1)
        let byRank = try store.hardwarePeaksByRank(runID: run.id)
        #expect(byRank == [RankPeaks(host: "a", rank: 0, peaks: HardwarePeaks(samples: 2, cpuPercent: 90, ramPercent: 30, processRSSBytes: 500)),
                           RankPeaks(host: "b", rank: 1, peaks: HardwarePeaks(samples: 1, cpuPercent: 99, ramPercent: 10, processRSSBytes: 700))])
        #expect(try store.hardwarePeaks(runID: run.id) == HardwarePeaks(samples: 3, cpuPercent: 99, ramPercent: 30, processRSSBytes: 700))
        #expect(try store.hardwareSamples(runID: run.id).map { "\($0.host ?? "-")/\($0.rank ?? -1)" } == ["a/0", "b/1", "a/0"])

        let view = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT host, rank, samples, process_rss_bytes FROM hardware_peaks WHERE run_id = ? ORDER BY rank", arguments: [run.id])
                .map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int)" }
        }
        #expect(view == ["a 0 2 500", "b 1 1 700"])
        let summary = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT name, world_size, peak_rank_rss_bytes FROM run_summary ORDER BY id")
                .map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int)" }
        }
        #expect(summary == ["ddp 2 700", "alone 1 100"])

        let manifest = try store.manifest(for: try store.run("ddp"))
        #expect(manifest.hardwarePeaksByRank.map(\.rank) == [0, 1])
        let comparison = try store.compare([try store.run("ddp"), try store.run("alone")])
        #expect(comparison.runs.map(\.worldSize) == [2, 1])
        #expect(comparison.hardwarePeaksByRank.map { $0.map(\.peaks.processRSSBytes) } == [[500, 700], [100]])

        let other = try ExperimentStore.open(at: dir.file("other.db"))
        _ = try other.merge(from: dir.file("s.db"))
        #expect(try other.run("ddp").worldSize == 2)
        #expect(try other.hardwarePeaksByRank(runID: try other.run("ddp").id) == byRank)
    }

    /// A store written before migration 4 gains the columns: its runs are of world size 1
    /// and its samples keep their readings with no host or rank.
    @Test func aStoreOfMigrationOneGainsTheColumnsAndKeepsItsSamples() throws {
        let dir = TempDir()
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/ExperimentStore/Schema/001_initial.sql").path
        try shell("""
            python3 - '\(dir.file("old.db"))' '\(schema)' <<'EOF'
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.executescript(open(sys.argv[2]).read())
            db.executescript('''
                CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at REAL NOT NULL) STRICT;
                INSERT INTO schema_migrations VALUES (1, '001_initial', 'x', 0);
                INSERT INTO runs (uuid, name, started_at, heartbeat_at, status) VALUES ('u1', 'old', 0, 0, 'finished');
                INSERT INTO hardware_samples (run_id, time, process_rss_bytes) VALUES (1, 5, 1234);
            ''')
            db.commit()
            EOF
            """)
        let store = try ExperimentStore.open(at: dir.file("old.db"))
        let old = try store.run("old")
        #expect(old.worldSize == 1)
        #expect(try store.hardwarePeaksByRank(runID: old.id) == [RankPeaks(host: nil, rank: nil, peaks: HardwarePeaks(samples: 1, processRSSBytes: 1234))])
        let versions = try store.read { db in try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations ORDER BY version") }
        #expect(versions == Migrator.all.map(\.version) && versions.contains(4))
    }
}
