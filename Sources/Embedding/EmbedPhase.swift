import ExperimentStore
import Foundation

/// Phase 3: one vector per commit of a scrape, stored in the experiment store.
///
///     var inputs = EmbedPhase.Inputs(commitsFile: URL(fileURLWithPath: "out/scrape/commits.jsonl"))
///     let outputs = try EmbedPhase(inputs).run(store: store, target: .newRun(RunSpec(name: "embed")))
///     print(outputs.runID, outputs.stats.textsPerSecond)
///
/// The commits and the model are read before anything is recorded, so a bad input or a
/// missing model leaves no run behind. Finished vectors are saved as they come, at least
/// `commitsPerSave` commits per transaction, so an embed that fails or is killed keeps what
/// it finished (whole commits only). Embedding into a run again (`.existingRun`) embeds only
/// the commits it has no vector of that model for, which resumes an interrupted embed;
/// `Inputs.force` embeds them all again, replacing their vectors.
public struct EmbedPhase {
    public struct Inputs: Sendable {
        public var commitsFile: URL
        public var modelDirectory: URL
        /// Windows per encoder call.
        public var batchSize: Int
        public var threads: Int
        /// Embed every commit, also those the run already has vectors of this model for.
        public var force: Bool

        public init(commitsFile: URL, modelDirectory: URL = SentenceModel.defaultDirectory, batchSize: Int = 32,
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount, force: Bool = false) {
            self.commitsFile = commitsFile
            self.modelDirectory = modelDirectory
            self.batchSize = batchSize
            self.threads = threads
            self.force = force
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
        /// Commits embedded by this phase.
        public var commits: Int
        /// Commits of the input the run already had vectors for, left as they were.
        public var skipped: Int
        public var embedding: EmbeddingStats
        public var seconds: Double
        /// Commits per second of embedding (tokenizing and encoding, not reading or storing).
        public var textsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case input, model, modelDirectory = "model_directory", dimension, commits, skipped, embedding, seconds
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
    /// Finished commits saved per transaction (at least; a batch's commits go together).
    public static let commitsPerSave = 64

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

    /// Embeds the loaded commits that `runID` lacks (all of them with `force`) and saves their
    /// vectors under `runID` as they finish, recording no phase: the caller records the phase
    /// around it (the pipeline's run, or `run`).
    public func embed(_ loaded: Loaded, store: ExperimentStore, runID: Int64,
                      progress: (ProgressReport) -> Void = { _ in }) throws -> Stats {
        let model = loaded.model, clock = loaded.clock
        let present = inputs.force ? [] : try store.embeddedItems(runID: runID, model: model.name)
        let commits = loaded.commits.filter { !present.contains($0.hash) }
        let embedder = TextEmbedder(model: model, batchSize: inputs.batchSize, threads: inputs.threads)
        var finished: [EmbeddingRecord] = []
        func save() throws {
            guard !finished.isEmpty else { return }
            try store.saveEmbeddings(runID: runID, model: model.name, dimension: model.dimension, records: finished)
            finished.removeAll(keepingCapacity: true)
        }
        progress(clock.report(0, commits.count))
        if !commits.isEmpty {
            _ = try embedder.embed(commits.map(CommitText.text), progress: { done, total in progress(clock.report(done, total)) }) { texts in
                for (index, vector) in texts {
                    finished.append(EmbeddingRecord(itemID: commits[index].hash, vector: vector, payloadJSON: CommitText.payload(of: commits[index])))
                }
                if finished.count >= Self.commitsPerSave { try save() }
            }
            try save()
        }
        return Stats(input: inputs.commitsFile.standardizedFileURL.path, model: model.name,
                     modelDirectory: model.directory.standardizedFileURL.path, dimension: model.dimension,
                     commits: commits.count, skipped: loaded.commits.count - commits.count, embedding: embedder.stats,
                     seconds: clock.elapsed,
                     textsPerSecond: embedder.stats.seconds > 0 ? Double(commits.count) / embedder.stats.seconds : 0)
    }
}
