import ExperimentStore
import Foundation
import HardwareMonitor
import Torch
import TrainingPlan

/// Phase 4: trains a GPT-2 on a tokenized dataset and records every step in the store.
/// Reads top to bottom like nanoGPT's train.py: config; data, device, model sizes and plan
/// (all chosen before the run starts, so its snapshot holds the values that ran); the run;
/// model and optimizer; then `for step ...` with the batch, forward/backward/clip/AdamW
/// (one C call), log, evaluate, checkpoint, early stop, memory thresholds; then the report.
///
///     let outcome = try Trainer.run(options, store: store)        // `blocklab train`: its own run
///
///     let setup = try Trainer.prepare(options, config: config)    // a caller's run (the pipeline):
///     let outcome = try Trainer.train(setup, in: run)             //   snapshot setup.asRun, wrap in its phase
public enum Trainer {
    /// `blocklab train`: opens a run (the child of the resumed run, if any) with the `train`
    /// phase, trains, and finishes both with the outcome's status. A config that does not
    /// load throws after recording a failed run; every later failure is the outcome's.
    public static func run(_ options: TrainOptions, store: ExperimentStore) throws -> TrainOutcome {
        // 1. Config: the given YAML, or when resuming without one, the checkpoint's own.
        let resume = try options.resume.map { try ResumePoint($0, in: store) }
        var yaml = options.configYAML
        if yaml == nil, let checkpoint = resume?.checkpoint { yaml = try Checkpoint.readState(from: checkpoint).config }
        func startRun(snapshot resolvedJSON: Data) throws -> RunHandle {
            let run = try store.startRun(RunSpec(name: options.runName, config: ConfigSnapshot(yaml: yaml, resolvedJSON: resolvedJSON),
                                                 commandLine: options.commandLine, parentRunID: resume?.runID))
            try run.startPhase("train")
            return run
        }
        let config: TrainingConfig
        do {
            config = try TrainingConfig.load(yaml: yaml, profile: resume != nil && options.configYAML == nil ? nil : options.profile,
                                             overrides: options.overrides, otherSections: options.otherConfigSections)
        } catch {
            let run = try startRun(snapshot: Data("{}".utf8))
            try run.finishPhase("train", status: .failed, error: "\(error)")
            try run.finish(status: .failed, error: "\(error)")
            throw error
        }

        // 2-5. Data, device, model sizes, plan. A failure here still leaves a failed run,
        // whose snapshot is the config as loaded (nothing was chosen yet).
        let setup: TrainingSetup
        do { setup = try prepare(options, config: config, resume: resume) } catch {
            let run = try startRun(snapshot: try config.resolvedJSON())
            let outcome = failedBeforeTheLoop(error, options: options, config: config, run: run)
            try finish(run, outcome)
            return outcome
        }
        let run = try startRun(snapshot: try setup.asRun.resolvedJSON())
        let outcome = try train(setup, in: run)
        try finish(run, outcome)
        return outcome
    }

