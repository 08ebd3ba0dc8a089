import Foundation
import TestSupport
import GRDB
import Testing
@testable import ExperimentStore

/// `metric_blocks` always says what the points of each 32- and 256-step block say: kept by the writer
/// (new points merged, replaced points recomputed) and built by the migration for old stores.
@Suite struct MetricBlocksTests {
    /// Each block's summary computed from the stored points by SQL alone, in the table's columns.
    private func expectedBlocks(_ db: Database, runID: Int64) throws -> [[DatabaseValue]] {
        try [5, 8].flatMap { shift in try expectedBlocks(db, runID: runID, shift: shift) }
    }

    private func expectedBlocks(_ db: Database, runID: Int64, shift: Int) throws -> [[DatabaseValue]] {
        try Row.fetchAll(db, sql: """
            SELECT :shift, b.key_id, b.block, COUNT(*),
                   (SELECT step FROM metrics WHERE run_id = b.run_id AND key_id = b.key_id AND step >> :shift = b.block ORDER BY step LIMIT 1),
                   (SELECT step FROM metrics WHERE run_id = b.run_id AND key_id = b.key_id AND step >> :shift = b.block ORDER BY step DESC LIMIT 1),
                   (SELECT step FROM metrics WHERE run_id = b.run_id AND key_id = b.key_id AND step >> :shift = b.block AND value IS NOT NULL
                    ORDER BY value, step LIMIT 1),
                   (SELECT step FROM metrics WHERE run_id = b.run_id AND key_id = b.key_id AND step >> :shift = b.block AND value IS NOT NULL
                    ORDER BY value DESC, step LIMIT 1),
                   MIN(m.value), MAX(m.value)
            FROM (SELECT DISTINCT run_id, key_id, step >> :shift AS block FROM metrics WHERE run_id = :run) b
            JOIN metrics m ON m.run_id = b.run_id AND m.key_id = b.key_id AND m.step >> :shift = b.block
            GROUP BY b.key_id, b.block ORDER BY b.key_id, b.block
            """, arguments: ["run": runID, "shift": shift]).map { Array($0.databaseValues) }
    }

    private func storedBlocks(_ db: Database, runID: Int64) throws -> [[DatabaseValue]] {
        try Row.fetchAll(db, sql: """
            SELECT shift, key_id, block, count, first_step, last_step, min_step, max_step, min_value, max_value
            FROM metric_blocks WHERE run_id = ? ORDER BY shift, key_id, block
            """, arguments: [runID]).map { Array($0.databaseValues) }
    }

    /// The first/last/min/max points carry the stored value, epoch and time of their step.
    private func expectPointsMatch(_ db: Database, runID: Int64) throws {
        let mismatches = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM metric_blocks b JOIN metrics m
              ON m.run_id = b.run_id AND m.key_id = b.key_id AND m.step IN (b.first_step, b.last_step, b.min_step, b.max_step)
                 AND m.step >> b.shift = b.block
            WHERE b.run_id = ? AND NOT (
                (m.step <> b.first_step OR (m.value IS b.first_value AND m.epoch IS b.first_epoch AND m.wall_time = b.first_time)) AND
                (m.step <> b.last_step OR (m.value IS b.last_value AND m.epoch IS b.last_epoch AND m.wall_time = b.last_time)) AND
                (m.step IS NOT b.min_step OR (m.value IS b.min_value AND m.epoch IS b.min_epoch AND m.wall_time IS b.min_time)) AND
                (m.step IS NOT b.max_step OR (m.value IS b.max_value AND m.epoch IS b.max_epoch AND m.wall_time IS b.max_time)))
            """, arguments: [runID])
        #expect(mismatches == 0)
    }

    @Test(arguments: [11, 12, 13])
    func randomLoggingWithRepeatsKeepsEveryBlockExact(seed: UInt64) throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "blocks"))
        var random = SplitMix(seed: seed)
        for _ in 0..<10 {
            for _ in 0..<(1 + Int(random.next() % 300)) {
                let step = Int(random.next() % 400) - 100
                let draw = random.next() % 9
                run.log(step: step, epoch: draw == 3 ? .nan : Double(step) / 10, ["k\(random.next() % 2)": draw == 0 ? .nan : Double(draw % 4)])
            }
            try run.flush()
            try store.read { db in
                #expect(try storedBlocks(db, runID: run.id) == expectedBlocks(db, runID: run.id))
                try expectPointsMatch(db, runID: run.id)
            }
        }
        try run.finish()
    }

    /// A store written before blocks existed gets them from its points when it is migrated.
    @Test func theMigrationBuildsBlocksForExistingPoints() throws {
        let dir = TempDir()
        let pool = try DatabasePool(path: dir.file("old.db"))
        try Migrator.migrate(pool, migrations: Array(Migrator.all.prefix(1)))
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO runs (id, uuid, name, experiment, status, started_at, heartbeat_at) VALUES (1, 'u', 'old', 'default', 'finished', 0, 0);
                INSERT INTO metric_keys (id, key) VALUES (1, 'loss'), (2, 'acc');
                """)
            var random = SplitMix(seed: 7)
            for step in -70..<500 where random.next() % 3 != 0 {
                let draw = random.next() % 7
                try db.execute(sql: "INSERT INTO metrics (run_id, key_id, step, value, wall_time, epoch) VALUES (1, ?, ?, ?, ?, ?)",
                               arguments: [1 + Int(draw % 2), step, draw == 0 ? nil : Double(draw % 3), Double(step) + 0.5,
                                           draw == 5 ? nil : Double(step) / 100])
            }
        }
        try pool.close()
        let store = try ExperimentStore.open(at: dir.file("old.db"))
        try store.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM metric_blocks WHERE shift = 5")! > 20)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM metric_blocks WHERE shift = 8")! >= 4)
            #expect(try storedBlocks(db, runID: 1) == expectedBlocks(db, runID: 1))
            try expectPointsMatch(db, runID: 1)
        }
    }
}
