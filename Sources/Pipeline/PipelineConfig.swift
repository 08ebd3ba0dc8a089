import Embedding
import Foundation
import GitHistory
import Tokenizer
import Training

/// The config of the whole pipeline (`training_config.yaml`): one section per phase, read in
/// one place. Layers, last wins: the built-in defaults (written once, here and in
/// `TrainingConfig`), the file, the chosen profile (`profiles.NAME`, the file's or a built-in
/// one: `builtInProfiles`), `--set KEY=VALUE`, then
/// a command's own flags (which are overrides of the same keys). Unknown keys and wrong
/// types are errors naming the key and the type expected.
///
///     let config = try PipelineConfig.load(yaml: text, profile: "quick", overrides: ["training.max_steps=5"])
public struct PipelineConfig: Sendable, Equatable {
    /// `repository`: which references of the repository are read.
    public struct Repository: Codable, Sendable, Equatable {
        /// heads (local branches and tags) | all | comma-separated globs (`refs/heads/release/*`).
        public var refs = "heads"
    }

    /// `scrape`: phase 1's caps and switches. Their defaults are GitHistory's `ScrapeOptions`
    /// (written once, there), which this section fills for the scrape.
    public struct Scrape: Codable, Sendable, Equatable {
        private static let library = ScrapeOptions()
        public var detectRenames = library.detectRenames
        public var renameLimit = library.renameLimit
        public var includePatch = library.includePatch
        public var maxPatchBytesPerFile = library.maxPatchBytesPerFile
        public var maxPatchBytesPerCommit = library.maxPatchBytesPerCommit
        public var maxFileBytes = library.maxFileBytes
        public var includeFileChunks = library.includeFileChunks
        public var chunkLines = library.chunkLines
        public var chunkOverlap = library.chunkOverlap
        /// Diff workers; nil (`auto`) = every core.
        public var workers: Int?
    }

    /// `tokenizer`: the byte-level BPE trained on the scrape. Its default is Tokenizer's
    /// `DatasetBuilder.Options` (written once, there).
    public struct TokenizerSection: Codable, Sendable, Equatable {
        public var vocabSize = Dataset.library.vocabularySize
        /// nil (`auto`) = every core.
        public var threads: Int?
    }

    /// `dataset`: how the token stream becomes training sequences. Defaults: Tokenizer's
    /// `DatasetBuilder.Options` (written once, there), which this section fills for phase 2.
    public struct Dataset: Codable, Sendable, Equatable {
        static let library = DatasetBuilder.Options()
        public var sequenceLength = library.sequenceLength
        public var overlap = library.overlap
        /// keep | drop the stream's last partial sequence.
        public var tail = library.keepTail ? "keep" : "drop"
        /// random | chronological (newest records held out).
        public var split = library.split.rawValue
        public var validationFraction = library.validationFraction
        public var seed = Int(library.seed)
    }

    /// `embeddings`: phase 3's sentence encoder. Defaults: Embedding's `EmbedPhase.Inputs`.
    public struct Embeddings: Codable, Sendable, Equatable {
        /// A sentence-transformers BERT directory; nil = the default all-MiniLM-L6-v2 that
        /// scripts/setup/embeddings.sh installs.
        public var model: String?
        public var batchSize = EmbedPhase.Inputs(commitsFile: URL(fileURLWithPath: "/")).batchSize
        /// nil (`auto`) = every core.
        public var threads: Int?
    }

    /// `qdrant`: where `push` sends the embeddings (the phase runs only with a URL). The
    /// batch size's default is Embedding's `QdrantPush.Options`.
    public struct Qdrant: Codable, Sendable, Equatable {
        public var url: String?
        public var collection = "blocklab-commits"
        /// The environment variable holding the API key (the key itself is never in the config).
        public var apiKeyEnv: String?
        public var batchSize = QdrantPush.Options.defaultBatchSize
    }

    /// `store`: the experiment store file, used when neither `--store` nor $BLOCKLAB_STORE names
    /// one (`StoreOptions`' order); nil = ./blocklab.db.
    public struct Store: Codable, Sendable, Equatable {
        public var path: String?
    }

