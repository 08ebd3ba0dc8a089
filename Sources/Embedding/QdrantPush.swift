import ExperimentStore
import Foundation
import Qdrant

/// Sends a run's commit embeddings to a Qdrant collection, recording each acknowledged
/// batch in the store's ledger (`qdrant_pushes`), so a push that stops halfway sends only
/// the rest when run again, and a second push of the same run sends nothing.
///
///     let stats = try QdrantPush(QdrantPush.Options(url: "http://127.0.0.1:6333", collection: "commits"))
///         .run(store: store, runRef: "latest")
///
/// The collection is created when missing (the vectors' size, Cosine) with payload indexes on
/// `author` (keyword) and `time` (datetime); an existing one must have the same size and
/// distance. When the collection had to be created, the ledger's entries for it are
/// forgotten first (they describe a collection that no longer exists). Point ids are
/// UUIDv5 of the commit hashes (`PointID.uuid5`).
public struct QdrantPush {
    public struct Options: Sendable {
        public var url: String
        public var collection: String
        /// Read from the environment by the caller; never stored, logged or printed.
        public var apiKey: String?
        public var batchSize: Int
        /// The model whose embeddings to push, when the run holds several.
        public var model: String?
        /// Send every point, whatever the ledger says.
        public var force: Bool
        public var timeouts: HTTPTimeouts
        public var retry: RetryPolicy

        /// Points per upsert request, unless told otherwise (`qdrant.batch_size`, `--batch-size`).
        public static let defaultBatchSize = 256

        public init(url: String, collection: String, apiKey: String? = nil, batchSize: Int = defaultBatchSize, model: String? = nil,
                    force: Bool = false, timeouts: HTTPTimeouts = HTTPTimeouts(), retry: RetryPolicy = RetryPolicy()) {
            self.url = url
            self.collection = collection
            self.apiKey = apiKey
            self.batchSize = batchSize
            self.model = model
            self.force = force
            self.timeouts = timeouts
            self.retry = retry
        }
    }

    public struct Stats: Codable, Sendable, Equatable {
        public var runID: Int64
        public var url: String
        public var collection: String
        public var model: String
        public var dimension: Int
        public var points: Int
        public var sent: Int
        /// Already in the ledger for this collection.
        public var skipped: Int
        public var batches: Int
        public var createdCollection: Bool
        public var seconds: Double
        public var pointsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", url, collection, model, dimension, points, sent, skipped, batches
            case createdCollection = "created_collection", seconds, pointsPerSecond = "points_per_second"
        }
    }

    public let options: Options
    public init(_ options: Options) {
        precondition(options.batchSize >= 1)
        self.options = options
    }

    public static let phaseName = "push"

    public func run(store: ExperimentStore, runRef: String, progress: (ProgressReport) -> Void = { _ in }) throws -> Stats {
        let run = try store.run(runRef)
        let started = Date().timeIntervalSince1970
        var reached: Stats?
        do {
            let stats = try push(store: store, runID: run.id, reached: &reached, progress: progress)
            try store.recordPhase(runID: run.id, name: Self.phaseName, status: .finished, startedAt: started,
                                  endedAt: Date().timeIntervalSince1970, stats: stats)
            return stats
        } catch {
            if let reached {
                try? store.recordPhase(runID: run.id, name: Self.phaseName, status: .failed, startedAt: started,
                                       endedAt: Date().timeIntervalSince1970, stats: reached, error: "\(error)")
            }
            throw error
        }
    }

    /// Pushes run `runID`'s embeddings, recording no phase (the caller does); `reached`
    /// holds the counts so far when it throws. A failure after the collection was reached
    /// says how many points are in and that pushing again sends the rest.
    public func push(store: ExperimentStore, runID: Int64, reached: inout Stats?,
                     progress: (ProgressReport) -> Void = { _ in }) throws -> Stats {
        let set = try Self.embeddingSet(store: store, runID: runID, model: options.model)
        let records = try store.embeddings(runID: runID, model: set.model)
        let client = try QdrantClient(url: options.url, apiKey: options.apiKey, timeouts: options.timeouts, retry: options.retry)
        let clock = ProgressClock()
        var stats = Stats(runID: runID, url: client.url, collection: options.collection, model: set.model, dimension: set.dimension,
                          points: records.count, sent: 0, skipped: 0, batches: 0, createdCollection: false, seconds: 0, pointsPerSecond: 0)
        do {
            stats.createdCollection = try client.ensureCollection(options.collection, vectors: VectorParams(size: set.dimension))
            try client.createPayloadIndex(collection: options.collection, field: "author", schema: "keyword")
            try client.createPayloadIndex(collection: options.collection, field: "time", schema: "datetime")
            if stats.createdCollection || options.force {
                try store.forgetPushes(runID: runID, url: client.url, collection: options.collection)
            }
            let pushed = try store.pushedItems(runID: runID, url: client.url, collection: options.collection)
            let pending = records.filter { !pushed.contains($0.itemID) }
            stats.skipped = records.count - pending.count
            progress(clock.report(0, pending.count))
            for start in stride(from: 0, to: pending.count, by: options.batchSize) {
                let batch = pending[start..<min(pending.count, start + options.batchSize)]
                let points = batch.map { QdrantPoint(id: PointID.uuid5($0.itemID), vector: $0.vector, payloadJSON: $0.payloadJSON) }
                try client.upsert(collection: options.collection, points: points)
                try store.recordPushes(runID: runID, url: client.url, collection: options.collection,
                                       points: zip(batch, points).map { ($0.itemID, $1.id) })
                stats.sent += batch.count
                stats.batches += 1
                progress(clock.report(stats.sent, pending.count))
            }
        } catch {
            stats.seconds = clock.elapsed
            reached = stats
            let done = stats.skipped + stats.sent
            throw EmbeddingError("\(error)\n\(done) of \(records.count) points of run \(runID) are in '\(options.collection)' (recorded in the store); run the same push again to send the other \(records.count - done)")
        }
        stats.seconds = clock.elapsed
        stats.pointsPerSecond = stats.seconds > 0 ? Double(stats.sent) / stats.seconds : 0
        return stats
    }

    /// The run's embeddings of `model`, or its only model's; an error when there are none or several.
    static func embeddingSet(store: ExperimentStore, runID: Int64, model: String?) throws -> EmbeddingSet {
        let sets = try store.embeddingSets(runID: runID)
        if let model {
            guard let set = sets.first(where: { $0.model == model }) else {
                throw EmbeddingError("run \(runID) has no embeddings made by '\(model)' (it has: \(sets.map(\.model).joined(separator: ", ")))")
            }
            return set
        }
        guard let set = sets.first else {
            throw EmbeddingError("run \(runID) has no embeddings: make them with `blocklab embed --input commits.jsonl --run \(runID)`")
        }
        guard sets.count == 1 else {
            throw EmbeddingError("run \(runID) has embeddings of several models (\(sets.map(\.model).joined(separator: ", "))): pass --model NAME")
        }
        return set
    }
}
