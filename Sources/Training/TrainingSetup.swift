import Foundation
import Torch

/// Everything chosen before a run starts (`Trainer.prepare`): the config, the open dataset,
/// the device and threads, the model's sizes, the plan, and the checkpoint to continue
/// from. A caller that opens its own run snapshots `asRun`, the values that will run.
public struct TrainingSetup {
    /// A checkpoint to continue from: its directory (nil on ranks other than 0, which
    /// receive its weights and optimizer state from rank 0), its state, and the run that
    /// wrote it.
    public struct Resumed {
        public let checkpoint: URL?
        public let state: TrainingState
        public let parentUUID: String
    }

    public let options: TrainOptions
    public let config: TrainingConfig
    public let data: TrainingData
    public let device: Device
    /// This rank's libtorch threads.
    public let threads: Int
    public let model: GPTConfig
    public let plan: TrainingRunPlan
    public let resumed: Resumed?

    /// The config with every choice made: what the run's snapshot records.
    public var asRun: TrainingConfig { asRun(rankThreads: [threads]) }

    /// The same, with the threads of every rank of a data-parallel run (rank 0's first).
    public func asRun(rankThreads: [Int]) -> TrainingConfig {
        config.asRun(model: model, plan: plan, device: device, threads: threads, rankThreads: rankThreads)
    }
}
