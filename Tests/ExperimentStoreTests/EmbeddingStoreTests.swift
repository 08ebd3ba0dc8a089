import Foundation
import TestSupport
import GRDB
import Testing
@testable import ExperimentStore

@Suite struct EmbeddingStoreTests {
    @Test func vectorsRoundTripAsLittleEndianFloat32() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "embed"))
        try run.finish()
        let records = [EmbeddingRecord(itemID: "b", vector: [1.5, -0.25, .leastNonzeroMagnitude], payloadJSON: #"{"hash":"b"}"#),
                       EmbeddingRecord(itemID: "a", vector: [0, 1, 2])]
        try store.saveEmbeddings(runID: run.id, model: "m", dimension: 3, records: records)
        #expect(try store.embeddings(runID: run.id, model: "m") == records.reversed())
        // The BLOB is exactly 12 bytes of float32 little-endian, readable by any SQLite client.
        let hex = try shell("sqlite3 \(dir.file("s.db")) \"SELECT hex(vector) FROM embeddings WHERE item_id = 'b'\"").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hex == "0000C03F000080BE01000000")
    }

    /// Embedding the same items again with the same model replaces them.
    @Test func reEmbeddingReplacesInsteadOfDuplicating() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "embed"))
        try run.finish()
        try store.saveEmbeddings(runID: run.id, model: "m", dimension: 2, records: [EmbeddingRecord(itemID: "a", vector: [1, 0])])
        try store.saveEmbeddings(runID: run.id, model: "m", dimension: 2, records: [EmbeddingRecord(itemID: "a", vector: [0, 1], payloadJSON: #"{"v":2}"#),
                                                                                    EmbeddingRecord(itemID: "c", vector: [1, 1])])
        try store.saveEmbeddings(runID: run.id, model: "other", dimension: 1, records: [EmbeddingRecord(itemID: "a", vector: [3])])
        #expect(try store.embeddings(runID: run.id, model: "m") == [EmbeddingRecord(itemID: "a", vector: [0, 1], payloadJSON: #"{"v":2}"#),
                                                                    EmbeddingRecord(itemID: "c", vector: [1, 1])])
        #expect(try store.embeddingSets(runID: run.id) == [EmbeddingSet(runID: run.id, model: "m", dimension: 2, count: 2),
                                                          EmbeddingSet(runID: run.id, model: "other", dimension: 1, count: 1)])
    }

    @Test func ledgerRecordsAndForgetsPushesPerCollection() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "embed"))
        try run.finish()
        try store.recordPushes(runID: run.id, url: "http://q:6333", collection: "c", points: [("a", "u-a"), ("b", "u-b")])
        try store.recordPushes(runID: run.id, url: "http://q:6333", collection: "d", points: [("a", "u-a")])
        try store.recordPushes(runID: run.id, url: "http://q:6333", collection: "c", points: [("b", "u-b")])  // again: no duplicate
        #expect(try store.pushedItems(runID: run.id, url: "http://q:6333", collection: "c") == ["a", "b"])
        #expect(try store.pushedItems(runID: run.id, url: "http://other:6333", collection: "c") == [])
        #expect(try store.forgetPushes(runID: run.id, url: "http://q:6333", collection: "c") == 2)
        #expect(try store.pushedItems(runID: run.id, url: "http://q:6333", collection: "d") == ["a"])
        // Deleting the run deletes its embeddings and ledger (foreign keys, cascade).
        try store.saveEmbeddings(runID: run.id, model: "m", dimension: 1, records: [EmbeddingRecord(itemID: "a", vector: [1])])
        try store.deleteRun(id: run.id)
        #expect(try store.embeddingSets() == [])
        #expect(try store.pushedItems(runID: run.id, url: "http://q:6333", collection: "d") == [])
    }

    @Test func phasesCanBeAddedToAFinishedRun() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "scrape"))
        try run.finish()
        try store.recordPhase(runID: run.id, name: "push", status: .finished, startedAt: 10, endedAt: 12.5, stats: ["points": 3])
        let phase = try #require(try store.phases(runID: run.id).first)
        #expect(phase.name == "push" && phase.status == .finished && phase.durationSeconds == 2.5)
        #expect(phase.stats == .object(["points": .int(3)]))
    }
}
