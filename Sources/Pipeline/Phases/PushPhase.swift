import Embedding
import ExperimentStore
import Foundation
import Qdrant

/// The Qdrant push, when the config names a URL: the run's embeddings to a collection,
/// skipping points the store's ledger says are there. Stats: `QdrantPush.Stats`.
///
/// After a reused `embed` (the same vectors as an earlier run's), the earlier run's ledger
/// for this server and collection is carried into this run first (`carryLedger`), so a
/// second pipeline run on unchanged inputs sends nothing: the push still reaches the server
/// and checks the collection, and a collection that was dropped meanwhile is created again
/// and filled in full (`QdrantPush` forgets the ledger then).
public struct PushPhase {
    public typealias Inputs = QdrantPush.Options

    public struct Outputs {
        public var stats: QdrantPush.Stats
    }

    public static let name = PhaseName.push
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    /// `embedsFrom`: the run whose vectors this run's `embed` reused, if any.
    public func run(_ phase: PhaseRecorder, embedsFrom: Int64? = nil, progress: PipelineProgress) throws -> Outputs {
        if let earlier = embedsFrom {
            let carried = try carryLedger(from: earlier, into: phase.run)
            phase.set("ledger_from_run", .int(earlier))
            phase.set("ledger_carried", .int(Int64(carried)))
        }
        var reached: QdrantPush.Stats?
        do {
            let stats = try QdrantPush(inputs).push(store: phase.run.store, runID: phase.run.id, reached: &reached) { report in
                progress.update(phase: Self.name.rawValue, done: report.done, total: report.total, unit: "points")
            }
            try phase.record(stats: stats)
            return Outputs(stats: stats)
        } catch {
            if let reached { try? phase.record(stats: reached) }
            throw error
        }
    }

    /// Records in `run`'s ledger the items of run `earlier` that Qdrant acknowledged at this
    /// URL and collection and that `run` holds too (the same commits, the same point ids).
    /// Returns how many.
    @discardableResult
    public func carryLedger(from earlier: Int64, into run: RunHandle) throws -> Int {
        let store = run.store
        let url: String
        do { url = try QdrantClient(url: inputs.url).url } catch { throw PipelineError("qdrant.url \(inputs.url): \(error)") }
        let pushed = try store.pushedItems(runID: earlier, url: url, collection: inputs.collection)
        guard !pushed.isEmpty else { return 0 }
        var items = Set<String>()
        for set in try store.embeddingSets(runID: run.id) {
            for record in try store.embeddings(runID: run.id, model: set.model) where pushed.contains(record.itemID) { items.insert(record.itemID) }
        }
        try store.recordPushes(runID: run.id, url: url, collection: inputs.collection,
                               points: items.sorted().map { ($0, PointID.uuid5($0)) })
        return items.count
    }
}
