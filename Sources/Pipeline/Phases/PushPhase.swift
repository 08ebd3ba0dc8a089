import Embedding
import ExperimentStore
import Foundation

/// The Qdrant push, when the config names a URL: the run's embeddings to a collection,
/// skipping points the store's ledger says are there. Stats: `QdrantPush.Stats`.
public struct PushPhase {
    public typealias Inputs = QdrantPush.Options

    public struct Outputs {
        public var stats: QdrantPush.Stats
    }

    public static let name = PhaseName.push
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    public func run(_ phase: PhaseRecorder, progress: PipelineProgress) throws -> Outputs {
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
}
