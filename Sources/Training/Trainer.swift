import DurableFiles
import ExperimentStore
import Foundation
import HardwareMonitor
import Torch
import TrainingPlan

/// What `blocklab train` asks for.
public struct TrainOptions {
    public var dataDirectory: URL
    public var outputDirectory: URL
    /// The YAML as given (nil: built-in defaults), and `--set KEY=VALUE` overrides.
    public var configYAML: String?
    public var overrides: [String] = []
    /// `--device`; nil = `training.device`.
    public var device: Device?
    /// `--resume RUN|latest`: continue that run from its last checkpoint, as a new run.
    public var resume: String?
    public var runName = "train"
    /// Written into config.json (`bos_token_id`, `eos_token_id`): the tokenizer's end of text.
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var commandLine: [String] = CommandLine.arguments
    /// Progress lines (stderr in the command).
    public var progress: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Test hooks: stop as `killed` after this many steps of this invocation; write NaN into
    /// the weights before this step.
    public var stopAfterSteps: Int?
    public var injectNaNAtStep: Int?
    /// false: no per-step metrics or hardware samples reach the store (the run row, phase,
    /// checkpoints and report still do). For measuring the logging overhead only.
    public var recordMetrics = true

    public init(dataDirectory: URL, outputDirectory: URL) {
        self.dataDirectory = dataDirectory
        self.outputDirectory = outputDirectory
    }
}

/// How a run ended.
public struct TrainOutcome: Sendable {
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
    public var bestValLoss: Double?
    public var outputDirectory: URL
}

/// The training loop of phase 4. Reads top to bottom: config, data, device, model, plan,
/// store, then `for step ...` with forward/backward/clip/AdamW (one C call), log,
/// evaluate, early-stop, checkpoint; then the report.
public enum Trainer {
    public static func run(_ options: TrainOptions, store: ExperimentStore) throws -> TrainOutcome {
        // 1. Config: the given YAML, or when resuming without one, the checkpoint's resolved config.
        var parent: RunInfo?
        var resumeCheckpoint: CheckpointRecord?
        if let ref = options.resume {
            parent = try store.run(ref)
            resumeCheckpoint = try store.checkpoints(runID: parent!.id).max { ($0.step, $0.id) < ($1.step, $1.id) }
        }
        var yaml = options.configYAML
        if yaml == nil, let resumeCheckpoint {
            yaml = try Checkpoint.readState(from: URL(fileURLWithPath: resumeCheckpoint.path)).config
        }
        let config: TrainingConfig
        do { config = try TrainingConfig.load(yaml: yaml, overrides: options.overrides) } catch {
            // A config that does not load still leaves a failed run in the store.
            let run = try store.startRun(RunSpec(name: options.runName, config: ConfigSnapshot(yaml: yaml, resolvedJSON: Data("{}".utf8)),
                                                 commandLine: options.commandLine, parentRunID: parent?.id))
            try run.startPhase("train")
            try run.finishPhase("train", status: .failed, error: "\(error)")
            try run.finish(status: .failed, error: "\(error)")
            throw error
        }
        let run = try store.startRun(RunSpec(name: options.runName, config: ConfigSnapshot(yaml: yaml, resolvedJSON: try config.resolvedJSON()),
                                             commandLine: options.commandLine, parentRunID: parent?.id))
        try run.startPhase("train")
        var loop = Loop(options: options, config: config, run: run)
        do {
            if let ref = options.resume, resumeCheckpoint == nil {
                throw TrainingError.badCheckpoint("run \(ref) has no checkpoint to resume from: start a new run instead")
            }
            try loop.prepare(resumeFrom: resumeCheckpoint.map { URL(fileURLWithPath: $0.path) }, parentUUID: parent?.uuid)
            try loop.train()
        } catch let error as TorchError where error.kind == .outOfMemory {
            loop.fail("\(error): lower training.batch_size or the model size (model.preset, model.n_embd, model.n_layer)")
        } catch {
            loop.fail("\(error)")
        }
        return try loop.conclude()
    }
}