    /// `output`: each run's folder is `directory/<name>-<run id>` (unless `--out` names it).
    public struct Output: Codable, Sendable, Equatable {
        public var directory = "reports"
    }

    /// `pipeline`: the run's name and the phases it runs, in order.
    public struct Pipeline: Codable, Sendable, Equatable {
        public var name = "pipeline"
        public var phases = PhaseName.allCases.map(\.rawValue)
    }

    public var repository = Repository()
    public var scrape = Scrape()
    public var tokenizer = TokenizerSection()
    public var dataset = Dataset()
    public var embeddings = Embeddings()
    /// `model`, `training`, `epoch_calculation`, `hardware_monitoring`.
    public var training = TrainingConfig()
    public var qdrant = Qdrant()
    public var store = Store()
    public var output = Output()
    public var pipeline = Pipeline()

    public init() {}

    /// The sections this config reads besides the four of `TrainingConfig`.
    public static let ownSections = ["repository", "scrape", "tokenizer", "dataset", "embeddings", "qdrant", "store", "output", "pipeline"]

    /// Parses `yaml` (nil: defaults only), applies `profile` and `overrides`, and checks it.
    /// `alone`: for one phase's command (`blocklab train`, `tokenize`, ...), which leaves out
    /// the checks across phases (the dataset's sequence length against the model's context:
    /// `train` reads the length from its dataset).
    public static func load(yaml: String?, profile: String? = nil, overrides: [String] = [], alone: Bool = false) throws -> PipelineConfig {
        var r = try ConfigReader(yaml: yaml, profile: profile, overrides: overrides, builtInProfiles: builtInProfiles)
        var c = PipelineConfig()
        let d = PipelineConfig()
        c.repository.refs = try r.string("repository.refs", d.repository.refs)

        let s = d.scrape
        c.scrape.detectRenames = try r.bool("scrape.detect_renames", s.detectRenames)
        c.scrape.renameLimit = try r.int("scrape.rename_limit", s.renameLimit)
        c.scrape.includePatch = try r.bool("scrape.include_patch", s.includePatch)
        c.scrape.maxPatchBytesPerFile = try r.int("scrape.max_patch_bytes_per_file", s.maxPatchBytesPerFile)
        c.scrape.maxPatchBytesPerCommit = try r.int("scrape.max_patch_bytes_per_commit", s.maxPatchBytesPerCommit)
        c.scrape.maxFileBytes = try r.int("scrape.max_file_bytes", s.maxFileBytes)
        c.scrape.includeFileChunks = try r.bool("scrape.include_file_chunks", s.includeFileChunks)
        c.scrape.chunkLines = try r.int("scrape.chunk_lines", s.chunkLines)
        c.scrape.chunkOverlap = try r.int("scrape.chunk_overlap", s.chunkOverlap)
        c.scrape.workers = try r.autoInt("scrape.workers")

        c.tokenizer.vocabSize = try r.int("tokenizer.vocab_size", d.tokenizer.vocabSize)
        c.tokenizer.threads = try r.autoInt("tokenizer.threads")

        let ds = d.dataset
        c.dataset.sequenceLength = try r.int("dataset.sequence_length", ds.sequenceLength)
        c.dataset.overlap = try r.int("dataset.overlap", ds.overlap)
        c.dataset.tail = try r.string("dataset.tail", ds.tail, allowed: ["keep", "drop"])
        c.dataset.split = try r.string("dataset.split", ds.split, allowed: SplitMethod.allCases.map(\.rawValue))
        c.dataset.validationFraction = try r.double("dataset.validation_fraction", ds.validationFraction)
        c.dataset.seed = try r.int("dataset.seed", ds.seed)

        c.embeddings.model = try r.optionalString("embeddings.model")
        c.embeddings.batchSize = try r.int("embeddings.batch_size", d.embeddings.batchSize)
        c.embeddings.threads = try r.autoInt("embeddings.threads")

        c.training = try TrainingConfig.read(&r)

        c.qdrant.url = try r.optionalString("qdrant.url")
        c.qdrant.collection = try r.string("qdrant.collection", d.qdrant.collection)
        c.qdrant.apiKeyEnv = try r.optionalString("qdrant.api_key_env")
        c.qdrant.batchSize = try r.int("qdrant.batch_size", d.qdrant.batchSize)
        c.store.path = try r.optionalString("store.path")
        c.output.directory = try r.string("output.directory", d.output.directory)
        c.pipeline.name = try r.string("pipeline.name", d.pipeline.name)
        c.pipeline.phases = try r.stringList("pipeline.phases", d.pipeline.phases)
        try r.finish()
        try c.validate(acrossPhases: !alone)
        return c
    }

