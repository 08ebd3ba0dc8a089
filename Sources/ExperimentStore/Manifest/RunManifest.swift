import Foundation
import HardwareMonitor

/// The manifest of one run (`MANIFEST_DYNAMIC.json`), read from the store alone: the original
/// system's record of a pipeline run (`execution_timestamp` ... `training_report`, the keys
/// people read with `jq`), then BlockLab's own sections (the run, config, metric summaries,
/// phases, checkpoints, artifacts, embeddings, hardware peaks). Its shape is
/// `schema/manifest.schema.json`. Every key is always present: a section whose phase did not
/// run is `null`, and that phase's result says `not_run`. Encode it with
/// `ExperimentStore.jsonEncoder()` (snake_case keys, sorted).
///
///     let manifest = try store.manifest(for: try store.run("latest"))
///     try ExperimentStore.jsonEncoder().encode(manifest).write(to: url)   // jq '.training_report'
public struct RunManifest: Codable, Sendable {
    public struct Config: Codable, Sendable {
        public var yaml: String?
        public var resolved: JSONValue
        public var sha256: String
    }

    public var manifestVersion = 2
    public var blocklabVersion = BlockLabVersion.string
    /// When this manifest was made (ISO 8601, UTC).
    public var generatedAt: String

    // The original's sections.
    /// When the run started (ISO 8601, UTC).
    public var executionTimestamp: String
    /// From the run's start to its end (or its last heartbeat, while it runs or after a crash).
    public var totalExecutionTimeSeconds: Double
    /// Phase 0 (`analyse`).
    @Nullable public var repositoryStats: RepositoryStats?
    /// The plan the trainer followed; before phase 4, the latest estimate (phase 2's, else phase 0's).
    @Nullable public var trainingParameters: TrainingParameters?
    /// Phase 2 (`tokenize`).
    @Nullable public var sequenceMetadata: SequenceMetadata?
    public var phaseResults: PhaseResults
    /// Phase 4 (`train`), from the store's metrics and the phase's stats.
    @Nullable public var trainingReport: TrainingReportSection?

    // BlockLab's.
    public var run: Run
    @Nullable public var config: Config?
    public var params: [String: String?]
    public var metrics: [String: MetricSummary]
    /// Every phase the run recorded, in order, as the store holds it.
    public var phases: [PhaseRecord]
    /// Each phase's stats by phase name (the last of a name).
    public var phaseStats: [String: JSONValue]
    public var checkpoints: [CheckpointRecord]
    public var artifacts: [ArtifactRecord]
    /// Phase 3 (`embed`): what the store holds and what was pushed to Qdrant.
    @Nullable public var embeddings: Embeddings?
    /// Over every sample of the run (all ranks).
    public var hardwarePeaks: HardwarePeaks
    /// Per process (host and rank): a data-parallel run has one entry per rank.
    public var hardwarePeaksByRank: [RankPeaks]
    /// Per phase, by its name: the samples taken while it ran (`jq .hardware_peaks_by_phase.tokenize`).
    public var hardwarePeaksByPhase: [String: HardwarePeaks]
}

extension RunManifest {
    /// The `run` section: the run's record, the store it is in, and its duration. Keys with
    /// no value are `null`, not missing.
    public struct Run: Codable, Sendable {
        public var id: Int64
        public var uuid: String
        public var name: String
        public var experiment: String
        /// As it stands now: `crashed` when the row says running but its process is gone.
        public var status: RunStatus
        public var recordedStatus: RunStatus
        /// The store file's path.
        public var store: String
        public var startedAt: Double
        @Nullable public var endedAt: Double?
        public var heartbeatAt: Double
        public var durationSeconds: Double
        @Nullable public var pid: Int64?
        @Nullable public var hostname: String?
        @Nullable public var commandLine: String?
        @Nullable public var blocklabVersion: String?
        @Nullable public var sourceRepo: String?
        @Nullable public var sourceCommit: String?
        @Nullable public var parentRunID: Int64?
        @Nullable public var error: String?
        @Nullable public var note: String?
        public var tags: [String: String]
        /// The processes that trained the run: 1, or the ranks of a data-parallel run.
        public var worldSize: Int

        public init(_ info: RunInfo, store: String) {
            id = info.id; uuid = info.uuid; name = info.name; experiment = info.experiment
            status = info.status; recordedStatus = info.recordedStatus; self.store = store
            startedAt = info.startedAt; endedAt = info.endedAt; heartbeatAt = info.heartbeatAt
            durationSeconds = info.durationSeconds; pid = info.pid; hostname = info.hostname
            commandLine = info.commandLine; blocklabVersion = info.blocklabVersion
            sourceRepo = info.sourceRepo; sourceCommit = info.sourceCommit; parentRunID = info.parentRunID
            error = info.error; note = info.note; tags = info.tags; worldSize = info.worldSize
        }
    }

    /// Phase 3: the vectors the run holds, and the Qdrant collections they were pushed to
    /// (from the push ledger: acknowledged points only).
    public struct Embeddings: Codable, Sendable {
        public var model: String
        public var dimension: Int
        public var count: Int
        public var qdrantPushes: [QdrantPushSummary]
    }
}
