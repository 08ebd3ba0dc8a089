import Foundation
import TestSupport
import GRDB
import Testing
@testable import ExperimentStore

/// The store file alone is complete once a writer is done: what people copy is `.db`.
@Suite struct CheckpointTests {
    /// Copies the store file alone (no `-wal`) into a new folder and reads it there.
    private func copyAlone(_ path: String, into dir: TempDir) throws -> ExperimentStore {
        try FileManager.default.createDirectory(atPath: dir.file("copy"), withIntermediateDirectories: true)
        let copy = dir.file("copy/" + URL(fileURLWithPath: path).lastPathComponent)
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        #expect(!FileManager.default.fileExists(atPath: copy + "-wal"))
        return try ExperimentStore.open(at: copy, mode: .readOnly)
    }

    @Test func aFinishedRunIsInTheStoreFileWhileTheStoreIsStillOpen() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "copied"))
        for step in 0..<500 { run.log(step: step, ["loss": Double(step)]) }
        try run.finish()
        let wal = try FileManager.default.attributesOfItem(atPath: dir.file("s.db-wal"))[.size] as? NSNumber
        #expect(wal?.intValue == 0, "the log was emptied into the store file")
        let copy = try copyAlone(dir.file("s.db"), into: dir)
        let found = try copy.run("copied")
        #expect(found.status == .finished)
        #expect(try copy.metricHistory(runID: found.id, key: "loss").count == 500)
    }

    /// A reader in the middle of a read keeps the log from being emptied: the checkpoint
    /// waits a bounded time, then gives up without failing, and the next one completes.
    /// The reader lets go by itself after 90 s, more than the store's busy timeout (60 s):
    /// a checkpoint that waited as long as a writer does would outlast it, and complete.
    @Test func aReaderHoldingASnapshotDelaysTheCheckpointButNeverFailsIt() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let first = try store.startRun(RunSpec(name: "first"))
        try first.finish()
        let reader = try DatabaseQueue(path: dir.file("s.db"), configuration: {
            var c = Configuration(); c.readonly = true; return c
        }())
        let reading = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let readerError = Mutexed<String?>(nil)
        Thread {
            do {
                try reader.read { db in
                    _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs")
                    reading.signal()
                    _ = release.wait(timeout: .now() + 90)
                }
            } catch { readerError.value = "\(error)" }
            done.signal()
        }.start()
        try #require(reading.wait(timeout: .now() + 60) == .success, "the reader started")
        let second = try store.startRun(RunSpec(name: "second"))
        second.log(step: 1, ["loss": 1])
        try second.finish()  // its checkpoint cannot complete, and does not throw
        #expect(!store.checkpoint(), "a reader on an older snapshot keeps frames in the log")
        release.signal()
        try #require(done.wait(timeout: .now() + 60) == .success, "the reader ended")
        #expect(readerError.value == nil)
        #expect(store.checkpoint())
        #expect(try copyAlone(dir.file("s.db"), into: dir).run("second").name == "second")
    }

    @Test func aReadOnlyStoreDoesNotCheckpoint() throws {
        let dir = TempDir()
        _ = try ExperimentStore.open(at: dir.file("s.db")).startRun(RunSpec(name: "r")).finish()
        #expect(!(try ExperimentStore.open(at: dir.file("s.db"), mode: .readOnly).checkpoint()))
    }
}