/// Shared between the loop and the hardware sampler thread.
final class HardwareState: @unchecked Sendable {
    private let lock = NSLock()
    private var _step = 0
    private var _latest: HardwareSample?
    private var _peaks = HardwarePeaks()
    var step: Int { get { lock.withLock { _step } } set { lock.withLock { _step = newValue } } }
    var latest: HardwareSample? { lock.withLock { _latest } }
    var peaks: HardwarePeaks { lock.withLock { _peaks } }

    func record(_ s: HardwareSample) {
        lock.withLock {
            _latest = s
            _peaks.add(s)
        }
    }

    /// Highest memory use in percent: RAM, or any GPU's memory.
    func memoryPercent() -> Double? {
        guard let s = latest else { return nil }
        var worst = s.ramPercent
        for g in s.gpus {
            if let used = g.memoryUsedBytes, let total = g.memoryTotalBytes, total > 0 {
                worst = max(worst ?? 0, 100 * Double(used) / Double(total))
            }
        }
        return worst
    }
}

struct Loop {
    let options: TrainOptions
    let config: TrainingConfig
    let run: RunHandle
    var data: TrainingData!
    var model: GPTModel!
    var optimizer: AdamW!
    var schedule: LearningRateSchedule!
    var state: TrainingState!
    var device = Device.cpu
    var totalSteps = 0
    var report: TrainingReport
    var losses: [Int: Double] = [:]
    var stepSeconds: [Int: Double] = [:]
    var stepCPUSeconds: [Int: Double] = [:]
    var loggingSeconds = 0.0
    var status = RunStatus.finished
    var error: String?
    var bestLoss: Double?
    let hardware = HardwareState()
    var sampler: HardwareSampler?
    var warnedMemory = false
    /// Steps whose directory is written and recorded; the directory of the current best when
    /// nothing else (a periodic or last checkpoint) keeps it.
    var writtenSteps: Set<Int> = []
    var bestOnlyDirectory: URL?
    var finalStepIsBest = false
    var parentUUID: String?

    init(options: TrainOptions, config: TrainingConfig, run: RunHandle) {
        self.options = options
        self.config = config
        self.run = run
        report = TrainingReport(patience: config.training.patience, minDelta: config.training.minDelta)
    }

    var out: URL { options.outputDirectory }
    func say(_ line: String) { options.progress(line) }

    // MARK: Set-up

