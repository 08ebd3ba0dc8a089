import ExperimentStore
import Foundation

/// How a run ended.
public struct TrainOutcome: Sendable {
    /// The run's id in the store (0 on ranks other than 0, which record no run).
    public var runID: Int64
    public var status: RunStatus
    public var error: String?
    /// Train loss of every optimizer step of this invocation, by steps completed (1-based).
    public var losses: [Int: Double]
    /// Seconds of each optimizer step (the C call), by global step: wall clock, and CPU
    /// time of the whole process (all threads).
    public var stepSeconds: [Int: Double]
    public var stepCPUSeconds: [Int: Double]
    /// Seconds spent in the store's logging calls during the loop.
    public var loggingSeconds: Double
    public var stepsCompleted: Int
    public var epochsCompleted: Double
    public var bestValLoss: Double?
    public var finalTrainLoss: Double?
    /// The device the run used (`cpu`, `cuda`).
    public var device: String
    public var outputDirectory: URL

    /// The phase's stats in the store (`phases.stats_json`).
    public struct PhaseStats: Encodable, Sendable {
        public let steps: Int
        public let epochs: Double
        public let bestValLoss: Double?
        public let finalTrainLoss: Double?
        public let device: String
    }

    public var phaseStats: PhaseStats {
        PhaseStats(steps: stepsCompleted, epochs: epochsCompleted, bestValLoss: bestValLoss, finalTrainLoss: finalTrainLoss, device: device)
    }
}