    /// Steps 2 to 5, before any run exists: opens the dataset, picks the device and
    /// threads, sizes the model (a resumed checkpoint's sizes win), and plans the run.
    /// Throws what a user can fix, naming the fix.
    public static func prepare(_ options: TrainOptions, config: TrainingConfig, resume: ResumePoint? = nil) throws -> TrainingSetup {
        let t = config.training
        var resumed: TrainingSetup.Resumed?
        if let resume {
            guard let checkpoint = resume.checkpoint else {
                throw TrainingError.badCheckpoint("run \(resume.reference) has no checkpoint to resume from: start a new run instead")
            }
            resumed = .init(checkpoint: checkpoint, state: try Checkpoint.readState(from: checkpoint), parentUUID: resume.runUUID)
        }
        // 2. Data.
        let data = try TrainingData(directory: options.dataDirectory)
        let L = data.sequenceLength
        guard L >= 2 else { throw TrainingError.badDataset("sequence_length \(L) is too short: sequences need at least 2 tokens") }

        // 3. Device and threads.
        let device = (options.device ?? Device(rawValue: t.device) ?? .auto).resolved
        if device == .cuda && !Torch.cudaIsAvailable {
            throw TrainingError.badConfig("device cuda (--device or training.device): this libtorch build has no CUDA device; use cpu or auto")
        }
        let threads = t.threads ?? ProcessInfo.processInfo.activeProcessorCount

        // 4. Model sizes: the checkpoint's, or the preset's with the config's overrides.
        let model = try resumed.map { try ModelDirectory.loadConfig(from: $0.checkpoint) } ?? config.gptConfig(vocabSize: data.vocabSize)
        if let resumed, model.vocabSize != data.vocabSize {
            throw TrainingError.badCheckpoint("\(resumed.checkpoint.path) has vocab_size \(model.vocabSize), the dataset \(data.vocabSize)")
        }
        // The model sees a sequence's first L-1 tokens (the last is only a target).
        guard L - 1 <= model.nPositions else {
            throw TrainingError.badDataset("the dataset's sequence_length \(L) is above model.n_positions \(model.nPositions): tokenize with a shorter sequence length or raise model.n_positions")
        }

        // 5. Plan: batch size, steps, epochs, warmup, learning rate (TrainingPlan's formulas).
        let plan = resumed.map { TrainingRunPlan(resuming: $0.state, config: config, data: data) }
            ?? TrainingRunPlan(config: config, data: data, model: model, device: device)
        if plan.requestedBatchSize != nil {
            options.progress("note: train.bin holds \(plan.trainSequences) sequences; batch size lowered to \(plan.batchSize)")
        }
        return TrainingSetup(options: options, config: config, data: data, device: device, threads: threads, model: model,
                             plan: plan, resumed: resumed)
    }

    /// `prepare` and `train` in one: a dataset or device the setup rejects fails the
    /// outcome (with a report), as a failure in training does.
    public static func run(_ options: TrainOptions, config: TrainingConfig, in run: RunHandle) throws -> TrainOutcome {
        let setup: TrainingSetup
        do { setup = try prepare(options, config: config) } catch {
            return failedBeforeTheLoop(error, options: options, config: config, run: run)
        }
        return try train(setup, in: run)
    }

    /// Trains in `run`, which the caller opened and finishes (with the outcome's status)
    /// and whose `train` phase the caller records around this call. Writes checkpoints into
    /// OUT and records them, logs every step, writes the report. A failure of training
    /// (bad data, an allocation, a NaN, the memory limit) is the outcome's, not thrown.
    public static func train(_ setup: TrainingSetup, in run: RunHandle) throws -> TrainOutcome {
        let t = setup.config.training
        // 4. Model and optimizer: fresh from the seed, or from the checkpoint.
        let model: GPTModel, optimizer: AdamW
        do {
            try Torch.setThreads(setup.threads)
            // Cache freed tensor blocks, up to a quarter of RAM (released when memory runs short).
            try Torch.useCachingAllocator(limit: (HardwareMonitor.memory()?.total ?? 8 << 30) / 4)
            try Torch.manualSeed(UInt64(t.seed))
            if let resumed = setup.resumed {
                model = try ModelDirectory.loadModel(from: resumed.checkpoint, device: setup.device)
            } else {
                model = try GPTModel(config: setup.model, device: setup.device)
            }
            optimizer = try AdamW(model: model, beta1: t.adamBeta1, beta2: t.adamBeta2, eps: t.adamEpsilon, weightDecay: t.weightDecay)
            if let resumed = setup.resumed {
                try Checkpoint.restoreOptimizer(optimizer, from: resumed.checkpoint, stepCount: resumed.state.step)
            }
        } catch {
            return failedBeforeTheLoop(error, options: setup.options, config: setup.config, device: setup.device, run: run)
        }
        var loop = TrainingLoop(setup: setup, run: run, model: model, optimizer: optimizer)
        do { try loop.train() } catch { loop.fail(error) }
        return loop.conclude()
    }
}

/// The loop and its state, built whole before the first step: nothing in it is optional.
struct TrainingLoop {
    let setup: TrainingSetup
    let run: RunHandle
    let model: GPTModel
    let optimizer: AdamW
    let schedule: LearningRateSchedule
    let hardware: HardwareWatch
    var state: TrainingState
    var report: TrainingReport
    var folder: Checkpoint.Folder
    var status = RunStatus.finished
    var error: String?
    var finalStepIsBest = false
    var warnedMemory = false
    // This invocation's steps, for the outcome.
    var losses: [Int: Double] = [:]
    var stepSeconds: [Int: Double] = [:]
    var stepCPUSeconds: [Int: Double] = [:]
    var loggingSeconds = 0.0