    mutating func prepare(resumeFrom checkpoint: URL?, parentUUID: String?) throws {
        self.parentUUID = parentUUID
        let t = config.training
        // 2. Data.
        data = try TrainingData(directory: options.dataDirectory)
        let L = data.sequenceLength
        guard L >= 2 else { throw TrainingError.badDataset("sequence_length \(L) is too short: sequences need at least 2 tokens") }
        let positions = checkpoint.flatMap { try? ModelDirectory.loadConfig(from: $0).nPositions } ?? config.model.nPositions
        // The model sees a sequence's first L-1 tokens (the last is only a target).
        guard L - 1 <= positions else {
            throw TrainingError.badDataset("the dataset's sequence_length \(L) is above model.n_positions \(positions): tokenize with a shorter sequence length or raise model.n_positions")
        }

        // Half-written checkpoints of processes that died (SIGINT, SIGKILL) are removed.
        DurableFile.removeDebris(in: out)

        // 3. Device and threads.
        device = (options.device ?? Device(rawValue: t.device) ?? .auto).resolved
        if device == .cuda && !Torch.cudaIsAvailable {
            throw TrainingError.badConfig("device cuda (--device or training.device): this libtorch build has no CUDA device; use cpu or auto")
        }
        try Torch.setThreads(ProcessInfo.processInfo.activeProcessorCount)
        // Cache freed tensor blocks, up to a quarter of RAM (released when memory runs short).
        try Torch.useCachingAllocator(limit: (HardwareMonitor.memory()?.total ?? 8 << 30) / 4)

        // 4. Model and optimizer: fresh from the seed, or from the checkpoint.
        try Torch.manualSeed(UInt64(t.seed))
        if let checkpoint {
            model = try ModelDirectory.loadModel(from: checkpoint, device: device)
            guard model.config.vocabSize == data.vocabSize else {
                throw TrainingError.badCheckpoint("\(checkpoint.path) has vocab_size \(model.config.vocabSize), the dataset \(data.vocabSize)")
            }
        } else {
            model = try GPTModel(config: config.gptConfig(vocabSize: data.vocabSize), device: device)
        }
        optimizer = try AdamW(model: model, beta1: t.adamBeta1, beta2: t.adamBeta2, eps: t.adamEpsilon, weightDecay: t.weightDecay)

        // 5. Plan: batch size, steps, epochs, warmup, learning rate (TrainingPlan's formulas).
        let sequences = data.train.sequenceCount
        if let checkpoint {
            state = try Checkpoint.readState(from: checkpoint)
            try Checkpoint.restoreOptimizer(optimizer, from: checkpoint, stepCount: state.step)
            report = state.report
            report.resumedFromRun = parentUUID
            report.resumedAtStep = state.step
            report.status = "running"
        } else {
            var batch = t.batchSize ?? autoBatchSize()
            if batch * t.gradientAccumulationSteps > sequences {
                batch = max(1, sequences / t.gradientAccumulationSteps)
                say("note: train.bin holds \(sequences) sequences; batch size lowered to \(batch)")
            }
            let stepsPerEpoch = max(1, sequences / (batch * t.gradientAccumulationSteps))
            let epochs = TrainingPlan.epochs(targetTokens: config.epochCalculation.targetTokens, sequences: sequences,
                                             sequenceLength: L, minEpochs: config.epochCalculation.minEpochs,
                                             maxEpochs: config.epochCalculation.maxEpochs)
            let planned = min(epochs * stepsPerEpoch, t.maxSteps ?? Int.max)
            let warmup = TrainingPlan.warmupSteps(totalSteps: planned, ratio: t.warmupRatio, minSteps: t.warmupStepsMin, maxSteps: t.warmupStepsMax)
            let lr = TrainingPlan.scaledLearningRate(base: t.baseLearningRate, batchSize: batch * t.gradientAccumulationSteps,
                                                     referenceBatchSize: t.referenceBatchSize)
            state = TrainingState(step: 0, epoch: 0, batchSize: batch, gradientAccumulationSteps: t.gradientAccumulationSteps,
                                  stepsPerEpoch: stepsPerEpoch, totalSteps: planned, warmupSteps: warmup, peakLearningRate: lr,
                                  seed: t.seed, dataEpoch: 0, dataBatch: 0,
                                  earlyStopping: EarlyStopping(patience: t.patience, minDelta: t.minDelta), runUUID: run.uuid,
                                  config: nil, report: report)
        }
        state.runUUID = run.uuid
        state.config = String(decoding: try config.resolvedJSON(), as: UTF8.self)
        schedule = LearningRateSchedule(peak: state.peakLearningRate, warmupSteps: state.warmupSteps, totalSteps: state.totalSteps,
                                        decay: t.lrSchedule == "linear" ? .linear : .cosine, minRatio: t.minLrRatio)
        // A resumed run may be given a new cap; the schedule stays the original's so the curve continues.
        let epochs = TrainingPlan.epochs(targetTokens: config.epochCalculation.targetTokens, sequences: sequences, sequenceLength: L,
                                         minEpochs: config.epochCalculation.minEpochs, maxEpochs: config.epochCalculation.maxEpochs)
        totalSteps = checkpoint == nil ? state.totalSteps : min(epochs * state.stepsPerEpoch, t.maxSteps ?? state.totalSteps)
        let g = model.config
        report.model = ["vocab_size": g.vocabSize, "n_positions": g.nPositions, "n_embd": g.nEmbd, "n_layer": g.nLayer,
                        "n_head": g.nHead, "parameters": g.parameterCount]
        report.device = device.rawValue
        report.trainingParameters = ["epochs": Double(epochs), "total_steps": Double(totalSteps), "steps_per_epoch": Double(state.stepsPerEpoch),
                                     "warmup_steps": Double(state.warmupSteps), "batch_size": Double(state.batchSize),
                                     "gradient_accumulation_steps": Double(state.gradientAccumulationSteps),
                                     "peak_learning_rate": state.peakLearningRate, "train_sequences": Double(sequences),
                                     "validation_sequences": Double(data.validation.sequenceCount), "sequence_length": Double(L),
                                     "threads": Double(Torch.threads)]
        say("train: \(g.nLayer) layers × \(g.nEmbd) wide, \(g.parameterCount) parameters, vocab \(g.vocabSize), on \(device.rawValue) with \(Torch.threads) threads")
        say("train: \(sequences) sequences of \(L) tokens, batch \(state.batchSize) × \(state.gradientAccumulationSteps), \(state.stepsPerEpoch) steps/epoch, \(totalSteps) steps, warmup \(state.warmupSteps), peak lr \(state.peakLearningRate)")
        if checkpoint != nil { say("train: resuming at step \(state.step) from \(checkpoint!.path)") }

        // 6. The hardware sampler thread; one reading now, so thresholds hold from step 1.
        hardware.record(HardwareMonitor().sample(step: state.step))
        let hw = hardware, run = run, record = options.recordMetrics
        sampler = HardwareSampler(interval: config.hardwareMonitoring.intervalSeconds, currentStep: { hw.step },
                                  onSample: { s in hw.record(s); if record { run.logHardware(s) } })
        sampler?.start()
    }

