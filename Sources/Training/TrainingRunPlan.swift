import Foundation
import HardwareMonitor
import Torch
import TrainingPlan

/// The numbers of one training invocation, from TrainingPlan's formulas: the batch (`auto`
/// resolved), steps per epoch, epochs, the steps the schedule spans and the step this
/// invocation stops at, warmup, the scaled peak learning rate, and the batches of one
/// evaluation. With data-parallel ranks, everything that counts sequences counts the global
/// batch (`globalBatchSize`: ranks × batch × accumulation): steps per epoch, warmup, the
/// learning-rate scaling and the evaluation batches are those of one process with batch
/// ranks × batch. A resumed run keeps its checkpoint's global batch and schedule, so the
/// curve continues, on any number of ranks that divides it; only where it stops may change
/// (a new `max_steps`, more data).
public struct TrainingRunPlan: Sendable, Equatable, Codable {
    /// Sequences per micro-batch on each rank, micro-batches per optimizer step, and ranks:
    /// one step reads a global batch of `batchSize × gradientAccumulationSteps × worldSize`.
    public var batchSize: Int
    public var gradientAccumulationSteps: Int
    public var worldSize: Int
    public var stepsPerEpoch: Int
    public var epochs: Int
    /// Steps the learning-rate schedule spans (the first invocation's total).
    public var scheduledSteps: Int
    /// The step this invocation stops at (steps count from 1).
    public var totalSteps: Int
    public var warmupSteps: Int
    public var peakLearningRate: Double
    /// Validation batches (of `worldSize × batchSize` sequences) in one evaluation.
    public var evaluationBatches: Int
    public var trainSequences: Int
    public var validationSequences: Int
    public var sequenceLength: Int
    /// The batch size the config or the device asked for, when train.bin held too few
    /// sequences for it and it was lowered.
    public var requestedBatchSize: Int?

    /// Sequences of one optimizer step over all ranks.
    public var globalBatchSize: Int { batchSize * gradientAccumulationSteps * worldSize }

    /// A fresh run's plan. `model` sizes the automatic batch on CPU, from this machine's
    /// free RAM shared by its `world.localSize` ranks.
    public init(config: TrainingConfig, data: TrainingData, model: GPTConfig, device: Device, world: World = .single) {
        let t = config.training
        let sequences = data.train.sequenceCount
        let A = t.gradientAccumulationSteps, N = world.size
        var batch = t.batchSize ?? Self.autoBatchSize(model: model, sequenceLength: data.sequenceLength, device: device, config: config,
                                                      ranksOnThisMachine: world.localSize)
        if batch * A * N > sequences {
            requestedBatchSize = batch
            batch = max(1, sequences / (A * N))
        }
        batchSize = batch
        gradientAccumulationSteps = A
        worldSize = N
        stepsPerEpoch = max(1, sequences / (batch * A * N))
        epochs = Self.epochs(config: config, data: data)
        scheduledSteps = min(epochs * stepsPerEpoch, t.maxSteps ?? Int.max)
        totalSteps = scheduledSteps
        warmupSteps = TrainingPlan.warmupSteps(totalSteps: scheduledSteps, ratio: t.warmupRatio, minSteps: t.warmupStepsMin, maxSteps: t.warmupStepsMax)
        peakLearningRate = TrainingPlan.scaledLearningRate(base: t.baseLearningRate, batchSize: batch * A * N, referenceBatchSize: t.referenceBatchSize)
        trainSequences = sequences
        validationSequences = data.validation.sequenceCount
        sequenceLength = data.sequenceLength
        evaluationBatches = Self.evaluationBatches(config: config, data: data, batchSize: batch * N)
    }

