import Foundation

extension RunManifest {
    /// `training_report`: the original trainer's report (`training`, `gradients`,
    /// `learning_rate`, `hardware`, `timing`), read from the store: loss extremes and last
    /// values from the metric summaries, histories from the metric history, the plan and
    /// per-epoch losses from the `train` phase's stats, peaks from the hardware samples.
    /// Unlike the original, `gradients` min and max are of one quantity (the total norm
    /// before clipping), and `history` lists it per optimizer step.
    public struct TrainingReportSection: Codable, Sendable {
        public struct Training: Codable, Sendable {
            public struct LossHistory: Codable, Sendable {
                /// Mean train loss of each completed epoch.
                public var train: [Double]
                /// Validation loss at the end of each completed epoch.
                public var val: [Double]
            }
            @Nullable public var finalTrainLoss: Double? = nil
            @Nullable public var finalValLoss: Double? = nil
            /// exp(final validation loss).
            @Nullable public var finalPerplexity: Double? = nil
            /// The trainer's best (an improvement by at least `min_delta`), and its step.
            @Nullable public var bestValLoss: Double? = nil
            @Nullable public var bestStep: Int? = nil
            @Nullable public var minTrainLoss: Double? = nil
            @Nullable public var maxTrainLoss: Double? = nil
            @Nullable public var minValLoss: Double? = nil
            @Nullable public var maxValLoss: Double? = nil
            public var lossHistory: LossHistory
        }
        public struct Gradients: Codable, Sendable {
            @Nullable public var minNorm: Double? = nil
            @Nullable public var maxNorm: Double? = nil
            public var history: [Double]
        }
        public struct Series: Codable, Sendable {
            @Nullable public var min: Double? = nil
            @Nullable public var max: Double? = nil
            public var history: [Double]
        }
        public struct Hardware: Codable, Sendable {
            public var device: String
            public var hasGpu: Bool
            @Nullable public var batchSize: Int? = nil
            /// Threads libtorch used (BlockLab has no data-loader workers).
            @Nullable public var numWorkers: Int? = nil
            @Nullable public var peakGpuMemoryMb: Double? = nil
            @Nullable public var peakRamPercent: Double? = nil
            @Nullable public var peakCpuPercent: Double? = nil
            @Nullable public var peakProcessRssMb: Double? = nil
            public var samples: Int
        }
        public struct Timing: Codable, Sendable {
            public var totalSeconds: Double
            public var totalMinutes: Double
            @Nullable public var secondsPerEpoch: Double? = nil
            @Nullable public var meanStepSeconds: Double? = nil
            @Nullable public var tokensPerSecond: Double? = nil
        }

        /// `model.preset` of the config (`gpt2`, `tiny`, ...).
        @Nullable public var modelName: String? = nil
        /// The train phase's status and error.
        public var status: String
        @Nullable public var error: String? = nil
        /// The model's sizes (`n_layer`, `n_embd`, ..., `parameters`).
        public var model: [String: Int]
        /// The resolved config the run snapshotted.
        public var config: JSONValue
        /// Whole epochs completed, and the fraction trained (steps / steps per epoch).
        public var epochsCompleted: Int
        public var epochsTrained: Double
        public var stepsCompleted: Int
        public var stoppedEarly: Bool
        public var training: Training
        public var gradients: Gradients
        public var learningRate: Series
        public var hardware: Hardware
        public var timing: Timing
    }
}
