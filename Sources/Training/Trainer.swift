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
/// Data-parallel ranks (World, DataParallel, Trainer+Ranks) change three places only: each
/// rank takes its share of the global batch, gradients and evaluation sums are added up
/// over ranks, and rank 0 alone records (metrics, checkpoints, the report).
///
///     let outcome = try Trainer.run(options, store: store)        // `blocklab train`: its own run
///
///     let setup = try Trainer.prepare(options, config: config)    // a caller's run (the pipeline):
///     let outcome = try Trainer.train(setup, in: run)             //   snapshot setup.asRun, wrap in its phase
public enum Trainer {
    /// `blocklab train`: opens a run (the child of the resumed run, if any) with the `train`
    /// phase, trains, and finishes both with the outcome's status. A config that does not
    /// load throws after recording a failed run; every later failure is the outcome's.
    /// With several ranks (`options.world`), this is rank 0, which owns the run; the others
    /// call `follow`.
    public static func run(_ options: TrainOptions, store: ExperimentStore) throws -> TrainOutcome {
        precondition(options.world.ownsTheRun, "ranks other than 0 train with Trainer.follow: rank 0 owns the run")
        // 1. Config: the given YAML, or when resuming without one, the checkpoint's own.
        let resume = try options.resume.map { try ResumePoint($0, in: store) }
        var yaml = options.configYAML
        if yaml == nil, let checkpoint = resume?.checkpoint { yaml = try Checkpoint.readState(from: checkpoint).config }
        func startRun(snapshot resolvedJSON: Data) throws -> RunHandle {
            var spec = RunSpec(name: options.runName, config: ConfigSnapshot(yaml: yaml, resolvedJSON: resolvedJSON),
                               commandLine: options.commandLine, parentRunID: resume?.runID)
            spec.worldSize = options.world.size
            let run = try store.startRun(spec)
            try run.startPhase("train")
            return run
        }
        let loaded = Result {
            try options.loadConfig(yaml: yaml, profile: resume != nil && options.configYAML == nil ? nil : options.profile)
        }

        // 2-5. Data, device, model sizes, plan (when the config loaded).
        let prepared = loaded.flatMap { config in Result { try prepare(options, config: config, resume: resume) } }

        // Several ranks: they meet, see what each brings, and start together or not at all.
        // A failure here leaves a failed run whose snapshot is as far as rank 0 got.
        let parallel: DataParallel, rankThreads: [Int]
        do { (parallel, rankThreads) = try meet(options, prepared: prepared, config: try? loaded.get()) } catch {
            let config = (try? loaded.get()) ?? TrainingConfig()
            let run = try startRun(snapshot: try (try? prepared.get())?.asRun.resolvedJSON() ?? config.resolvedJSON())
            let outcome = failedBeforeTheLoop(error, options: options, config: config, run: run)
            try finish(run, outcome)
            return outcome
        }

        let config: TrainingConfig
        do { config = try loaded.get() } catch {
            let run = try startRun(snapshot: Data("{}".utf8))
            try run.finishPhase("train", status: .failed, error: "\(error)")
            try run.finish(status: .failed, error: "\(error)")
            throw error
        }
        // A failure in steps 2-5 still leaves a failed run, whose snapshot is the config as
        // loaded (nothing was chosen yet).
        let setup: TrainingSetup
        do { setup = try prepared.get() } catch {
            let run = try startRun(snapshot: try config.resolvedJSON())
            let outcome = failedBeforeTheLoop(error, options: options, config: config, run: run)
            try finish(run, outcome)
            return outcome
        }
        let run = try startRun(snapshot: try setup.asRun(rankThreads: rankThreads).resolvedJSON())
        let outcome = try train(setup, in: run, parallel: parallel)
        try finish(run, outcome)
        return outcome
    }

