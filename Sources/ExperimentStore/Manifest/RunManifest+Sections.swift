import Foundation

// The original system's sections, with its key names; BlockLab's additions follow each
// section's original keys. Numbers a phase did not record are `null` (never invented).
extension RunManifest {
    /// `repository_stats`: phase 0's analysis of the references scraped.
    public struct RepositoryStats: Codable, Sendable {
        /// The sum of every branch's commit count (a commit on two branches counts twice).
        public var totalCommitsAcrossBranches: Int
        public var uniqueCommits: Int
        /// Distinct author emails.
        public var uniqueAuthors: Int
        public var branches: Int
        public var branchNames: [String]
        public var commitsPerBranch: [String: Int]
        /// Author times of the oldest and newest commit, Unix seconds.
        @Nullable public var firstCommitTimestamp: Int64? = nil
        @Nullable public var lastCommitTimestamp: Int64? = nil
        public var timeSpanDays: Double
        public var commitsPerDay: Double
        // BlockLab's.
        public var references: String
        public var merges: Int
        public var tags: [String]
        @Nullable public var authorsMailmapped: Int? = nil
        @Nullable public var firstCommitTime: String? = nil
        @Nullable public var lastCommitTime: String? = nil
        public var isShallow: Bool
        public var estimatedSequences: Int
        public var estimatedEpochs: Int
    }

    /// `training_parameters`: the numbers the trainer used (`source` `train`: its plan and the
    /// config it ran), or before training, the latest estimate (`tokenize`: epochs from the
    /// real token count; `analyse`: from the commit count), whose plan-only keys are `null`.
    public struct TrainingParameters: Codable, Sendable {
        public var source: String
        public var numSequences: Int
        public var epochs: Int
        @Nullable public var stepsPerEpoch: Int? = nil
        @Nullable public var totalSteps: Int? = nil
        @Nullable public var warmupSteps: Int? = nil
        @Nullable public var batchSize: Int? = nil
        @Nullable public var targetTokens: Int? = nil
        // BlockLab's.
        @Nullable public var gradientAccumulationSteps: Int? = nil
        @Nullable public var baseLearningRate: Double? = nil
        @Nullable public var peakLearningRate: Double? = nil
        @Nullable public var validationSequences: Int? = nil
        @Nullable public var sequenceLength: Int? = nil
        @Nullable public var minEpochs: Int? = nil
        @Nullable public var maxEpochs: Int? = nil
        @Nullable public var device: String? = nil
        @Nullable public var threads: Int? = nil
    }

    /// `sequence_metadata`: phase 2's sequences. BlockLab tokenizes commits and HEAD's files
    /// into one stream split into `training` and `validation` (`combined` is both);
    /// `tokens_by_source` says how many tokens came from each kind of record.
    public struct SequenceMetadata: Codable, Sendable {
        public struct Part: Codable, Sendable {
            @Nullable public var path: String? = nil
            public var numSequences: Int
            public var sequenceLength: Int
            public var totalTokens: Int
        }
        public var training: Part
        public var validation: Part
        public var combined: Part
        public var epochs: Int
        public var vocabSize: Int
        public var overlap: Int
        public var tokensBySource: [String: Int]
        @Nullable public var tokenizerSha256: String? = nil
    }

    /// `phase_results`: one entry per phase of the original pipeline, always present.
    public struct PhaseResults: Codable, Sendable {
        public var analyze: PhaseResult
        public var scrape: PhaseResult
        public var tokenize: PhaseResult
        public var embeddings: PhaseResult
        public var training: PhaseResult

        enum CodingKeys: String, CodingKey {
            case analyze = "phase_0_analyze", scrape = "phase_1_scrape", tokenize = "phase_2_tokenize"
            case embeddings = "phase_3_embeddings", training = "phase_4_training"
        }
    }

    /// One phase: how it ended, when, what it wrote (artifacts and, for training,
    /// checkpoints, with sha256), its error, and the original's per-phase numbers. Each
    /// phase has a fixed set of keys (`ownFields`): its numbers are always present, `null`
    /// where the phase did not record them (a phase that did not run, or a program logging
    /// through `ingest` that sent other stats), never guessed.
    public struct PhaseResult: Codable, Sendable {
        public struct Output: Codable, Sendable {
            public var kind: String
            public var name: String
            public var path: String
            public var sha256: String
            public var bytes: Int64
        }
        /// `finished`, `failed`, `skipped`, `running`; `crashed` (or `killed`, `failed`) when
        /// the run ended that way while the phase was still recorded running; `not_run` when
        /// the run has no such phase.
        public var status: String
        /// The store's phase name (`analyse`, `scrape`, `tokenize`, `embed`, `train`).
        @Nullable public var phase: String? = nil
        /// When the phase ended (or started, if it did not end), ISO 8601 UTC.
        @Nullable public var timestamp: String? = nil
        @Nullable public var durationSeconds: Double? = nil
        public var outputs: [Output]
        @Nullable public var error: String? = nil
        @Nullable public var outputFile: String? = nil
        @Nullable public var sizeMb: Double? = nil
        public var commitsProcessed: Int?
        public var commitsWithErrors: Int?
        public var numSequences: Int?
        public var totalTokens: Int?
        public var embeddingDimension: Int?
        public var model: String?
        public var modelDir: String?
        public var modelSizeMb: Double?
        public var epochs: Double?
        public var steps: Int?
        /// The per-phase numbers this phase always writes (`null` when not recorded).
        public var ownFields: [CodingKeys] = []

        public enum CodingKeys: String, CodingKey, Sendable {
            case status, phase, timestamp, durationSeconds, outputs, error, outputFile, sizeMb
            case commitsProcessed, commitsWithErrors, numSequences, totalTokens, embeddingDimension, model
            case modelDir, modelSizeMb, epochs, steps
        }

        /// Each phase's own numbers, by the key of `phase_results`.
        static let fields: [String: [CodingKeys]] = [
            "phase_0_analyze": [],
            "phase_1_scrape": [.commitsProcessed, .commitsWithErrors],
            "phase_2_tokenize": [.numSequences, .totalTokens],
            "phase_3_embeddings": [.embeddingDimension, .model, .commitsProcessed],
            "phase_4_training": [.epochs, .steps, .numSequences, .modelDir, .modelSizeMb],
        ]

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status, forKey: .status)
            try c.encode(_phase, forKey: .phase)
            try c.encode(_timestamp, forKey: .timestamp)
            try c.encode(_durationSeconds, forKey: .durationSeconds)
            try c.encode(outputs, forKey: .outputs)
            try c.encode(_error, forKey: .error)
            try c.encode(_outputFile, forKey: .outputFile)
            try c.encode(_sizeMb, forKey: .sizeMb)
            func own<T: Encodable>(_ value: T?, _ key: CodingKeys) throws {
                if let value { try c.encode(value, forKey: key) } else if ownFields.contains(key) { try c.encodeNil(forKey: key) }
            }
            try own(commitsProcessed, .commitsProcessed)
            try own(commitsWithErrors, .commitsWithErrors)
            try own(numSequences, .numSequences)
            try own(totalTokens, .totalTokens)
            try own(embeddingDimension, .embeddingDimension)
            try own(model, .model)
            try own(modelDir, .modelDir)
            try own(modelSizeMb, .modelSizeMb)
            try own(epochs, .epochs)
            try own(steps, .steps)
        }
    }
}
