import ExperimentStore
import Foundation
import HardwareMonitor
import Torch
import TrainingPlan

/// The loop: for each step, the batch, forward, backward, clip and AdamW, then logging,
/// evaluation, checkpoints, early stopping and the memory thresholds.
extension TrainingLoop {
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
            // call for one process). Dropout seeded per step and rank, in the model's own
            // generator: the masks depend on nothing else the process runs.
            let lr = schedule.rate(at: step)
            try model.setDropoutSeed(UInt64(state.seed) &* 1_000_003 &+ UInt64(step) &+ UInt64(world.rank) &* 0x9E37_79B9_7F4A_7C15)
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
}