    /// Steps 2 to 5, before any run exists: opens the dataset, picks the device and
    /// threads, sizes the model (a resumed checkpoint's sizes win), and plans the run for
    /// `options.world`'s ranks. Throws what a user can fix, naming the fix.
    public static func prepare(_ options: TrainOptions, config: TrainingConfig, resume: ResumePoint? = nil) throws -> TrainingSetup {
        let world = options.world
        var resumed: TrainingSetup.Resumed?
        var checkpointModel: GPTConfig?
        if let resume {
            guard let checkpoint = resume.checkpoint else {
                throw TrainingError.badCheckpoint("run \(resume.reference) has no checkpoint to resume from: start a new run instead")
            }
            resumed = .init(checkpoint: checkpoint, state: try Checkpoint.readState(from: checkpoint), parentUUID: resume.runUUID)
            checkpointModel = try ModelDirectory.loadConfig(from: checkpoint)
        }
        // 2. Data.
        let data = try TrainingData(directory: options.dataDirectory)
        let L = data.sequenceLength
        guard L >= 2 else { throw TrainingError.badDataset("sequence_length \(L) is too short: sequences need at least 2 tokens") }

        // 3. Device, ranks and threads.
        let device = try resolveDevice(options, config)
        let threads = try threadCount(config, world: world)

        // 4. Model sizes: the checkpoint's, or the preset's with the config's overrides.
        let model = checkpointModel ?? config.gptConfig(vocabSize: data.vocabSize)
        if let resumed, model.vocabSize != data.vocabSize {
            throw TrainingError.badCheckpoint("\(resumed.checkpoint!.path) has vocab_size \(model.vocabSize), the dataset \(data.vocabSize)")
        }
        // The model sees a sequence's first L-1 tokens (the last is only a target).
        guard L - 1 <= model.nPositions else {
            throw TrainingError.badDataset("the dataset's sequence_length \(L) is above model.n_positions \(model.nPositions): tokenize with a shorter sequence length or raise model.n_positions")
        }

        // 5. Plan: batch size, steps, epochs, warmup, learning rate (TrainingPlan's formulas).
        let plan = try resumed.map { try TrainingRunPlan(resuming: $0.state, config: config, data: data, world: world) }
            ?? TrainingRunPlan(config: config, data: data, model: model, device: device, world: world)
        if plan.requestedBatchSize != nil {
            options.progress("note: train.bin holds \(plan.trainSequences) sequences; batch size lowered to \(plan.batchSize)")
        }
        guard plan.globalBatchSize <= plan.trainSequences else {
            throw TrainingError.badDataset("train.bin holds \(plan.trainSequences) sequences, fewer than one step's global batch (\(world.size) ranks × \(plan.batchSize) × \(plan.gradientAccumulationSteps) micro-batches): tokenize more history, or use fewer ranks or a smaller training.gradient_accumulation_steps")
        }
        return TrainingSetup(options: options, config: config, data: data, device: device, threads: threads, model: model,
                             plan: plan, resumed: resumed)
    }

    /// `--device`, else `training.device`; a CUDA device this libtorch lacks is an error.
    static func resolveDevice(_ options: TrainOptions, _ config: TrainingConfig) throws -> Device {
        let device = (options.device ?? Device(rawValue: config.training.device) ?? .auto).resolved
        if device == .cuda && !Torch.cudaIsAvailable {
            throw TrainingError.badConfig("device cuda (--device or training.device): this libtorch build has no CUDA device; use cpu or auto")
        }
        return device
    }