    /// On CPU: what fits a quarter of the free RAM given the activations one sequence needs;
    /// on CUDA: GPU memory tiers.
    func autoBatchSize() -> Int {
        let hm = config.hardwareMonitoring
        if device == .cuda, let total = HardwareMonitor().sample().gpus.first?.memoryTotalBytes {
            return TrainingPlan.batchSize(gpuMemoryBytes: total, largeGB: hm.gpuMemoryThresholdLargeGb, mediumGB: hm.gpuMemoryThresholdMediumGb)
        }
        let g = model.config, T = Int64(data.sequenceLength), C = Int64(g.nEmbd), H = Int64(g.nHead)
        // Activations kept for backward, float32: per layer ~ T (34 C + 5 H T) × 2 bytes
        // (Korthikanti et al., 16-bit) × 2, plus logits, their softmax and gradient: 3 T V × 4.
        let perSequence = Int64(g.nLayer) * T * (34 * C + 5 * H * T) * 4 + 3 * T * Int64(g.vocabSize) * 4
        let free = HardwareMonitor.memory()?.available ?? 4 << 30
        return TrainingPlan.cpuBatchSize(freeRAMBytes: free, bytesPerSequence: perSequence, cap: config.training.maxBatchSize)
    }

    // MARK: The loop

    mutating func train() throws {
        let t = config.training
        let B = state.batchSize, A = state.gradientAccumulationSteps, T = data.sequenceLength - 1
        let train = data.train
        var order = epochOrder(sequences: train.sequenceCount, seed: state.seed, epoch: state.dataEpoch)
        var stepTimes: [Double] = []
        var epochLosses: [Double] = []
        let runStart = Date()
        var stepsThisRun = 0

        while state.step < totalSteps {
            let step = state.step
            hardware.step = step
            if let stop = options.stopAfterSteps, stepsThisRun >= stop {       // test hook: a killed run
                status = .killed
                error = "stopped after \(stop) steps (test hook)"
                return
            }
            if options.injectNaNAtStep == step {                                 // test hook: a NaN
                try model.write(parameter: 0, [Float](repeating: .nan, count: model.parameters[0].count))
            }

            // Batch: A micro-batches of B sequences, in this epoch's order.
            var batch = Batch()
            let first = state.dataBatch * B * A
            for i in 0..<(B * A) { batch.append(sequence: order[first + i], of: train) }

            // Forward, masked loss, backward, clip, AdamW: one call. Dropout seeded per step.
            let lr = schedule.rate(at: step)
            try Torch.manualSeed(UInt64(state.seed) &* 1_000_003 &+ UInt64(step))
            try model.setTraining(true)
            let started = Date(), startedCPU = processCPUSeconds()
            let result = try optimizer.step(tokens: batch.tokens, targets: batch.targets, microBatches: A, batch: B, time: T,
                                            learningRate: lr, maxGradNorm: t.maxGradNorm)
            let seconds = Date().timeIntervalSince(started), cpuSeconds = processCPUSeconds() - startedCPU
            guard result.loss.isFinite, result.gradNorm.isFinite else {
                throw TrainingError.nonFiniteLoss(step: step, loss: result.loss, gradNorm: result.gradNorm)
            }

            // Log: every optimizer step, numbered by steps completed (1, 2, ...), as checkpoints are.
            state.step += 1
            stepsThisRun += 1
            state.dataBatch += 1
            let epoch = Double(state.step) / Double(state.stepsPerEpoch)
            state.epoch = epoch
            let tokensPerSecond = Double(B * A * T) / seconds
            let logStart = DispatchTime.now().uptimeNanoseconds
            if options.recordMetrics {
                run.log(step: state.step, epoch: epoch, ["train/loss": result.loss, "train/lr": lr, "train/grad_norm": result.gradNorm,
                                                   "train/tokens_per_s": tokensPerSecond, "train/step_time_s": seconds])
            }
            loggingSeconds += Double(DispatchTime.now().uptimeNanoseconds - logStart) / 1e9
            losses[state.step] = result.loss
            stepSeconds[state.step] = seconds
            stepCPUSeconds[state.step] = cpuSeconds
            epochLosses.append(result.loss)
            stepTimes.append(seconds)
            report.trainLossHistory.append(result.loss)
            report.gradientNorms.add(result.gradNorm)
            report.learningRate.add(lr)
            report.stepsCompleted = state.step
            report.epochsCompleted = epoch
            report.finalTrainLoss = result.loss
            if state.step % t.progressEverySteps == 0 || state.step == totalSteps {
                let mean = stepTimes.suffix(20).reduce(0, +) / Double(min(20, stepTimes.count))
                say(String(format: "step %d/%d | epoch %.2f | loss %.4f | lr %.3e | %.0f tok/s | %.3f s/step | eta %@",
                           state.step, totalSteps, epoch, result.loss, lr, tokensPerSecond, seconds,
                           formatDuration(mean * Double(totalSteps - state.step))))
            }

            // Epoch end: next order, mean loss.
            let epochEnded = state.dataBatch >= state.stepsPerEpoch
            if epochEnded {
                report.epochLossHistory.append(.init(epoch: state.dataEpoch, trainLoss: epochLosses.reduce(0, +) / Double(epochLosses.count),
                                                     steps: epochLosses.count))
                epochLosses = []
                state.dataEpoch += 1
                state.dataBatch = 0
                order = epochOrder(sequences: train.sequenceCount, seed: state.seed, epoch: state.dataEpoch)
            }

            // Evaluate: every eval_every_steps, at each epoch end, and at the last step.
            var isBest = false
            if state.step % t.evalEverySteps == 0 || epochEnded || state.step == totalSteps {
                let valLoss = try evaluate()
                let perplexity = exp(valLoss)
                run.log(step: state.step, epoch: epoch, ["val/loss": valLoss, "val/perplexity": perplexity])
                report.validationHistory.append(.init(step: state.step, epoch: epoch, valLoss: valLoss, perplexity: perplexity))
                report.finalValLoss = valLoss
                report.perplexity = perplexity
                isBest = state.earlyStopping.record(valLoss)
                report.earlyStopping.evaluationsWithoutImprovement = state.earlyStopping.badEvaluations
                if isBest { report.bestValLoss = valLoss; report.bestStep = state.step; bestLoss = valLoss }
                say(String(format: "eval step %d | val loss %.4f | perplexity %.2f%@", state.step, valLoss, perplexity, isBest ? " | best" : ""))
            }

            // Checkpoints: best, every checkpoint_every_steps. The final step's is written by
            // conclude(), once, as `last` (and `best`), with the finished report inside.
            let stopping = state.earlyStopping.shouldStop
            if stopping || state.step == totalSteps {
                finalStepIsBest = isBest
            } else if isBest || state.step % t.checkpointEverySteps == 0 {
                try checkpoint(best: isBest, periodic: state.step % t.checkpointEverySteps == 0, last: false)
            }
            if stopping {
                report.earlyStopping.stoppedEarly = true
                report.earlyStopping.stoppedAtStep = state.step
                say("early stopping: no improvement of \(t.minDelta) in \(t.patience) evaluations")
                break
            }

            // Memory thresholds (from the sampler's latest reading).
            if let pct = hardware.memoryPercent() {
                let hm = config.hardwareMonitoring
                if pct >= hm.memoryThresholdStopPct {
                    throw TrainingError.memoryLimit(String(format: "memory use %.1f%% reached hardware_monitoring.memory_threshold_stop_pct %.0f%%: stopped cleanly with a checkpoint; free memory or lower training.batch_size, then --resume", pct, hm.memoryThresholdStopPct))
                }
                if pct >= hm.memoryThresholdWarnPct && !warnedMemory {
                    warnedMemory = true
                    say(String(format: "warning: memory use %.1f%% is above hardware_monitoring.memory_threshold_warn_pct %.0f%%", pct, hm.memoryThresholdWarnPct))
                }
            }
        }
        report.timing.trainingSeconds += Date().timeIntervalSince(runStart)
        if !stepTimes.isEmpty {
            let mean = stepTimes.reduce(0, +) / Double(stepTimes.count)
            report.timing.meanStepSeconds = mean
            report.timing.tokensPerSecond = Double(B * A * T) / mean
        }
    }

