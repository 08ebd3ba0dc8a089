import Foundation

extension ManifestSource {
    /// `training_report`, from the last `train` phase (whatever its status: a failed or
    /// killed run reports what it trained), its stats (`TrainOutcome.PhaseStats`), the
    /// metric summaries and, through `history`, the histories of `train/grad_norm`,
    /// `train/lr` and `val/loss`.
    func trainingReport(history: (String) throws -> [MetricPoint]) rethrows -> RunManifest.TrainingReportSection? {
        guard let phase = phase(Self.trainNames) else { return nil }
        typealias Report = RunManifest.TrainingReportSection
        let s = phase.stats, plan = s["plan"]
        let trainLoss = metrics["train/loss"], valLoss = metrics["val/loss"]
        let grad = metrics["train/grad_norm"], lr = metrics["train/lr"]
        let steps = s["steps"]?.intValue ?? trainLoss?.lastStep ?? 0
        let epochsTrained = s["epochs"]?.number ?? 0
        let stepsPerEpoch = plan?["steps_per_epoch"]?.intValue ?? 0
        let epochsCompleted = stepsPerEpoch > 0 ? steps / stepsPerEpoch : Int(epochsTrained)
        // The validation loss of each epoch's last step (the trainer evaluates at every epoch end).
        var valByEpoch = [Double]()
        if stepsPerEpoch > 0 {
            valByEpoch = try history("val/loss").filter { $0.step % stepsPerEpoch == 0 && $0.step / stepsPerEpoch <= epochsCompleted }
                .compactMap(\.value)
        }
        let device = s["device"]?.stringValue ?? config("training.device")?.stringValue ?? "cpu"
        let seconds = phase.durationSeconds ?? max(0, run.heartbeatAt - phase.startedAt)
        return Report(
            modelName: config("model.preset")?.stringValue, status: status(of: phase), error: phase.error,
            model: (s["model"]?.objectValue ?? [:]).compactMapValues(\.intValue), config: resolvedConfig ?? .null,
            epochsCompleted: epochsCompleted, epochsTrained: epochsTrained, stepsCompleted: steps,
            stoppedEarly: s["stopped_early"]?.boolValue ?? false,
            training: Report.Training(
                finalTrainLoss: trainLoss?.last ?? s["final_train_loss"]?.number,
                finalValLoss: valLoss?.last ?? s["final_val_loss"]?.number,
                finalPerplexity: metrics["val/perplexity"]?.last ?? s["perplexity"]?.number,
                bestValLoss: s["best_val_loss"]?.number ?? valLoss?.min, bestStep: s["best_step"]?.intValue ?? valLoss?.minStep,
                minTrainLoss: trainLoss?.min, maxTrainLoss: trainLoss?.max, minValLoss: valLoss?.min, maxValLoss: valLoss?.max,
                lossHistory: .init(train: s["epoch_train_losses"]?.arrayValue?.compactMap(\.number) ?? [], val: valByEpoch)),
            gradients: Report.Gradients(minNorm: grad?.min, maxNorm: grad?.max,
                                        history: try history("train/grad_norm").compactMap(\.value)),
            learningRate: Report.Series(min: lr?.min, max: lr?.max, history: try history("train/lr").compactMap(\.value)),
            hardware: Report.Hardware(
                device: device, hasGpu: device == "cuda" || peaks.gpuMemoryUsedBytes != nil,
                batchSize: plan?["batch_size"]?.intValue, numWorkers: plan?["threads"]?.intValue,
                peakGpuMemoryMb: peaks.gpuMemoryUsedBytes.map(Self.megabytes), peakRamPercent: peaks.ramPercent,
                peakCpuPercent: peaks.cpuPercent, peakProcessRssMb: peaks.processRSSBytes.map(Self.megabytes), samples: peaks.samples),
            timing: Report.Timing(
                totalSeconds: seconds, totalMinutes: seconds / 60, secondsPerEpoch: epochsTrained > 0 ? seconds / epochsTrained : nil,
                meanStepSeconds: s["mean_step_seconds"]?.number, tokensPerSecond: s["tokens_per_second"]?.number))
    }
}
