import Foundation
import TestSupport
import GRDB
import Testing
@testable import ExperimentStore

/// A store beside a damaged write-ahead log. SQLite's recovery keeps the log's frames up to
/// the last commit whose checksums hold and drops the rest without a word; BlockLab reads the
/// log first and refuses, unchanged, a log whose damage would drop committed transactions.
@Suite struct WALDamageTests {
    /// A store whose last 5 transactions (tags t0...t4) are in its log only, copied as
    /// `name` (the `.db` and its `-wal`) while the store is open. Returns the log's size.
    private func storeWithALog(_ dir: TempDir, _ name: String) throws -> Int {
        let live = dir.file("live-" + name)
        let store = try ExperimentStore.open(at: live)
        try store.startRun(RunSpec(name: "r")).finish()  // checkpointed: the log is empty
        for index in 0..<5 { try store.setTag(runID: 1, key: "t\(index)", value: "v") }
        let wal = try Data(contentsOf: URL(fileURLWithPath: live + "-wal"))
        #expect(wal.count > 5 * 4096, "the five transactions are in the log")
        try FileManager.default.copyItem(atPath: live, toPath: dir.file(name))
        try wal.write(to: URL(fileURLWithPath: dir.file(name + "-wal")))
        return wal.count
    }

    private func tags(_ path: String) throws -> [String] {
        try ExperimentStore.open(at: path, mode: .readOnly).run("r").tags.keys.sorted()
    }

    private func overwrite(_ path: String, at offset: Int, count: Int) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }))
        try handle.close()
    }

    @Test func anIntactLogAndATornLastFrameOpenAsSQLiteReadsThem() throws {
        let dir = TempDir()
        _ = try storeWithALog(dir, "intact.db")
        #expect(try tags(dir.file("intact.db")) == ["t0", "t1", "t2", "t3", "t4"])
        // A crash in the middle of the last frame: that transaction never completed, which
        // is what SQLite's recovery is for. No message; the store reads as of t3.
        let size = try storeWithALog(dir, "torn.db")
        let handle = try #require(FileHandle(forUpdatingAtPath: dir.file("torn.db-wal")))
        try handle.truncate(atOffset: UInt64(size - 100))
        try handle.close()
        #expect(try tags(dir.file("torn.db")) == ["t0", "t1", "t2", "t3"])
        // Bytes after the log's last frame that are not its frames (a longer log's leftovers).
        _ = try storeWithALog(dir, "tail.db")
        let tail = try #require(FileHandle(forUpdatingAtPath: dir.file("tail.db-wal")))
        try tail.seekToEnd()
        tail.write(Data(repeating: 0x5a, count: 3 * (24 + 4096)))
        try tail.close()
        #expect(try tags(dir.file("tail.db")) == ["t0", "t1", "t2", "t3", "t4"])
        #expect(try ExperimentStore.open(at: dir.file("tail.db")).integrityCheck() == "ok")
    }

    @Test func garbageInTheLogIsRefusedInEveryModeAndBothFilesAreLeftAsTheyWere() throws {
        let dir = TempDir()
        _ = try storeWithALog(dir, "frame.db")
        // Garbage inside the second frame's page: SQLite would keep only the first frame and
        // drop every committed transaction after it.
        try overwrite(dir.file("frame.db-wal"), at: 32 + (24 + 4096) + 24 + 100, count: 200)
        _ = try storeWithALog(dir, "header.db")
        try overwrite(dir.file("header.db-wal"), at: 0, count: 32)
        for name in ["frame.db", "header.db"] {
            let path = dir.file(name)
            let before = (try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: URL(fileURLWithPath: path + "-wal")))
            for mode in [ExperimentStore.Mode.readWrite, .readOnly, .readOnlyConcurrent] {
                var thrown: (any Error)?
                do { _ = try ExperimentStore.open(at: path, mode: mode) } catch { thrown = error }
                guard case .damagedWAL(let named, let detail)? = thrown as? StoreError else {
                    Issue.record("\(name) \(mode): expected damagedWAL, got \(String(describing: thrown))")
                    continue
                }
                #expect(named == path)
                #expect(detail.contains(name == "frame.db" ? "fails its checksum" : "not a write-ahead log header"), "\(detail)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before.0, "\(name) unchanged")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + "-wal")) == before.1, "\(name)-wal unchanged")
            let message = StoreError.damagedWAL(path: path, detail: "x").description
            #expect(message.contains("keep a copy of \(path) and \(path)-wal, then remove \(path)-wal"))
        }
        // The fix the message gives: without the log, the store reads as of its file.
        try FileManager.default.removeItem(atPath: dir.file("frame.db-wal"))
        try? FileManager.default.removeItem(atPath: dir.file("frame.db-shm"))
        #expect(try tags(dir.file("frame.db")).isEmpty)
    }

    /// A log another process has open may be half-way through a frame: it is left to SQLite.
    @Test func aLogAnotherProcessHasOpenIsNotRead() throws {
        let dir = TempDir()
        _ = try storeWithALog(dir, "held.db")
        try overwrite(dir.file("held.db-wal"), at: 32 + (24 + 4096) + 24 + 100, count: 200)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("SELECT COUNT(*) FROM runs").fetchall()
            print("open", flush=True)
            sys.stdin.read()
            """, dir.file("held.db")]
        let child = try TestChild(holder, input: true)
        defer {
            child.send("")  // closes its input: it ends
            _ = try? child.finish(within: .seconds(60))
        }
        try child.waitFor("the holder opened the store", within: .seconds(60)) { out, _ in out.contains("open") }
        #expect(try tags(dir.file("held.db")).count < 5, "read as SQLite recovered it, without the check")
    }
}
