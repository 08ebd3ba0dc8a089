import ExperimentStore
import Foundation

/// Phase 3: one vector per commit of a scrape, stored in the experiment store.
///
///     var inputs = EmbedPhase.Inputs(commitsFile: URL(fileURLWithPath: "out/scrape/commits.jsonl"))
///     let outputs = try EmbedPhase(inputs).run(store: store, target: .newRun(RunSpec(name: "embed")))
///     print(outputs.runID, outputs.stats.textsPerSecond)
///
/// The commits and the model are read before anything is recorded, so a bad input or a
/// missing model leaves no run behind. The vectors are written in one transaction at the end:
/// a failed or interrupted embed writes none. Embedding the same commits again with the same
/// model (`.existingRun`) replaces their vectors.
public struct EmbedPhase {
    public struct Inputs: Sendable {
        public var commitsFile: URL
        public var modelDirectory: URL
        /// Windows per encoder call.
        public var batchSize: Int
        public var threads: Int

        public init(commitsFile: URL, modelDirectory: URL = SentenceModel.defaultDirectory, batchSize: Int = 32,
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.commitsFile = commitsFile
            self.modelDirectory = modelDirectory
            self.batchSize = batchSize
            self.threads = threads
        }
    }

    /// Where the embeddings go: a new run, or an existing one (RUN as `blocklab` takes it).
    public enum Target {
        case newRun(RunSpec)
        case existingRun(String)
    }

    /// What the phase records as its stats (`phases.stats_json`) and returns.
    public struct Stats: Codable, Sendable, Equatable {
        public var input: String
        public var model: String
        public var modelDirectory: String
        public var dimension: Int
        public var commits: Int
        public var embedding: EmbeddingStats
        public var seconds: Double
        /// Commits per second of embedding (tokenizing and encoding, not reading or storing).
        public var textsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case input, model, modelDirectory = "model_directory", dimension, commits, embedding, seconds
            case textsPerSecond = "texts_per_second"
        }
    }

    public struct Outputs: Sendable {
        public var runID: Int64
        public var stats: Stats
    }

    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    public static let phaseName = "embed"

    public func run(store: ExperimentStore, target: Target, progress: (ProgressReport) -> Void = { _ in }) throws -> Outputs {
        let loaded = try load()
        let started = Date().timeIntervalSince1970
        var handle: RunHandle?
        let runID: Int64
        switch target {
        case .newRun(let spec):
            let run = try store.startRun(spec)
            try run.startPhase(Self.phaseName)
            handle = run
            runID = run.id
        case .existingRun(let ref):
            runID = try store.run(ref).id
        }
        do {
            let stats = try embed(loaded, store: store, runID: runID, progress: progress)
            if let handle {
                try handle.finishPhase(Self.phaseName, stats: stats)
                handle.log(step: 0, ["embed/texts_per_second": stats.textsPerSecond, "embed/commits": Double(stats.commits)])
                try handle.finish()
            } else {
                try store.recordPhase(runID: runID, name: Self.phaseName, status: .finished, startedAt: started,
                                      endedAt: Date().timeIntervalSince1970, stats: stats)
            }
            return Outputs(runID: runID, stats: stats)
        } catch {
            let message = "\(error)"
            if let handle {
                try? handle.finishPhase(Self.phaseName, status: .failed, error: message)
                try? handle.finish(status: .failed, error: message)
            } else {
                try? store.recordPhase(runID: runID, name: Self.phaseName, status: .failed, startedAt: started,
                                       endedAt: Date().timeIntervalSince1970, stats: [String: String](), error: message)
            }
            throw error
        }
    }

    /// The commits and the model, read before anything is recorded.
    public struct Loaded {
        let commits: [CommitRecord]
        let model: SentenceModel
        let clock = ProgressClock()
    }

    /// Reads the commits file and loads the model; throws naming what is missing.
    public func load() throws -> Loaded {
        Loaded(commits: try CommitRecord.read(inputs.commitsFile), model: try SentenceModel.load(directory: inputs.modelDirectory))
    }

    /// Embeds the loaded commits and saves their vectors under `runID` in one transaction,
    /// recording no phase: the caller records the phase around it (the pipeline's run, or `run`).
    public func embed(_ loaded: Loaded, store: ExperimentStore, runID: Int64,
                      progress: (ProgressReport) -> Void = { _ in }) throws -> Stats {
        let commits = loaded.commits, model = loaded.model, clock = loaded.clock
        let embedder = TextEmbedder(model: model, batchSize: inputs.batchSize, threads: inputs.threads)
        let texts = commits.map(CommitText.text)
        let vectors = try embedder.embed(texts) { done, total in progress(clock.report(done, total)) }
        let records = zip(commits, vectors).map { commit, vector in
            EmbeddingRecord(itemID: commit.hash, vector: vector, payloadJSON: CommitText.payload(of: commit))
        }
        try store.saveEmbeddings(runID: runID, model: model.name, dimension: model.dimension, records: records)
        return Stats(input: inputs.commitsFile.standardizedFileURL.path, model: model.name,
                     modelDirectory: model.directory.standardizedFileURL.path, dimension: model.dimension,
                     commits: commits.count, embedding: embedder.stats, seconds: clock.elapsed,
                     textsPerSecond: embedder.stats.seconds > 0 ? Double(commits.count) / embedder.stats.seconds : 0)
    }
}