    /// Mean validation loss over real (non-padding) targets; dropout off.
    func evaluate() throws -> Double {
        try model.setTraining(false)
        let val = data.validation
        let B = state.batchSize, T = data.sequenceLength - 1
        var sum = 0.0, count = 0, batches = 0
        var start = 0
        while start < val.sequenceCount, batches < (config.training.evalMaxBatches ?? Int.max) {
            var batch = Batch()
            let end = min(start + B, val.sequenceCount)
            for i in start..<end { batch.append(sequence: i, of: val) }
            let r = try model.loss(tokens: batch.tokens, targets: batch.targets, batch: end - start, time: T)
            sum += r.sum
            count += r.count
            batches += 1
            start = end
        }
        guard count > 0 else { throw TrainingError.badDataset("val.bin holds no real tokens to evaluate on") }
        return sum / Double(count)
    }

    /// Checkpoints are directories `OUT/step-NNNNNN`, each written once (complete, then
    /// renamed into place) and only then recorded; `OUT/best` and `OUT/last` are symbolic
    /// links to them. A directory written only as a best is deleted when a newer best
    /// replaces it (its row stays, as history), so rows never describe changed files.
    mutating func checkpoint(best: Bool, periodic: Bool, last: Bool) throws {
        let name = String(format: "step-%06d", state.step)
        let dir = out.appendingPathComponent(name)
        // A resumed run that ends where it started finds its parent's directory of this step:
        // the same state, so it is recorded again rather than rewritten.
        let parentsOwn = !writtenSteps.contains(state.step) && parentUUID != nil
            && (try? Checkpoint.readState(from: dir))?.runUUID == parentUUID
        if !writtenSteps.contains(state.step) && !parentsOwn {
            state.report = report
            try Checkpoint.write(to: dir, model: model, optimizer: optimizer, state: state, data: data, report: report,
                                 bosTokenID: options.bosTokenID, eosTokenID: options.eosTokenID)
            var metrics: [String: Double] = [:]
            if let last = report.validationHistory.last { metrics["val/loss"] = last.valLoss; metrics["val/perplexity"] = last.perplexity }
            if let loss = report.finalTrainLoss { metrics["train/loss"] = loss }
            try run.recordCheckpoint(path: dir.path, step: state.step, epoch: state.epoch, format: "safetensors", isBest: best, metrics: metrics)
            writtenSteps.insert(state.step)
        } else if parentsOwn {
            try run.recordCheckpoint(path: dir.path, step: state.step, epoch: state.epoch, format: "safetensors", isBest: best)
            writtenSteps.insert(state.step)
        }
        if best {
            try link("best", to: name)
            if let previous = bestOnlyDirectory, previous != dir { try? FileManager.default.removeItem(at: previous) }
            bestOnlyDirectory = periodic || last ? nil : dir
        }
        if last {
            try link("last", to: name)
            if bestOnlyDirectory == dir { bestOnlyDirectory = nil }
        }
    }

