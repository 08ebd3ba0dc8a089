import ExperimentStore
import Foundation
import HardwareMonitor
import Torch
import TrainingPlan

/// Evaluation, checkpoints, failure and the outcome the loop ends with.
extension TrainingLoop {
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
