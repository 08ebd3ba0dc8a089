import Foundation
import Torch
import TrainingPlan

/// The resolved training config: `training_config.yaml`, then `--set` overrides, then the
/// built-in defaults for keys the file leaves out. Encoded (sorted keys) as the run's snapshot.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        /// tiny | gpt2 | gpt2-medium; `n_layer`, `n_head`, `n_embd` override it when set.
        public var preset = "gpt2"
        public var nLayer: Int?
        public var nHead: Int?
        public var nEmbd: Int?
        /// Context length; the dataset's sequence length must not exceed it.
        public var nPositions = 2048
        public var dropout = 0.1
        public var layerNormEpsilon = 1e-5
        public var initializerRange = 0.02
    }

    public struct Training: Codable, Sendable, Equatable {
        /// Data-parallel training (several processes, one or many machines; see World).
        public struct Distributed: Codable, Sendable, Equatable {
            /// gloo (CPU); nccl is named so it can be refused clearly: this libtorch has no CUDA.
            public var backend = "gloo"
            /// Seconds to wait for every rank to join, and for any collective to complete.
            public var timeoutSeconds = 60.0
            /// Gradients are summed over ranks in flat buckets of this many MiB.
            public var bucketSizeMb = 25.0
            /// nil (`auto`) = the launch's (WORLD_SIZE, else 1); a number must equal it.
            public var worldSize: Int?
            /// libtorch threads of each rank, by rank; nil (`auto`) = each rank's training.threads.
            public var rankThreads: [Int]?
        }

        public var device = "auto"
        /// libtorch's threads; nil (`auto`) = the cores divided among this machine's ranks.
        public var threads: Int?
        public var baseLearningRate = 5e-5
        public var referenceBatchSize = 8
        /// Sequences per micro-batch; nil = from the device (GPU memory tiers, or RAM on CPU).
        public var batchSize: Int?
        public var maxBatchSize = 8
        public var gradientAccumulationSteps = 1
        public var weightDecay = 0.01
        public var adamBeta1 = 0.9
        public var adamBeta2 = 0.999
        public var adamEpsilon = 1e-8
        public var maxGradNorm = 1.0
        public var warmupRatio = 0.1
        public var warmupStepsMin = 100
        public var warmupStepsMax = 1000
        /// cosine | linear, from the peak rate down to min_lr_ratio × peak at the last step.
        public var lrSchedule = "cosine"
        public var minLrRatio = 0.1
        public var patience = 3
        public var minDelta = 0.0
        public var evalEverySteps = 500
        /// Validation batches per evaluation; nil = the whole validation set.
        public var evalMaxBatches: Int?
        public var checkpointEverySteps = 1000
        /// Caps the run at this many optimizer steps (nil = the epochs decide).
        public var maxSteps: Int?
        public var seed = 42
        public var progressEverySteps = 10
        public var distributed = Distributed()
    }

    public struct EpochCalculation: Codable, Sendable, Equatable {
        public var targetTokens = TrainingPlan.defaultTargetTokens
        public var minEpochs = TrainingPlan.defaultMinEpochs
        public var maxEpochs = TrainingPlan.defaultMaxEpochs
    }

    public struct HardwareMonitoring: Codable, Sendable, Equatable {
        public var intervalSeconds = 10.0
        public var gpuMemoryThresholdLargeGb = 8.0
        public var gpuMemoryThresholdMediumGb = 4.0
        public var memoryThresholdWarnPct = 85.0
        public var memoryThresholdStopPct = 95.0
    }

    public var model = Model()
    public var training = Training()
    public var epochCalculation = EpochCalculation()
    public var hardwareMonitoring = HardwareMonitoring()

    public init() {}

    /// Parses `yaml` (nil: defaults only) and applies `overrides` (`KEY=VALUE`).
    /// Unknown keys and wrong types throw `TrainingError.badConfig` naming the key. Keys of
    /// `otherSections` (the rest of the pipeline's config, which its own reader checks) are
    /// accepted unread.
    public static func load(yaml: String?, profile: String? = nil, overrides: [String] = [],
                            otherSections: [String] = []) throws -> TrainingConfig {
        var r = try ConfigReader(yaml: yaml, profile: profile, overrides: overrides)
        let c = try read(&r)
        for section in otherSections { r.accept(section: section) }
        try r.finish()
        try c.validate()
        return c
    }

    /// Reads the four training sections (model, training, epoch_calculation,
    /// hardware_monitoring) from `r`, the built-in defaults for keys it lacks. The caller
    /// finishes the reader and validates.
    public static func read(_ r: inout ConfigReader) throws -> TrainingConfig {
        var c = TrainingConfig()
        let d = TrainingConfig()
        c.model.preset = try r.string("model.preset", d.model.preset, allowed: ModelPreset.allCases.map(\.rawValue))
        c.model.nLayer = try r.optionalInt("model.n_layer")
        c.model.nHead = try r.optionalInt("model.n_head")
        c.model.nEmbd = try r.optionalInt("model.n_embd")
        c.model.nPositions = try r.int("model.n_positions", d.model.nPositions)
        c.model.dropout = try r.double("model.dropout", d.model.dropout)
        c.model.layerNormEpsilon = try r.double("model.layer_norm_epsilon", d.model.layerNormEpsilon)
        c.model.initializerRange = try r.double("model.initializer_range", d.model.initializerRange)

        let t = d.training
        c.training.device = try r.string("training.device", t.device, allowed: Device.allCases.map(\.rawValue))
        c.training.threads = try r.autoInt("training.threads")
        c.training.baseLearningRate = try r.double("training.base_learning_rate", t.baseLearningRate)
        c.training.referenceBatchSize = try r.int("training.reference_batch_size", t.referenceBatchSize)
        c.training.batchSize = try r.autoInt("training.batch_size")
        c.training.maxBatchSize = try r.int("training.max_batch_size", t.maxBatchSize)
        c.training.gradientAccumulationSteps = try r.int("training.gradient_accumulation_steps", t.gradientAccumulationSteps)
        c.training.weightDecay = try r.double("training.weight_decay", t.weightDecay)
        c.training.adamBeta1 = try r.double("training.adam_beta1", t.adamBeta1)
        c.training.adamBeta2 = try r.double("training.adam_beta2", t.adamBeta2)
        c.training.adamEpsilon = try r.double("training.adam_epsilon", t.adamEpsilon)
        c.training.maxGradNorm = try r.double("training.max_grad_norm", t.maxGradNorm)
        c.training.warmupRatio = try r.double("training.warmup_ratio", t.warmupRatio)
        c.training.warmupStepsMin = try r.int("training.warmup_steps_min", t.warmupStepsMin)
        c.training.warmupStepsMax = try r.int("training.warmup_steps_max", t.warmupStepsMax)
        c.training.lrSchedule = try r.string("training.lr_schedule", t.lrSchedule, allowed: ["cosine", "linear"])
        c.training.minLrRatio = try r.double("training.min_lr_ratio", t.minLrRatio)
        c.training.patience = try r.int("training.patience", t.patience)
        c.training.minDelta = try r.double("training.min_delta", t.minDelta)
        c.training.evalEverySteps = try r.int("training.eval_every_steps", t.evalEverySteps)
        c.training.evalMaxBatches = try r.optionalInt("training.eval_max_batches")
        c.training.checkpointEverySteps = try r.int("training.checkpoint_every_steps", t.checkpointEverySteps)
        c.training.maxSteps = try r.optionalInt("training.max_steps")
        c.training.seed = try r.int("training.seed", t.seed)
        c.training.progressEverySteps = try r.int("training.progress_every_steps", t.progressEverySteps)
        let dd = t.distributed
        c.training.distributed.backend = try r.string("training.distributed.backend", dd.backend, allowed: ["gloo", "nccl"])
        c.training.distributed.timeoutSeconds = try r.double("training.distributed.timeout_seconds", dd.timeoutSeconds)
        c.training.distributed.bucketSizeMb = try r.double("training.distributed.bucket_size_mb", dd.bucketSizeMb)
        if let s = try? r.string("training.distributed.world_size", "auto"), s == "auto" { c.training.distributed.worldSize = nil }
        else { c.training.distributed.worldSize = try r.optionalInt("training.distributed.world_size") }
        c.training.distributed.rankThreads = try r.optionalIntList("training.distributed.rank_threads")

        let e = d.epochCalculation
        c.epochCalculation.targetTokens = try r.int("epoch_calculation.target_tokens", e.targetTokens)
        c.epochCalculation.minEpochs = try r.int("epoch_calculation.min_epochs", e.minEpochs)
        c.epochCalculation.maxEpochs = try r.int("epoch_calculation.max_epochs", e.maxEpochs)

        let h = d.hardwareMonitoring
        c.hardwareMonitoring.intervalSeconds = try r.double("hardware_monitoring.interval_seconds", h.intervalSeconds)
        c.hardwareMonitoring.gpuMemoryThresholdLargeGb = try r.double("hardware_monitoring.gpu_memory_threshold_large_gb", h.gpuMemoryThresholdLargeGb)
        c.hardwareMonitoring.gpuMemoryThresholdMediumGb = try r.double("hardware_monitoring.gpu_memory_threshold_medium_gb", h.gpuMemoryThresholdMediumGb)
        c.hardwareMonitoring.memoryThresholdWarnPct = try r.double("hardware_monitoring.memory_threshold_warn_pct", h.memoryThresholdWarnPct)
        c.hardwareMonitoring.memoryThresholdStopPct = try r.double("hardware_monitoring.memory_threshold_stop_pct", h.memoryThresholdStopPct)
        return c
    }

    /// Range checks; each message names the key.
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws { if !ok { throw TrainingError.badConfig(message) } }
        try need(model.nPositions > 0, "model.n_positions must be positive")
        try need((0..<1).contains(model.dropout), "model.dropout must be in [0, 1)")
        try need(model.nLayer.map { $0 > 0 } ?? true, "model.n_layer must be positive")
        try need(model.nHead.map { $0 > 0 } ?? true, "model.n_head must be positive")
        try need(model.nEmbd.map { $0 > 0 } ?? true, "model.n_embd must be positive")
        try need(training.baseLearningRate > 0, "training.base_learning_rate must be positive")
        try need(training.threads.map { $0 > 0 } ?? true, "training.threads must be positive (or auto), got \(training.threads ?? 0)")
        try need(training.batchSize.map { $0 > 0 } ?? true, "training.batch_size must be positive (or auto), got \(training.batchSize ?? 0)")
        try need(training.maxBatchSize > 0, "training.max_batch_size must be positive")
        try need(training.referenceBatchSize > 0, "training.reference_batch_size must be positive")
        try need(training.gradientAccumulationSteps > 0, "training.gradient_accumulation_steps must be positive")
        try need(training.warmupStepsMin >= 0 && training.warmupStepsMin <= training.warmupStepsMax,
                 "training.warmup_steps_min must be between 0 and training.warmup_steps_max")
        try need((0...1).contains(training.minLrRatio), "training.min_lr_ratio must be in [0, 1]")
        try need(training.patience > 0, "training.patience must be positive")
        try need(training.evalEverySteps > 0, "training.eval_every_steps must be positive")
        try need(training.checkpointEverySteps > 0, "training.checkpoint_every_steps must be positive")
        try need(training.maxSteps.map { $0 > 0 } ?? true, "training.max_steps must be positive")
        try need(training.progressEverySteps > 0, "training.progress_every_steps must be positive")
        try need(training.seed >= 0, "training.seed must not be negative")
        let d = training.distributed
        try need(d.backend != "nccl", "training.distributed.backend nccl needs CUDA GPUs and a libtorch built with NCCL; this libtorch (Debian's, CPU-only) has neither: use gloo")
        try need(d.timeoutSeconds > 0, "training.distributed.timeout_seconds must be positive")
        try need(d.bucketSizeMb > 0, "training.distributed.bucket_size_mb must be positive")
        try need(d.worldSize.map { $0 > 0 } ?? true, "training.distributed.world_size must be positive (or auto)")
        try need(d.rankThreads.map { !$0.isEmpty && $0.allSatisfy { $0 > 0 } } ?? true,
                 "training.distributed.rank_threads must list a positive thread count per rank (or be auto)")
        try need(epochCalculation.minEpochs >= 1 && epochCalculation.minEpochs <= epochCalculation.maxEpochs,
                 "epoch_calculation.min_epochs must be between 1 and epoch_calculation.max_epochs")
        try need(hardwareMonitoring.intervalSeconds > 0, "hardware_monitoring.interval_seconds must be positive")
        try need(hardwareMonitoring.memoryThresholdWarnPct <= hardwareMonitoring.memoryThresholdStopPct,
                 "hardware_monitoring.memory_threshold_warn_pct must not exceed memory_threshold_stop_pct")
    }

    /// The config as JSON with sorted keys, every key present: the checkpoint's copy (a
    /// resume without --config loads it) and, once `asRun` has made every choice, the run's
    /// config snapshot.
    public func resolvedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Optional keys the encoder leaves out are written as null ("auto" for batch_size
        // and threads), so every key of the file appears.
        guard var root = try JSONSerialization.jsonObject(with: try encoder.encode(self)) as? [String: Any],
              var m = root["model"] as? [String: Any], var t = root["training"] as? [String: Any] else {
            preconditionFailure("the config encodes to an object")
        }
        for key in ["n_layer", "n_head", "n_embd"] where m[key] == nil { m[key] = NSNull() }
        for key in ["eval_max_batches", "max_steps"] where t[key] == nil { t[key] = NSNull() }
        for key in ["batch_size", "threads"] where t[key] == nil { t[key] = "auto" }
        if var d = t["distributed"] as? [String: Any] {
            for key in ["world_size", "rank_threads"] where d[key] == nil { d[key] = "auto" }
            t["distributed"] = d
        }
        root["model"] = m
        root["training"] = t
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }

    /// The GPT-2 sizes for a vocabulary: the preset, with explicit keys overriding it.
    public func gptConfig(vocabSize: Int) -> GPTConfig {
        let preset = ModelPreset(rawValue: model.preset) ?? .gpt2
        return GPTConfig(vocabSize: vocabSize, nPositions: model.nPositions, nEmbd: model.nEmbd ?? preset.nEmbd,
                         nLayer: model.nLayer ?? preset.nLayer, nHead: model.nHead ?? preset.nHead,
                         dropout: model.dropout, layerNormEpsilon: model.layerNormEpsilon,
                         initializerRange: model.initializerRange)
    }
}
