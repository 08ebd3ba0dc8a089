import Foundation

/// What a checkpoint needs besides weights and optimizer moments to continue a run exactly.
public struct TrainingState: Codable, Sendable {
    /// Optimizer steps completed.
    public var step: Int
    public var epoch: Double
    /// Per rank, of `worldSize` ranks (nil in checkpoints written before data parallelism: 1).
    public var batchSize: Int
    public var gradientAccumulationSteps: Int
    public var worldSize: Int?
    public var stepsPerEpoch: Int
    public var totalSteps: Int
    public var warmupSteps: Int
    public var peakLearningRate: Double
    public var seed: Int
    /// The next batch: epoch and batch index within it (order = epochOrder(seed, epoch)).
    public var dataEpoch: Int
    public var dataBatch: Int
    /// How every random source is derived, so nothing else needs saving.
    public var rng = "init: torch.manual_seed(seed), rank 0's broadcast to all ranks; dropout at step s on rank r: torch.manual_seed(seed * 1000003 + s + r * 0x9E3779B97F4A7C15); data order: SplitMix64 of (seed, epoch), each global batch shared among ranks in runs of batch_size"
    public var earlyStopping: EarlyStopping
    public var runUUID: String?
    /// The resolved config (JSON) of the run that wrote the checkpoint: a resume without
    /// --config continues with it.
    public var config: String?
    public var report: TrainingReport
}

extension TrainingState {
    /// A fresh run's state before its first step.
    init(plan: TrainingRunPlan, training t: TrainingConfig.Training, report: TrainingReport) {
        self.init(step: 0, epoch: 0, batchSize: plan.batchSize, gradientAccumulationSteps: plan.gradientAccumulationSteps,
                  worldSize: plan.worldSize, stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.scheduledSteps, warmupSteps: plan.warmupSteps,
                  peakLearningRate: plan.peakLearningRate, seed: t.seed, dataEpoch: 0, dataBatch: 0,
                  earlyStopping: EarlyStopping(patience: t.patience, minDelta: t.minDelta), runUUID: nil, config: nil, report: report)
    }
}
