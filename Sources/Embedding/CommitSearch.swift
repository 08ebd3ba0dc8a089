import ExperimentStore
import Foundation
import Qdrant

/// Finds the commits nearest in meaning to a text: the text is embedded with the same model
/// as the commits, then either Qdrant is asked (`POST /points/query`), or the store's vectors
/// of one run are searched exactly (`ExactSearch`).
///
///     let hits = try CommitSearch(model: model).inStore(store, runRef: "latest", query: "fix retry logic", top: 5)
public struct CommitSearch {
    /// One result: the commit, its subject and author time, and the cosine similarity.
    public struct Hit: Codable, Sendable, Equatable {
        public var rank: Int
        public var hash: String
        public var subject: String
        public var date: String
        public var score: Double
    }

    public let model: SentenceModel
    public let threads: Int
    public init(model: SentenceModel, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.model = model
        self.threads = threads
    }

    func embed(_ query: String) throws -> [Float] {
        try TextEmbedder(model: model, batchSize: 8, threads: threads).embed([query])[0]
    }

    /// Exact search over the embeddings `runRef` holds for this model (the newest run with
    /// any, when `runRef` is nil), among the commits `filter` lets through.
    public func inStore(_ store: ExperimentStore, runRef: String?, query: String, top: Int,
                        filter: CommitFilter = CommitFilter()) throws -> (runID: Int64, hits: [Hit]) {
        let runID: Int64
        if let runRef {
            runID = try store.run(runRef).id
        } else {
            guard let newest = try store.embeddingSets().first(where: { $0.model == model.name }) else {
                throw EmbeddingError("no run in \(store.path) has embeddings made by \(model.name): run `blocklab embed --input commits.jsonl` first")
            }
            runID = newest.runID
        }
        let all = try store.embeddings(runID: runID, model: model.name)
        guard !all.isEmpty else {
            let others = try store.embeddingSets(runID: runID).map(\.model)
            throw EmbeddingError(others.isEmpty
                ? "run \(runID) has no embeddings: run `blocklab embed --input commits.jsonl --run \(runID)`"
                : "run \(runID)'s embeddings were made by \(others.joined(separator: ", ")), not \(model.name): pass --model with that model's directory")
        }
        let records = filter.isEmpty ? all : all.filter { filter.matches(payloadJSON: $0.payloadJSON) }
        let vector = try embed(query)
        var flat: [Float] = []
        flat.reserveCapacity(records.count * model.dimension)
        for record in records { flat += record.vector }
        let found = ExactSearch.top(top, query: vector, vectors: flat, dimension: model.dimension, threads: threads)
        return (runID, found.enumerated().map { rank, hit in
            Self.hit(rank: rank + 1, payloadJSON: records[hit.index].payloadJSON, fallbackHash: records[hit.index].itemID, score: Double(hit.score))
        })
    }

    /// The nearest points of a Qdrant collection, as BlockLab pushed them, among those whose
    /// payload `filter` lets through (a Qdrant payload filter).
    public func inQdrant(url: String, collection: String, apiKey: String?, query: String, top: Int, filter: CommitFilter = CommitFilter(),
                         timeouts: HTTPTimeouts = HTTPTimeouts(), retry: RetryPolicy = RetryPolicy()) throws -> [Hit] {
        let vector = try embed(query)
        let client = try QdrantClient(url: url, apiKey: apiKey, timeouts: timeouts, retry: retry)
        guard let vectors = try client.collectionVectors(collection) else {
            throw EmbeddingError("Qdrant at \(client.url) has no collection '\(collection)': push one with `blocklab push RUN --qdrant-url \(client.url) --collection \(collection)`")
        }
        guard vectors.size == model.dimension else {
            throw EmbeddingError("the collection '\(collection)' holds \(vectors.size)-dimensional vectors but \(model.name) makes \(model.dimension): pass --model with the model its points were made by")
        }
        return try client.query(collection: collection, vector: vector, limit: top, filter: filter.qdrantFilter).enumerated().map { rank, point in
            Self.hit(rank: rank + 1, payloadJSON: point.payloadJSON ?? "{}", fallbackHash: point.id, score: point.score)
        }
    }

    static func hit(rank: Int, payloadJSON: String, fallbackHash: String, score: Double) -> Hit {
        let payload = (try? JSONSerialization.jsonObject(with: Data(payloadJSON.utf8))) as? [String: Any] ?? [:]
        return Hit(rank: rank, hash: payload["hash"] as? String ?? fallbackHash, subject: payload["subject"] as? String ?? "",
                   date: payload["time"] as? String ?? "", score: score)
    }
}