    /// A resumed run's plan: the global batch and schedule of `state` (its checkpoint), split
    /// over `world.size` ranks; it stops at the epochs' end or at `max_steps`, whichever
    /// comes first (the original total if unset). Throws when the global batch does not
    /// split evenly over the ranks.
    public init(resuming state: TrainingState, config: TrainingConfig, data: TrainingData, world: World = .single) throws {
        let A = state.gradientAccumulationSteps, N = world.size
        let perStep = state.batchSize * (state.worldSize ?? 1)    // sequences of one micro-batch over all ranks
        guard perStep % N == 0 else {
            let fits = (1...perStep).filter { perStep % $0 == 0 }.map(String.init).joined(separator: ", ")
            throw TrainingError.badCheckpoint("the checkpoint's run took \(perStep) sequences per micro-batch (\(state.worldSize ?? 1) ranks × batch \(state.batchSize)), which \(N) ranks cannot share evenly: resume on \(fits) ranks")
        }
        batchSize = perStep / N
        gradientAccumulationSteps = A
        worldSize = N
        stepsPerEpoch = state.stepsPerEpoch
        epochs = Self.epochs(config: config, data: data)
        scheduledSteps = state.totalSteps
        totalSteps = min(epochs * state.stepsPerEpoch, config.training.maxSteps ?? state.totalSteps)
        warmupSteps = state.warmupSteps
        peakLearningRate = state.peakLearningRate
        trainSequences = data.train.sequenceCount
        validationSequences = data.validation.sequenceCount
        sequenceLength = data.sequenceLength
        evaluationBatches = Self.evaluationBatches(config: config, data: data, batchSize: perStep)
    }

    /// The learning rate at each step: warmup, then the config's decay down to its floor
    /// at `scheduledSteps`.
    public func schedule(_ training: TrainingConfig.Training) -> LearningRateSchedule {
        LearningRateSchedule(peak: peakLearningRate, warmupSteps: warmupSteps, totalSteps: scheduledSteps,
                             decay: training.lrSchedule == "linear" ? .linear : .cosine, minRatio: training.minLrRatio)
    }

    /// `training_parameters` of the report.
    func reportParameters(threads: Int) -> [String: Double] {
        ["epochs": Double(epochs), "total_steps": Double(totalSteps), "steps_per_epoch": Double(stepsPerEpoch),
         "warmup_steps": Double(warmupSteps), "batch_size": Double(batchSize), "gradient_accumulation_steps": Double(gradientAccumulationSteps),
         "peak_learning_rate": peakLearningRate, "train_sequences": Double(trainSequences),
         "validation_sequences": Double(validationSequences), "sequence_length": Double(sequenceLength), "threads": Double(threads),
         "world_size": Double(worldSize), "global_batch_size": Double(globalBatchSize)]
    }

    static func epochs(config: TrainingConfig, data: TrainingData) -> Int {
        let e = config.epochCalculation
        return TrainingPlan.epochs(targetTokens: e.targetTokens, sequences: data.train.sequenceCount, sequenceLength: data.sequenceLength,
                                   minEpochs: e.minEpochs, maxEpochs: e.maxEpochs)
    }

    /// The whole validation set in batches of `batchSize`, or `eval_max_batches` of them.
    static func evaluationBatches(config: TrainingConfig, data: TrainingData, batchSize: Int) -> Int {
        let all = (data.validation.sequenceCount + batchSize - 1) / batchSize
        return min(all, config.training.evalMaxBatches ?? all)
    }

    /// `training.batch_size: auto`. On CUDA: GPU memory tiers. On CPU: what fits a quarter
    /// of this rank's share of the free RAM given the activations one sequence of
    /// `sequenceLength` needs.
    public static func autoBatchSize(model g: GPTConfig, sequenceLength: Int, device: Device, config: TrainingConfig,
                              ranksOnThisMachine: Int = 1) -> Int {
        let hm = config.hardwareMonitoring
        if device == .cuda, let total = HardwareMonitor().sample().gpus.first?.memoryTotalBytes {
            return TrainingPlan.batchSize(gpuMemoryBytes: total, largeGB: hm.gpuMemoryThresholdLargeGb, mediumGB: hm.gpuMemoryThresholdMediumGb)
        }
        let T = Int64(sequenceLength), C = Int64(g.nEmbd), H = Int64(g.nHead)
        // Activations kept for backward, float32: per layer ~ T (34 C + 5 H T) × 2 bytes
        // (Korthikanti et al., 16-bit) × 2, plus logits, their softmax and gradient: 3 T V × 4.
        let perSequence = Int64(g.nLayer) * T * (34 * C + 5 * H * T) * 4 + 3 * T * Int64(g.vocabSize) * 4
        let free = (HardwareMonitor.memory()?.available ?? 4 << 30) / Int64(max(1, ranksOnThisMachine))
        return TrainingPlan.cpuBatchSize(freeRAMBytes: free, bytesPerSequence: perSequence, cap: config.training.maxBatchSize)
    }
}
