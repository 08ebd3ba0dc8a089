import Embedding
import ExperimentStore
import Foundation

/// Phase 3 (`embed`): one vector per commit of the scrape, stored in the run (the store's
/// `embeddings`). Stats: `EmbedPhase.Stats`. Needs libtorch loaded and the sentence model.
/// The same in the pipeline and in `blocklab embed`, which loads first (`load`), so a bad
/// input or a missing model leaves no run behind.
public struct EmbeddingPhase {
    public typealias Inputs = EmbedPhase.Inputs

    public struct Outputs {
        public var runID: Int64
        public var stats: EmbedPhase.Stats
    }

    public static let name = PhaseName.embed
    public var inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    /// The inputs for `commitsFile` from the config's `embeddings` section.
    public init(commitsFile: URL, config: PipelineConfig.Embeddings) {
        self.init(Inputs(commitsFile: commitsFile, modelDirectory: Self.modelDirectory(config),
                         batchSize: config.batchSize, threads: config.threads ?? PipelineConfig.cores))
    }

    /// `embeddings.model`, else the default model's directory (scripts/setup/embeddings.sh).
    public static func modelDirectory(_ config: PipelineConfig.Embeddings) -> URL {
        config.model.map { URL(fileURLWithPath: $0) } ?? SentenceModel.defaultDirectory
    }

    /// Reads the commits and loads the model; throws naming what is missing.
    public func load() throws -> EmbedPhase.Loaded { try EmbedPhase(inputs).load() }

    /// Embeds into `phase`'s run (`loaded`: from `load`, else loaded here).
    public func run(_ phase: PhaseRecorder, loaded: EmbedPhase.Loaded? = nil, progress: PipelineProgress) throws -> Outputs {
        let loaded = try loaded ?? load()
        let stats = try EmbedPhase(inputs).embed(loaded, store: phase.run.store, runID: phase.run.id) { report in
            progress.update(phase: Self.name.rawValue, done: report.done, total: report.total, unit: "commits")
        }
        try phase.record(stats: stats)
        phase.run.log(step: 0, ["embed/texts_per_second": stats.textsPerSecond, "embed/commits": Double(stats.commits)])
        return Outputs(runID: phase.run.id, stats: stats)
    }

    /// `blocklab embed --run RUN`: adds the phase and the vectors to an existing run (one
    /// that is no longer running has no handle: the phase is recorded as a whole, failed
    /// with its error if the embedding fails).
    public func run(addingTo run: String, store: ExperimentStore, progress: PipelineProgress) throws -> Outputs {
        let outputs = try EmbedPhase(inputs).run(store: store, target: .existingRun(run)) { report in
            progress.update(phase: Self.name.rawValue, done: report.done, total: report.total, unit: "commits")
        }
        return Outputs(runID: outputs.runID, stats: outputs.stats)
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