    var options: TrainOptions { setup.options }
    var plan: TrainingRunPlan { setup.plan }
    func say(_ line: String) { options.progress(line) }

    init(setup: TrainingSetup, run: RunHandle, model: GPTModel, optimizer: AdamW) {
        self.setup = setup
        self.run = run
        self.model = model
        self.optimizer = optimizer
        let t = setup.config.training, plan = setup.plan, options = setup.options
        // The state a checkpoint carries: the resumed one's, or a fresh one from the plan.
        if let resumed = setup.resumed {
            state = resumed.state
            report = state.report
            report.resumedFromRun = resumed.parentUUID
            report.resumedAtStep = state.step
            report.status = "running"
        } else {
            report = TrainingReport(t)
            state = TrainingState(plan: plan, training: t, report: report)
        }
        state.runUUID = run.uuid
        state.config = String(decoding: (try? setup.config.resolvedJSON()) ?? Data("{}".utf8), as: UTF8.self)
        schedule = plan.schedule(t)
        folder = Checkpoint.Folder(options.outputDirectory, parentUUID: setup.resumed?.parentUUID)

        let g = model.config
        report.describe(model: g, device: setup.device, parameters: plan.reportParameters(threads: Torch.threads))
        options.progress("train: \(g.nLayer) layers × \(g.nEmbd) wide, \(g.parameterCount) parameters, vocab \(g.vocabSize), on \(setup.device.rawValue) with \(Torch.threads) threads")
        options.progress("train: \(plan.trainSequences) sequences of \(plan.sequenceLength) tokens, batch \(plan.batchSize) × \(plan.gradientAccumulationSteps), \(plan.stepsPerEpoch) steps/epoch, \(plan.totalSteps) steps, warmup \(plan.warmupSteps), peak lr \(plan.peakLearningRate)")
        if let resumed = setup.resumed { options.progress("train: resuming at step \(state.step) from \(resumed.checkpoint.path)") }

        // 6. The hardware sampler thread.
        hardware = HardwareWatch(interval: setup.config.hardwareMonitoring.intervalSeconds, step: state.step, run: run, log: options.recordMetrics)
    }

    // MARK: The loop

