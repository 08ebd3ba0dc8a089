import ExperimentStore
import Foundation

/// A run to continue (`--resume RUN|latest`): the run, and its newest checkpoint directory
/// (nil when it has none; training then fails with a message saying so).
public struct ResumePoint: Sendable {
    /// The reference as given (an id, name, uuid prefix or `latest`).
    public let reference: String
    public let runID: Int64
    public let runUUID: String
    public let checkpoint: URL?

    /// Looks `reference` up in `store`; throws when no run matches.
    public init(_ reference: String, in store: ExperimentStore) throws {
        let run = try store.run(reference)
        self.reference = reference
        runID = run.id
        runUUID = run.uuid
        checkpoint = try store.checkpoints(runID: run.id).max { ($0.step, $0.id) < ($1.step, $1.id) }
            .map { URL(fileURLWithPath: $0.path) }
    }
}
