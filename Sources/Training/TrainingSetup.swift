import Foundation
import Torch

/// Everything chosen before a run starts (`Trainer.prepare`): the config, the open dataset,
/// the device and threads, the model's sizes, the plan, and the checkpoint to continue
/// from. A caller that opens its own run snapshots `asRun`, the values that will run.
public struct TrainingSetup {
    /// A checkpoint to continue from: its directory, its state, and the run that wrote it.
    public struct Resumed {
        public let checkpoint: URL
        public let state: TrainingState
        public let parentUUID: String
    }

    public let options: TrainOptions
    public let config: TrainingConfig
    public let data: TrainingData
    public let device: Device
    public let threads: Int
    public let model: GPTConfig
    public let plan: TrainingRunPlan
    public let resumed: Resumed?

    /// The config with every choice made: what the run's snapshot records.
    public var asRun: TrainingConfig { config.asRun(model: model, plan: plan, device: device, threads: threads) }
}
