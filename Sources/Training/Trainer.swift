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
/// The loop is `TrainingLoop`: its state (TrainingLoop.swift), its steps (+Step) and its
/// evaluation, checkpoints and outcome (+Outcome).
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
            options.runStarted(run)
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
            if let checkpoint = setup.resumed?.checkpoint {
                model = try ModelDirectory.loadModel(from: checkpoint, device: setup.device)
            } else {
                model = try GPTModel(config: setup.model, device: setup.device, seed: UInt64(t.seed))
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
