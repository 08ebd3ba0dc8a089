import Foundation
import Torch

extension TrainingConfig {
    /// This config with every choice made, as a run used it: the model's sizes (the
    /// preset's, or a resumed checkpoint's), the batch `auto` picked (or the checkpoint's),
    /// the device and threads used (rank 0's as `training.threads`, every rank's as
    /// `training.distributed.rank_threads`), the world size, the step the run stops at, the
    /// batches of one evaluation. No key is null or `auto`; loaded back, it plans the same run.
    public func asRun(model g: GPTConfig, plan: TrainingRunPlan, device: Device, threads: Int, rankThreads: [Int]? = nil) -> TrainingConfig {
        var c = self
        c.model.nLayer = g.nLayer
        c.model.nHead = g.nHead
        c.model.nEmbd = g.nEmbd
        c.model.nPositions = g.nPositions
        c.model.dropout = g.embdPdrop
        c.model.layerNormEpsilon = g.layerNormEpsilon
        c.model.initializerRange = g.initializerRange
        c.training.device = device.rawValue
        c.training.threads = threads
        c.training.batchSize = plan.batchSize
        c.training.gradientAccumulationSteps = plan.gradientAccumulationSteps
        c.training.maxSteps = plan.totalSteps
        c.training.evalMaxBatches = plan.evaluationBatches
        c.training.distributed.worldSize = plan.worldSize
        c.training.distributed.rankThreads = rankThreads ?? [threads]
        return c
    }
}
