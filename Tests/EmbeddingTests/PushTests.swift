@testable import Embedding
import ExperimentStore
import Foundation
import TestSupport
import Qdrant
import QdrantTestSupport
import Testing

/// `QdrantPush` against the Qdrant test server, with vectors stored directly (no model).
@Suite(.tags(.server)) struct PushTests {
    static let fastRetry = RetryPolicy(attempts: 3, baseDelay: 0.01, maxDelay: 0.02)

    /// A store with one finished run holding `count` unit vectors of 8 dimensions.
    static func storeWithEmbeddings(_ directory: URL, count: Int) throws -> (ExperimentStore, Int64, [EmbeddingRecord]) {
        let store = try ExperimentStore.open(at: directory.appendingPathComponent("s.db").path)
        let run = try store.startRun(RunSpec(name: "embed"))
        try run.finish()
        var generator = SystemRandomNumberGenerator()
        let records = (0..<count).map { i -> EmbeddingRecord in
            let hash = String(format: "%040x", i * 7919)
            let raw = (0..<8).map { _ in Float.random(in: -1...1, using: &generator) }
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return EmbeddingRecord(itemID: hash, vector: raw.map { $0 / norm },
                                   payloadJSON: #"{"author":"A\#(i % 3)","hash":"\#(hash)","subject":"commit \#(i)","time":"2024-01-0\#(i % 9 + 1)T10:00:00+00:00"}"#)
        }
        try store.saveEmbeddings(runID: run.id, model: "test-model", dimension: 8, records: records)
        return (store, run.id, records.sorted { $0.itemID < $1.itemID })
    }

    func options(_ server: QdrantTestServer, batchSize: Int = 4, apiKey: String? = nil) -> QdrantPush.Options {
        QdrantPush.Options(url: server.url, collection: "commits", apiKey: apiKey, batchSize: batchSize, retry: Self.fastRetry)
    }

    @Test func pushThenRepushSendsNothing() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runID, _) = try Self.storeWithEmbeddings(directory, count: 10)
        let server = try QdrantTestServer()
        let first = try QdrantPush(options(server)).run(store: store, runRef: "\(runID)")
        #expect(first.sent == 10 && first.skipped == 0 && first.batches == 3 && first.createdCollection)
        try server.reset()
        let second = try QdrantPush(options(server)).run(store: store, runRef: "\(runID)")
        #expect(second.sent == 0 && second.skipped == 10 && !second.createdCollection)
        #expect(try server.requests().allSatisfy { $0.points == nil }, "a re-push uploads no point")
        #expect(try store.phases(runID: runID).map(\.name) == ["push", "push"])
        // --force sends everything again; the ids are the same, so the collection still holds 10.
        let forced = try QdrantPush(QdrantPush.Options(url: server.url, collection: "commits", batchSize: 4, force: true, retry: Self.fastRetry))
            .run(store: store, runRef: "\(runID)")
        #expect(forced.sent == 10)
        let client = try QdrantClient(url: server.url)
        #expect(try client.query(collection: "commits", vector: [1, 0, 0, 0, 0, 0, 0, 0], limit: 100).count == 10)
    }

    /// A 400 after two batches stops the push (not retried); the ledger keeps those two, and
    /// the next push sends only the rest.
    @Test func interruptedPushResumes() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runID, _) = try Self.storeWithEmbeddings(directory, count: 10)
        let server = try QdrantTestServer()
        try server.addFault(method: "PUT", path: "/collections/commits/points", status: 400, count: 1, skip: 2,
                            error: "Wrong input: injected by the test")
        do {
            _ = try QdrantPush(options(server)).run(store: store, runRef: "\(runID)")
            Issue.record("the push should have failed")
        } catch {
            #expect("\(error)".contains("Wrong input: injected by the test"))
            #expect("\(error)".contains("8 of 10 points of run \(runID) are in 'commits'"))
            #expect("\(error)".contains("run the same push again to send the other 2"))
        }
        let upserts = try server.requests().filter { $0.method == "PUT" && $0.path.hasSuffix("/points") }
        #expect(upserts.map(\.status) == [200, 200, 400], "batches of 4; the 400 is not retried")
        #expect(try store.pushedItems(runID: runID, url: server.url, collection: "commits").count == 8)
        try server.reset()
        let resumed = try QdrantPush(options(server)).run(store: store, runRef: "\(runID)")
        #expect(resumed.skipped == 8 && resumed.sent == 2)
        #expect(try server.requests().compactMap(\.points) == [2])
        #expect(try store.phases(runID: runID).map(\.status) == [.failed, .finished])
    }

    /// qdrant-client (Qdrant's own Python client, REST) reads back the same ids, vectors and payloads.
    @Test func qdrantClientReadsBackWhatBlockLabWrote() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runID, records) = try Self.storeWithEmbeddings(directory, count: 7)
        let server = try QdrantTestServer(apiKey: "test-key-1")
        _ = try QdrantPush(options(server, apiKey: "test-key-1")).run(store: store, runRef: "\(runID)")
        let ids = records.map { PointID.uuid5($0.itemID) }
        let idsFile = directory.appendingPathComponent("ids.json")
        try JSONSerialization.data(withJSONObject: ids).write(to: idsFile)
        let output = try runProcess(try embeddingPython(), [repositoryRoot.appendingPathComponent("scripts/bench/embed_peers.py").path, "readback",
                                                            "--url", server.url, "--collection", "commits", "--ids", idsFile.path,
                                                            "--api-key-env", "READBACK_KEY"], environment: ["READBACK_KEY": "test-key-1"])
        let last = try #require(output.split(separator: "\n").last, "the readback printed nothing")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(last)")
        #expect(answer["count"] as? Int == 7)
        let points = try #require(answer["points"] as? [[String: Any]])
        let byID = Dictionary(try points.map { (try #require($0["id"] as? String), $0) }) { first, _ in first }
        for (record, id) in zip(records, ids) {
            let point = try #require(byID[id], "point \(id) of \(record.itemID)")
            let vector = try #require(point["vector"] as? [NSNumber]).map(\.floatValue)
            #expect(zip(vector, record.vector).allSatisfy { abs($0 - $1) < 1e-6 })
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(record.payloadJSON.utf8)) as? NSDictionary)
            #expect(point["payload"] as? NSDictionary == payload)
        }
    }

    @Test func sizeMismatchIsRefusedBeforeSendingAnything() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runID, _) = try Self.storeWithEmbeddings(directory, count: 3)
        let server = try QdrantTestServer()
        try QdrantClient(url: server.url).ensureCollection("commits", vectors: VectorParams(size: 384))
        do {
            _ = try QdrantPush(options(server)).run(store: store, runRef: "\(runID)")
            Issue.record("a 384-dimensional collection must refuse 8-dimensional points")
        } catch {
            #expect("\(error)".contains("holds 384-dimensional Cosine vectors, but these embeddings are 8-dimensional Cosine"))
        }
        #expect(try server.requests().allSatisfy { $0.points == nil })
        #expect(try store.pushedItems(runID: runID, url: server.url, collection: "commits").isEmpty)
    }

    @Test func aRunWithoutEmbeddingsIsNamed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ExperimentStore.open(at: directory.appendingPathComponent("s.db").path)
        let run = try store.startRun(RunSpec(name: "scrape"))
        try run.finish()
        #expect(throws: EmbeddingError("run \(run.id) has no embeddings: make them with `blocklab embed --input commits.jsonl --run \(run.id)`")) {
            _ = try QdrantPush(QdrantPush.Options(url: "http://127.0.0.1:1", collection: "c")).run(store: store, runRef: "latest")
        }
    }
}
