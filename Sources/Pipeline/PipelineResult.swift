import ExperimentStore
import Foundation

/// How a pipeline run ended and where its outputs are.
public struct PipelineResult: Sendable {
    /// One phase of the run: run now, reused from an earlier run, or failed.
    public struct Phase: Codable, Sendable, Equatable {
        public var name: String
        /// ran | reused | failed
        public var outcome: String
        public var reusedFromRun: Int64?
        public var seconds: Double
    }

    public var runID: Int64
    public var runName: String
    public var status: RunStatus
    public var error: String?
    public var store: String
    /// The run's folder: the manifest, the training report, and the outputs made in this run.
    public var runDirectory: URL
    public var manifest: URL?
    /// The trained model's directory (`best`, `last`), when training ran or was reused.
    public var modelDirectory: URL?
    public var phases: [Phase]
}
