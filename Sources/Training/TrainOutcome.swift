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

    /// The run's report as it ended (what `training_report.json` holds).
    public var report: TrainingReport

    /// The phase's stats in the store (`phases.stats_json`): what the run did, the plan it
    /// followed (`plan`: the numbers of `TrainingRunPlan`, as the report's
    /// `training_parameters`), the model's sizes and the mean train loss of each completed
    /// epoch. The manifest's `training_parameters` and `training_report` read these keys.
    public struct PhaseStats: Encodable, Sendable {
        public let steps: Int
        public let epochs: Double
        public let bestValLoss: Double?
        public let bestStep: Int?
        public let finalTrainLoss: Double?
        public let finalValLoss: Double?
        public let perplexity: Double?
        public let device: String
        public let stoppedEarly: Bool
        public let trainingSeconds: Double
        public let meanStepSeconds: Double?
        public let tokensPerSecond: Double?
        public let plan: [String: Double]
        public let model: [String: Int]
        public let epochTrainLosses: [Double]

        enum CodingKeys: String, CodingKey {
            case steps, epochs, device, perplexity, plan, model
            case bestValLoss = "best_val_loss", bestStep = "best_step", finalTrainLoss = "final_train_loss"
            case finalValLoss = "final_val_loss", stoppedEarly = "stopped_early", trainingSeconds = "training_seconds"
            case meanStepSeconds = "mean_step_seconds", tokensPerSecond = "tokens_per_second"
            case epochTrainLosses = "epoch_train_losses"
        }
    }

    public var phaseStats: PhaseStats {
        PhaseStats(steps: stepsCompleted, epochs: epochsCompleted, bestValLoss: bestValLoss, bestStep: report.bestStep,
                   finalTrainLoss: finalTrainLoss, finalValLoss: report.finalValLoss, perplexity: report.perplexity, device: device,
                   stoppedEarly: report.earlyStopping.stoppedEarly, trainingSeconds: report.timing.trainingSeconds,
                   meanStepSeconds: report.timing.meanStepSeconds, tokensPerSecond: report.timing.tokensPerSecond,
                   plan: report.trainingParameters, model: report.model, epochTrainLosses: report.epochLossHistory.map(\.trainLoss))
    }
}