    /// This rank's libtorch threads: `training.distributed.rank_threads[rank]`, else
    /// `training.threads`, else the cores divided among this machine's ranks. Also checks
    /// that the config's world size (when given) is the launch's.
    static func threadCount(_ config: TrainingConfig, world: World) throws -> Int {
        let t = config.training, d = t.distributed
        if let size = d.worldSize, size != world.size {
            throw TrainingError.badConfig("training.distributed.world_size is \(size) but \(world.size) rank(s) were launched (WORLD_SIZE, or --nnodes × --nproc-per-node): launch \(size) or set it to auto")
        }
        if let list = d.rankThreads {
            guard list.count == world.size else {
                throw TrainingError.badConfig("training.distributed.rank_threads lists \(list.count) thread counts for \(world.size) rank(s): give one per rank, or auto")
            }
            return list[world.rank]
        }
        return t.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / world.localSize)
    }

    /// `prepare` and `train` in one: a dataset or device the setup rejects fails the
    /// outcome (with a report), as a failure in training does. One process only.
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
        try train(setup, in: run, parallel: .alone(setup.config.training.distributed))
    }

    /// `train` on any rank: rank 0 has the run, the others none (nothing of theirs is
    /// recorded but the hardware samples they send to rank 0).
    static func train(_ setup: TrainingSetup, in run: RunHandle?, parallel: DataParallel) throws -> TrainOutcome {
        let t = setup.config.training
        // 4. Model and optimizer: fresh from the seed, or from the checkpoint (rank 0), then
        // rank 0's everywhere.
        let model: GPTModel, optimizer: AdamW
        do {
            try Torch.setThreads(setup.threads)
            // Cache freed tensor blocks, up to a quarter of RAM (released when memory runs short).
            try Torch.useCachingAllocator(limit: (HardwareMonitor.memory()?.total ?? 8 << 30) / 4 / Int64(setup.options.world.localSize))
            try Torch.manualSeed(UInt64(t.seed))
            if let checkpoint = setup.resumed?.checkpoint {
                model = try ModelDirectory.loadModel(from: checkpoint, device: setup.device)
            } else {
                model = try GPTModel(config: setup.model, device: setup.device)
            }
            optimizer = try AdamW(model: model, beta1: t.adamBeta1, beta2: t.adamBeta2, eps: t.adamEpsilon, weightDecay: t.weightDecay)
            if let resumed = setup.resumed, let checkpoint = resumed.checkpoint {
                try Checkpoint.restoreOptimizer(optimizer, from: checkpoint, stepCount: resumed.state.step)
            }
            try parallel.start(model: model, optimizer: optimizer, resuming: setup.resumed != nil)
        } catch {
            let failure = parallel.explain(error, step: setup.resumed?.state.step ?? 0)
            return failedBeforeTheLoop(failure, options: setup.options, config: setup.config, device: setup.device, run: run)
        }
        var loop = TrainingLoop(setup: setup, run: run, parallel: parallel, model: model, optimizer: optimizer)
        do { try loop.train() } catch { loop.fail(parallel.explain(error, step: loop.state.step)) }
        return loop.conclude()
    }
}

/// The loop and its state, built whole before the first step. Only the run is optional:
/// rank 0 owns it (metrics, evaluations, checkpoints, the report); the other ranks of a
/// data-parallel run train in step with it and record nothing of their own.
struct TrainingLoop {
    let setup: TrainingSetup
    let run: RunHandle?
    let parallel: DataParallel
    let model: GPTModel
    let optimizer: AdamW
    let schedule: LearningRateSchedule
    let hardware: HardwareWatch
    var state: TrainingState
    var report: TrainingReport
    var folder: Checkpoint.Folder?
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
    var world: World { parallel.world }
    /// Progress is rank 0's to tell (another rank's failure reaches its command as an error).
    func say(_ line: String) { if world.ownsTheRun { options.progress(line) } }

    init(setup: TrainingSetup, run: RunHandle?, parallel: DataParallel, model: GPTModel, optimizer: AdamW) {
        self.setup = setup
        self.run = run
        self.parallel = parallel
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
            // The same global batch, perhaps over another number of ranks (the plan checked it).
            state.batchSize = plan.batchSize
            state.worldSize = plan.worldSize
        } else {
            report = TrainingReport(t)
            state = TrainingState(plan: plan, training: t, report: report)
        }
        state.runUUID = run?.uuid
        state.config = String(decoding: (try? setup.config.resolvedJSON()) ?? Data("{}".utf8), as: UTF8.self)
        schedule = plan.schedule(t)
        folder = run.map { _ in Checkpoint.Folder(options.outputDirectory, parentUUID: setup.resumed?.parentUUID) }

