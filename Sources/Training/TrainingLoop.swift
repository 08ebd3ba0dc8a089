import ExperimentStore
import Foundation
import HardwareMonitor
import Torch
import TrainingPlan

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
}