    /// Points `OUT/name` at `target` (a sibling) atomically.
    func link(_ name: String, to target: String) throws {
        try DurableFile.link(out.appendingPathComponent(name), to: target)
    }

    mutating func fail(_ message: String) {
        if status == .finished { status = .failed }
        error = message
        say("error: \(message)")
        // A clean stop on memory still leaves a resumable checkpoint.
        if message.contains("memory_threshold_stop_pct"), model != nil, state != nil {
            report.status = status.rawValue
            report.error = message
            try? checkpoint(best: false, periodic: false, last: true)
        }
    }

    /// Stops the sampler, writes `last` and the report, records them, finishes the run.
    mutating func conclude() throws -> TrainOutcome {
        sampler?.stop()
        report.hardwarePeaks = hardware.peaks
        report.status = status.rawValue
        report.error = error
        report.timing.finishedAt = Date().timeIntervalSince1970
        if status == .finished || status == .killed, model != nil, state != nil {
            do {
                try checkpoint(best: finalStepIsBest, periodic: false, last: true)
            } catch {
                status = .failed
                self.error = "writing the last checkpoint failed: \(error)"
            }
        }
        if FileManager.default.fileExists(atPath: out.path) || (try? FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)) != nil {
            let reportURL = out.appendingPathComponent(ModelDirectory.reportFile)
            if (try? report.write(to: reportURL)) != nil { _ = try? run.recordArtifact(path: reportURL.path, kind: "report", name: ModelDirectory.reportFile) }
        }
        struct Stats: Encodable { let steps: Int; let epochs: Double; let bestValLoss: Double?; let finalTrainLoss: Double?; let device: String }
        let stats = Stats(steps: state?.step ?? 0, epochs: state?.epoch ?? 0, bestValLoss: report.bestValLoss,
                          finalTrainLoss: report.finalTrainLoss, device: device.rawValue)
        try run.finishPhase("train", status: status == .finished ? .finished : .failed, stats: stats, error: error)
        try run.finish(status: status, error: error)
        return TrainOutcome(runID: run.id, status: status, error: error, losses: losses, stepSeconds: stepSeconds, stepCPUSeconds: stepCPUSeconds,
                            loggingSeconds: loggingSeconds, stepsCompleted: state?.step ?? 0,
                            bestValLoss: report.bestValLoss, outputDirectory: out)
    }
}

/// CPU time of this process, all threads.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}