        let g = model.config, N = parallel.world.size
        report.describe(model: g, device: setup.device, parameters: plan.reportParameters(threads: Torch.threads))
        if parallel.world.ownsTheRun {
            let ranks = N > 1 ? " on each of \(N) ranks (global batch \(plan.globalBatchSize))" : ""
            options.progress("train: \(g.nLayer) layers × \(g.nEmbd) wide, \(g.parameterCount) parameters, vocab \(g.vocabSize), on \(setup.device.rawValue) with \(Torch.threads) threads")
            options.progress("train: \(plan.trainSequences) sequences of \(plan.sequenceLength) tokens, batch \(plan.batchSize) × \(plan.gradientAccumulationSteps)\(ranks), \(plan.stepsPerEpoch) steps/epoch, \(plan.totalSteps) steps, warmup \(plan.warmupSteps), peak lr \(plan.peakLearningRate)")
            if let checkpoint = setup.resumed?.checkpoint { options.progress("train: resuming at step \(state.step) from \(checkpoint.path)") }
        }

        // 6. The hardware sampler thread.
        hardware = HardwareWatch(interval: setup.config.hardwareMonitoring.intervalSeconds, step: state.step, run: run,
                                 log: options.recordMetrics, rank: parallel.world.rank)
    }

    // MARK: The loop

    mutating func train() throws {
        let t = setup.config.training
        let B = plan.batchSize, A = plan.gradientAccumulationSteps, T = plan.sequenceLength - 1
        let G = plan.globalBatchSize, NB = world.size * B   // sequences per step, per micro-batch
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

            // Batch: this step's global batch is the next G = N × B × A sequences of this epoch's
            // order, A micro-batches of N × B. Each rank takes its share (World.share: run k of
            // B sequences goes to rank k mod N), so it feeds A micro-batches of B. One process
            // takes the whole batch. Each micro-batch's loss is divided by its real targets
            // over all ranks (`denominators`).
            let global = Array(order[(state.dataBatch * G)..<((state.dataBatch + 1) * G)])
            var batch = Batch()
            for index in world.share(of: global, runLength: B) { batch.append(sequence: index, of: train) }
            let denominators = (0..<A).map { i in
                Double(global[(i * NB)..<((i + 1) * NB)].reduce(0) { $0 + max(0, train.validTokens(ofSequence: $1) - 1) })
            }

            // Forward, masked loss, backward, gradients summed over ranks, clip, AdamW (one C
            // call for one process). Dropout seeded per step and rank.
            let lr = schedule.rate(at: step)
            try Torch.manualSeed(UInt64(state.seed) &* 1_000_003 &+ UInt64(step) &+ UInt64(world.rank) &* 0x9E37_79B9_7F4A_7C15)
            try model.setTraining(true)
            let started = Date(), startedCPU = processCPUSeconds()
            let result = try parallel.step(model: model, optimizer: optimizer, batch: batch, denominators: denominators, microBatches: A,
                                           batchSize: B, time: T, learningRate: lr, maxGradNorm: t.maxGradNorm)
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
            let tokensPerSecond = Double(G * T) / seconds
            let logStart = DispatchTime.now().uptimeNanoseconds
            if options.recordMetrics {
                run?.log(step: state.step, epoch: epoch, ["train/loss": result.loss, "train/lr": lr, "train/grad_norm": result.gradNorm,
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
                run?.log(step: state.step, epoch: epoch, ["val/loss": valLoss, "val/perplexity": perplexity])
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

            // Hardware news from every rank: the other ranks' samples reach the run through the
            // process group, and each rank's latest memory reading is held to the thresholds,
            // so all ranks stop at the same step.
            let news = try parallel.exchange(memoryPercent: hardware.memoryPercent(), samples: hardware.takeOutbox())
            if let run { for sample in news.samples { run.logHardware(sample) } }
            let worst = news.memory.enumerated().compactMap { r, pct in pct.map { (rank: r, pct: $0) } }.max { $0.pct < $1.pct }
            if let (rank, pct) = worst {
                let hm = setup.config.hardwareMonitoring
                let whose = world.size > 1 ? " on rank \(rank)" : ""
                if pct >= hm.memoryThresholdStopPct {
                    throw TrainingError.memoryLimit(String(format: "memory use %.1f%%%@ reached hardware_monitoring.memory_threshold_stop_pct %.0f%%: stopped cleanly with a checkpoint; free memory or lower training.batch_size, then --resume", pct, whose, hm.memoryThresholdStopPct))
                }
                if pct >= hm.memoryThresholdWarnPct && !warnedMemory {
                    warnedMemory = true
                    say(String(format: "warning: memory use %.1f%%%@ is above hardware_monitoring.memory_threshold_warn_pct %.0f%%", pct, whose, hm.memoryThresholdWarnPct))
                }
            }
        }
        report.timing.trainingSeconds += Date().timeIntervalSince(runStart)
        if !stepTimes.isEmpty {
            let mean = stepTimes.reduce(0, +) / Double(stepTimes.count)
            report.timing.meanStepSeconds = mean
            report.timing.tokensPerSecond = Double(G * T) / mean
        }
    }

    /// Mean validation loss over real (non-padding) targets; dropout off. The validation
    /// set in file order, in `plan.evaluationBatches` batches of N × B sequences (those of one
    /// process with batch N × B), each shared among the ranks as training batches are; the
    /// sums and counts are then added up over ranks.
    func evaluate() throws -> Double {
        try model.setTraining(false)
        let val = setup.data.validation
        let B = plan.batchSize, NB = world.size * B, T = plan.sequenceLength - 1
        var sum = 0.0, count = 0
        for first in stride(from: 0, to: val.sequenceCount, by: NB).prefix(plan.evaluationBatches) {
            let mine = world.share(of: first..<min(first + NB, val.sequenceCount), runLength: B)
            guard !mine.isEmpty else { continue }
            var batch = Batch()
            for i in mine { batch.append(sequence: i, of: val) }
            let r = try model.loss(tokens: batch.tokens, targets: batch.targets, batch: mine.count, time: T)
            sum += r.sum
            count += r.count
        }
        let total = try parallel.sum([sum, Double(count)])
        guard total[1] > 0 else { throw TrainingError.badDataset("val.bin holds no real tokens to evaluate on") }
        return total[0] / total[1]
    }

    /// Writes and records the checkpoint of this step (once; see `Checkpoint.Folder`), and
    /// points `best` and `last` at it as asked.
    mutating func checkpoint(best: Bool, periodic: Bool, last: Bool) throws {
        guard let run, var folder else { return }   // rank 0 writes the checkpoints
        defer { self.folder = folder }
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
        // Every rank got here the same way, so the last samples (taken by `stop`) can still
        // travel to rank 0; after a failure the group may be gone, so they stay behind.
        if status != .failed, let news = try? parallel.exchange(memoryPercent: nil, samples: hardware.takeOutbox()), let run {
            for sample in news.samples { run.logHardware(sample) }
        }
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
        if let run { report.record(in: options.outputDirectory, run: run) }
        return TrainOutcome(runID: run?.id ?? 0, status: status, error: error, losses: losses, stepSeconds: stepSeconds, stepCPUSeconds: stepCPUSeconds,
                            loggingSeconds: loggingSeconds, stepsCompleted: state.step, epochsCompleted: state.epoch,
                            bestValLoss: report.bestValLoss, finalTrainLoss: report.finalTrainLoss, device: setup.device.rawValue,
                            outputDirectory: options.outputDirectory, report: report)
    }
}