    /// Range checks; each message names the key. `acrossPhases`: also the checks between
    /// one phase's keys and another's.
    public func validate(acrossPhases: Bool = true) throws {
        func need(_ ok: Bool, _ message: String) throws { if !ok { throw TrainingError.badConfig(message) } }
        try training.validate()
        try need(!repository.refs.trimmingCharacters(in: .whitespaces).isEmpty, "repository.refs must not be empty (heads, all, or globs)")
        try need(scrape.renameLimit >= 0, "scrape.rename_limit must not be negative")
        try need(scrape.maxPatchBytesPerFile >= 0 && scrape.maxPatchBytesPerCommit >= 0 && scrape.maxFileBytes >= 0,
                 "scrape.max_patch_bytes_per_file, max_patch_bytes_per_commit and max_file_bytes must not be negative")
        try need(scrape.chunkLines > 0, "scrape.chunk_lines must be positive")
        try need(scrape.chunkOverlap >= 0 && scrape.chunkOverlap < scrape.chunkLines, "scrape.chunk_overlap must be at least 0 and below scrape.chunk_lines")
        try need(scrape.workers.map { $0 > 0 } ?? true, "scrape.workers must be positive (or auto)")
        try need(tokenizer.threads.map { $0 > 0 } ?? true, "tokenizer.threads must be positive (or auto)")
        try need(embeddings.threads.map { $0 > 0 } ?? true, "embeddings.threads must be positive (or auto)")
        try need(embeddings.batchSize > 0, "embeddings.batch_size must be positive")
        try need(dataset.seed >= 0, "dataset.seed must not be negative")
        try need(qdrant.batchSize > 0, "qdrant.batch_size must be positive")
        try need(!qdrant.collection.isEmpty, "qdrant.collection must not be empty")
        try need(!pipeline.name.isEmpty, "pipeline.name must not be empty")
        try need(!output.directory.isEmpty, "output.directory must not be empty")
        for name in pipeline.phases where PhaseName(rawValue: name) == nil {
            throw TrainingError.badConfig("pipeline.phases: \(name) is not a phase (phases: \(PhaseName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        // Phase 2's own checks (vocabulary, sequence length and overlap, split), before anything runs.
        do { try DatasetBuilder(datasetOptions(threads: 1)).validate() } catch let error as TokenizerError {
            throw TrainingError.badConfig("tokenizer/dataset: \(error.message)")
        }
        try need(!acrossPhases || dataset.sequenceLength - 1 <= training.model.nPositions,
                 "dataset.sequence_length \(dataset.sequenceLength) is above model.n_positions \(training.model.nPositions) + 1: lower the one or raise the other")
    }

    /// The phases to run, in pipeline order.
    public var phases: [PhaseName] {
        PhaseName.allCases.filter { pipeline.phases.contains($0.rawValue) }
    }

    // MARK: What each phase is given

    public var refSelection: RefSelection { RefSelection(argument: repository.refs) }

    public var scrapeOptions: ScrapeOptions {
        var o = ScrapeOptions()
        o.detectRenames = scrape.detectRenames
        o.renameLimit = scrape.renameLimit
        o.includePatch = scrape.includePatch
        o.maxPatchBytesPerFile = scrape.maxPatchBytesPerFile
        o.maxPatchBytesPerCommit = scrape.maxPatchBytesPerCommit
        o.maxFileBytes = scrape.maxFileBytes
        o.includeFileChunks = scrape.includeFileChunks
        o.chunkLines = scrape.chunkLines
        o.chunkOverlap = scrape.chunkOverlap
        o.workers = scrape.workers ?? Self.cores
        return o
    }

    public var estimate: RepositoryAnalysis.EstimateParameters {
        var e = RepositoryAnalysis.EstimateParameters()
        e.targetTokens = training.epochCalculation.targetTokens
        e.minEpochs = training.epochCalculation.minEpochs
        e.maxEpochs = training.epochCalculation.maxEpochs
        e.sequenceLength = dataset.sequenceLength
        return e
    }

    public func datasetOptions(threads: Int? = nil) -> DatasetBuilder.Options {
        var o = DatasetBuilder.Options()
        o.vocabularySize = tokenizer.vocabSize
        o.sequenceLength = dataset.sequenceLength
        o.overlap = dataset.overlap
        o.keepTail = dataset.tail == "keep"
        o.split = SplitMethod(rawValue: dataset.split) ?? .random
        o.seed = UInt64(dataset.seed)
        o.validationFraction = dataset.validationFraction
        o.targetTokens = training.epochCalculation.targetTokens
        o.minEpochs = training.epochCalculation.minEpochs
        o.maxEpochs = training.epochCalculation.maxEpochs
        o.threads = threads ?? tokenizer.threads ?? Self.cores
        return o
    }

    static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `hardware_monitoring.interval_seconds`: how often every phase samples the hardware.
    public var hardwareInterval: TimeInterval { training.hardwareMonitoring.intervalSeconds }

    // MARK: The resolved config

    /// Every `auto` that does not depend on the data made: workers and threads (the core
    /// count). The trainer's device and batch size are made by `resolvingTraining`.
    public func resolvingThreads() -> PipelineConfig {
        var c = self
        c.scrape.workers = scrape.workers ?? Self.cores
        c.tokenizer.threads = tokenizer.threads ?? Self.cores
        c.embeddings.threads = embeddings.threads ?? Self.cores
        c.training.training.threads = training.training.threads ?? Self.cores
        return c
    }

    /// The config as one JSON object with sorted keys, every key present (null where unset):
    /// the run's config snapshot, and the source of each phase's section hash.
    public func resolvedJSON() throws -> Data {
        try JSONSerialization.data(withJSONObject: try resolvedObject(), options: [.sortedKeys])
    }

    /// The sections named, as canonical JSON: what a phase's input hash covers.
    public func sectionsJSON(_ names: [String]) throws -> Data {
        let all = try resolvedObject()
        var picked: [String: Any] = [:]
        for name in names { picked[name] = all[name] ?? NSNull() }
        return try JSONSerialization.data(withJSONObject: picked, options: [.sortedKeys])
    }

    private func resolvedObject() throws -> [String: Any] {
        guard var root = try JSONSerialization.jsonObject(with: try training.resolvedJSON()) as? [String: Any] else {
            preconditionFailure("the training config encodes to an object")
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        func add<T: Encodable>(_ name: String, _ value: T, nullable: [String] = [], auto: [String] = []) throws {
            var object = try JSONSerialization.jsonObject(with: try encoder.encode(value)) as? [String: Any] ?? [:]
            for key in nullable where object[key] == nil { object[key] = NSNull() }
            for key in auto where object[key] == nil { object[key] = "auto" }
            root[name] = object
        }
        try add("repository", repository)
        try add("scrape", scrape, auto: ["workers"])
        try add("tokenizer", tokenizer, auto: ["threads"])
        try add("dataset", dataset)
        try add("embeddings", embeddings, nullable: ["model"], auto: ["threads"])
        try add("qdrant", qdrant, nullable: ["url", "api_key_env"])
        try add("store", store, nullable: ["path"])
        try add("output", output)
        try add("pipeline", pipeline)
        return root
    }
}
