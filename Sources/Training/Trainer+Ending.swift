import ExperimentStore
import Foundation
import Torch

/// How a training run ends: the phase and the run take the outcome's status; a failure
/// before the first step still leaves its report.
extension Trainer {
    /// Finishes the `train` phase (with the outcome's stats) and the run.
    static func finish(_ run: RunHandle, _ outcome: TrainOutcome) throws {
        try run.finishPhase("train", status: outcome.status == .finished ? .finished : .failed, stats: outcome.phaseStats, error: outcome.error)
        try run.finish(status: outcome.status, error: outcome.error)
    }

    /// A failure's message for the run: an allocation failure names what to lower.
    static func message(for error: Error) -> String {
        if let error = error as? TorchError, error.kind == .outOfMemory {
            return "\(error): lower training.batch_size or the model size (model.preset, model.n_embd, model.n_layer)"
        }
        return "\(error)"
    }

    /// A run that failed before its first step: the report says why (rank 0, which has the
    /// run); no checkpoint.
    static func failedBeforeTheLoop(_ error: Error, options: TrainOptions, config: TrainingConfig, device: Device? = nil,
                                    run: RunHandle?) -> TrainOutcome {
        let message = message(for: error)
        options.progress("error: \(message)")
        let device = device ?? (options.device ?? Device(rawValue: config.training.device) ?? .auto).resolved
        var report = TrainingReport(config.training)
        report.status = RunStatus.failed.rawValue
        report.error = message
        report.timing.finishedAt = Date().timeIntervalSince1970
        if let run { report.record(in: options.outputDirectory, run: run) }
        return TrainOutcome(runID: run?.id ?? 0, status: .failed, error: message, losses: [:], stepSeconds: [:], stepCPUSeconds: [:],
                            loggingSeconds: 0, stepsCompleted: 0, epochsCompleted: 0, bestValLoss: nil, finalTrainLoss: nil,
                            device: device.rawValue, outputDirectory: options.outputDirectory, report: report)
    }
}
