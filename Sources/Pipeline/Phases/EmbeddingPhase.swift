import Embedding
import ExperimentStore
import Foundation

/// Phase 3 (`embed`): one vector per commit of the scrape, stored in the run (the store's
/// `embeddings`). Stats: `EmbedPhase.Stats`. Needs libtorch loaded and the sentence model.
public struct EmbeddingPhase {
    public typealias Inputs = EmbedPhase.Inputs

    public struct Outputs {
        public var stats: EmbedPhase.Stats
    }

    public static let name = PhaseName.embed
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    public func run(_ phase: PhaseRecorder, progress: PipelineProgress) throws -> Outputs {
        let embedder = EmbedPhase(inputs)
        let loaded = try embedder.load()
        let stats = try embedder.embed(loaded, store: phase.run.store, runID: phase.run.id) { report in
            progress.update(phase: Self.name.rawValue, done: report.done, total: report.total, unit: "commits")
        }
        try phase.record(stats: stats)
        phase.run.log(step: 0, ["embed/texts_per_second": stats.textsPerSecond, "embed/commits": Double(stats.commits)])
        return Outputs(stats: stats)
    }

    /// Reuse: the earlier run's vectors, copied into this run (the manifest and `push` read a run's own).
    public static func copy(from runID: Int64, into phase: PhaseRecorder) throws {
        let store = phase.run.store
        for set in try store.embeddingSets(runID: runID) {
            let records = try store.embeddings(runID: runID, model: set.model)
            try store.saveEmbeddings(runID: phase.run.id, model: set.model, dimension: set.dimension, records: records)
        }
    }
}