    mutating func train() throws {
        let t = setup.config.training
        let B = plan.batchSize, A = plan.gradientAccumulationSteps, T = plan.sequenceLength - 1
        let train = setup.data.train
        var order = epochOrder(sequences: train.sequenceCount, seed: state.seed, epoch: state.dataEpoch)
        var stepTimes: [Double] = []
        var epochLosses: [Double] = []
        let runStart = Date()
        var stepsThisRun = 0

        while state.step < plan.totalSteps {
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

            // Batch: this step's global batch is the next B × A sequences of this epoch's
            // order, fed as A micro-batches of B. (Data-parallel ranks would each take a slice.)
            let global = order[(state.dataBatch * B * A)..<((state.dataBatch + 1) * B * A)]
            var batch = Batch()
            for index in global { batch.append(sequence: index, of: train) }

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
            report.add(step: state.step, epoch: epoch, loss: result.loss, gradNorm: result.gradNorm, learningRate: lr)
            if state.step % t.progressEverySteps == 0 || state.step == plan.totalSteps {
                let mean = stepTimes.suffix(20).reduce(0, +) / Double(min(20, stepTimes.count))
                say(String(format: "step %d/%d | epoch %.2f | loss %.4f | lr %.3e | %.0f tok/s | %.3f s/step | eta %@",
                           state.step, plan.totalSteps, epoch, result.loss, lr, tokensPerSecond, seconds,
                           formatDuration(mean * Double(plan.totalSteps - state.step))))
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
            if state.step % t.evalEverySteps == 0 || epochEnded || state.step == plan.totalSteps {
                let valLoss = try evaluate()
                let perplexity = exp(valLoss)
                run.log(step: state.step, epoch: epoch, ["val/loss": valLoss, "val/perplexity": perplexity])
                isBest = state.earlyStopping.record(valLoss)
                report.add(evaluation: .init(step: state.step, epoch: epoch, valLoss: valLoss, perplexity: perplexity),
                           isBest: isBest, badEvaluations: state.earlyStopping.badEvaluations)
                say(String(format: "eval step %d | val loss %.4f | perplexity %.2f%@", state.step, valLoss, perplexity, isBest ? " | best" : ""))
            }

            // Checkpoints: best, every checkpoint_every_steps. The final step's is written by
            // conclude(), once, as `last` (and `best`), with the finished report inside.
            let stopping = state.earlyStopping.shouldStop
            if stopping || state.step == plan.totalSteps {
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
                let hm = setup.config.hardwareMonitoring
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

    /// Mean validation loss over real (non-padding) targets; dropout off. The validation
    /// set in file order, in `plan.evaluationBatches` batches of B sequences.
    func evaluate() throws -> Double {
        try model.setTraining(false)
        let val = setup.data.validation
        let B = plan.batchSize, T = plan.sequenceLength - 1
        var sum = 0.0, count = 0
        for first in stride(from: 0, to: val.sequenceCount, by: B).prefix(plan.evaluationBatches) {
            let end = min(first + B, val.sequenceCount)
            var batch = Batch()
            for i in first..<end { batch.append(sequence: i, of: val) }
            let r = try model.loss(tokens: batch.tokens, targets: batch.targets, batch: end - first, time: T)
            sum += r.sum
            count += r.count
        }
        guard count > 0 else { throw TrainingError.badDataset("val.bin holds no real tokens to evaluate on") }
        return sum / Double(count)
    }

    /// Writes and records the checkpoint of this step (once; see `Checkpoint.Folder`), and
    /// points `best` and `last` at it as asked.
    mutating func checkpoint(best: Bool, periodic: Bool, last: Bool) throws {
        let dir = folder.directory(step: state.step)
        switch folder.disposition(of: state.step) {
        case .new:
            state.report = report
            try Checkpoint.write(to: dir, model: model, optimizer: optimizer, state: state, data: setup.data, report: report,
                                 bosTokenID: options.bosTokenID, eosTokenID: options.eosTokenID)
            var metrics: [String: Double] = [:]
            if let last = report.validationHistory.last { metrics["val/loss"] = last.valLoss; metrics["val/perplexity"] = last.perplexity }
            if let loss = report.finalTrainLoss { metrics["train/loss"] = loss }
            try run.recordCheckpoint(path: dir.path, step: state.step, epoch: state.epoch, format: "safetensors", isBest: best, metrics: metrics)
        case .parents:
            try run.recordCheckpoint(path: dir.path, step: state.step, epoch: state.epoch, format: "safetensors", isBest: best)
        case .written:
            break
        }
        try folder.saved(step: state.step, best: best, periodic: periodic, last: last)
    }

    /// Records why the loop stopped. A clean stop on the memory limit still leaves a
    /// resumable checkpoint, `last`.
    mutating func fail(_ failure: Error) {
        let message = Trainer.message(for: failure)
        if status == .finished { status = .failed }
        error = message
        say("error: \(message)")
        if case .memoryLimit? = failure as? TrainingError {
            report.status = status.rawValue
            report.error = message
            try? checkpoint(best: false, periodic: false, last: true)
        }
    }

    /// Stops the sampler, writes `last` (unless the run failed) and the final report,
    /// records them, and says how the run ended.
    mutating func conclude() -> TrainOutcome {
        hardware.stop()
        report.hardwarePeaks = hardware.peaks
        report.status = status.rawValue
        report.error = error
        report.timing.finishedAt = Date().timeIntervalSince1970
        if status == .finished || status == .killed {
            do {
                try checkpoint(best: finalStepIsBest, periodic: false, last: true)
            } catch {
                status = .failed
                self.error = "writing the last checkpoint failed: \(error)"
            }
        }
        report.record(in: options.outputDirectory, run: run)
        return TrainOutcome(runID: run.id, status: status, error: error, losses: losses, stepSeconds: stepSeconds, stepCPUSeconds: stepCPUSeconds,
                            loggingSeconds: loggingSeconds, stepsCompleted: state.step, epochsCompleted: state.epoch,
                            bestValLoss: report.bestValLoss, finalTrainLoss: report.finalTrainLoss, device: setup.device.rawValue,
                            outputDirectory: options.outputDirectory)
    }
}
