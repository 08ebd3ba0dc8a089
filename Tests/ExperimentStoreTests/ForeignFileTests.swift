import Foundation
import TestSupport
import GRDB
import Testing
@testable import ExperimentStore

/// A store is made only where there is nothing to lose; another program's SQLite database
/// is refused by every mode, and left exactly as it was.
@Suite struct ForeignFileTests {
    /// The bytes of `path` and its schema object count, read by the `sqlite3` program.
    private func fingerprint(_ path: String) throws -> (bytes: Data, objects: String) {
        (try Data(contentsOf: URL(fileURLWithPath: path)), try shell("sqlite3 '\(path)' 'SELECT COUNT(*) FROM sqlite_master'"))
    }

    @Test func anotherProgramsDatabaseIsRefusedInEveryModeAndLeftUnchanged() throws {
        let dir = TempDir()
        let cases = [
            ("notes.db", "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');", ["notes"]),
            // Rails and Ecto keep a schema_migrations table too, with other columns.
            ("rails.db", "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101');",
             ["schema_migrations"]),
            // A program that marks its file before it makes any table.
            ("marked.db", "PRAGMA application_id = 1234;", []),
            ("wal.db", "PRAGMA journal_mode = WAL; CREATE TABLE t (x); CREATE VIEW v AS SELECT x FROM t;", ["t"]),
        ]
        for (name, sql, tables) in cases {
            let path = dir.file(name)
            _ = try shell("sqlite3 '\(path)' \"\(sql)\"")
            let before = try fingerprint(path)
            for mode in [ExperimentStore.Mode.readWrite, .readOnly, .readOnlyConcurrent] {
                #expect(throws: StoreError.notABlockLabStore(path: path, tables: tables), "\(name) \(mode)") {
                    _ = try ExperimentStore.open(at: path, mode: mode)
                }
            }
            // Before sqlite3 reads it again: sqlite3, closing it last, would remove a -wal and a -shm.
            #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm"),
                    "no file was made beside \(name)")
            let after = try fingerprint(path)
            #expect(after.bytes == before.bytes, "\(name) is byte for byte as it was")
            #expect(after.objects == before.objects, "\(name)")
        }
        let message = StoreError.notABlockLabStore(path: dir.file("notes.db"), tables: ["notes"]).description
        #expect(message.hasPrefix("\(dir.file("notes.db")) is an SQLite database, but not a BlockLab store: "))
        #expect(message.contains("(notes)") && message.contains("--store"))
    }

    /// An SQLite file with no schema object (`sqlite3 x.db VACUUM`) holds nothing to lose: a
    /// writer makes a store of it, and says so; a reader finds no runs, and writes nothing.
    @Test func anSQLiteFileWithNoTablesBecomesANewStore() throws {
        let dir = TempDir()
        let path = dir.file("vacuumed.db")
        _ = try shell("sqlite3 '\(path)' VACUUM")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(before.count > 0 && before.starts(with: Data("SQLite format 3\0".utf8)))
        #expect(throws: StoreError.noRuns(path: path)) { _ = try ExperimentStore.open(at: path, mode: .readOnly) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let store = try ExperimentStore.open(at: path)
        #expect(store.created)
        #expect(try store.schemaVersion() == Migrator.latestVersion)
        #expect(try !ExperimentStore.open(at: path).created, "the second open finds a store")
    }

    @Test func aStoreIsMadeWhereNoFileIsOrInAnEmptyFile() throws {
        let dir = TempDir()
        let fresh = try ExperimentStore.open(at: dir.file("new.db"))
        #expect(fresh.created && fresh.path == dir.file("new.db"))
        FileManager.default.createFile(atPath: dir.file("empty.db"), contents: Data())
        #expect(throws: StoreError.noRuns(path: dir.file("empty.db"))) { _ = try ExperimentStore.open(at: dir.file("empty.db"), mode: .readOnly) }
        #expect(try ExperimentStore.open(at: dir.file("empty.db")).created)
    }
}
