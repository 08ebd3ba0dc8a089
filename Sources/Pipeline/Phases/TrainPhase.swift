import ExperimentStore
import Foundation
import Tokenizer
import Torch
import Training

/// Phase 4: a GPT-2 trained on the dataset; every step, evaluation, hardware sample and
/// checkpoint recorded in the run. Writes the model directory (`best`, `last`, `step-N`,
/// `training_report.json`). Stats: the trainer's `TrainOutcome.PhaseStats`. Needs libtorch
/// loaded. A run that ends other than finished (a NaN, the memory limit) fails the phase.
public struct TrainPhase {
    public struct Inputs {
        public var dataDirectory: URL
        public var modelDirectory: URL
        /// The training sections, with the device and batch size the run's snapshot holds.
        public var config: TrainingConfig
        public var progress: PipelineProgress
        /// Test hook: stop as killed after this many steps.
        public var stopAfterSteps: Int?
        public init(dataDirectory: URL, modelDirectory: URL, config: TrainingConfig, progress: PipelineProgress) {
            self.dataDirectory = dataDirectory
            self.modelDirectory = modelDirectory
            self.config = config
            self.progress = progress
        }
    }

    public struct Outputs {
        public var outcome: TrainOutcome?
        public var modelDirectory: URL
        public var report: URL { modelDirectory.appendingPathComponent(ModelDirectory.reportFile) }
        /// The report (the trainer records it) and the checkpoints `last` and `best` point at.
        public var files: [PhaseOutput] {
            var files = [PhaseOutput(name: ModelDirectory.reportFile, path: report.path, kind: "report", recordedByPhase: true)]
            for link in ["last", "best"] {
                let target = modelDirectory.appendingPathComponent(link).resolvingSymlinksInPath()
                if FileManager.default.fileExists(atPath: target.path) {
                    files.append(PhaseOutput(name: "model/\(link)", path: target.path, kind: "model", recordedByPhase: true))
                }
            }
            return files
        }

        /// The outputs of an earlier run's training, from its `outputs` list.
        public init(reusing outputs: [PhaseOutput]) throws {
            guard let report = outputs.first(where: { $0.name == ModelDirectory.reportFile }) else {
                throw PipelineError("the earlier train lists no \(ModelDirectory.reportFile)")
            }
            modelDirectory = URL(fileURLWithPath: report.path).deletingLastPathComponent()
        }

        init(outcome: TrainOutcome, modelDirectory: URL) {
            self.outcome = outcome
            self.modelDirectory = modelDirectory
        }
    }

    /// A training run that ended killed (the test hook) rather than failed.
    public struct Stopped: Error, CustomStringConvertible {
        public let description: String
    }

    public static let name = PhaseName.train
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    /// The trainer's options for a dataset and a model directory, the same in the pipeline
    /// and in `blocklab train`: the tokenizer's end-of-text as the model's bos and eos, and
    /// the pipeline's reader for a config the trainer reads itself (`runAlone`, and ranks
    /// other than 0): every section of the file checked, the cross-phase checks left out
    /// (the sequence length is the dataset's).
    public static func options(dataDirectory: URL, modelDirectory: URL, progress: @escaping (String) -> Void) -> TrainOptions {
        var options = TrainOptions(dataDirectory: dataDirectory, outputDirectory: modelDirectory)
        options.progress = progress
        options.configLoader = { yaml, profile, overrides in
            try PipelineConfig.load(yaml: yaml, profile: profile, overrides: overrides, alone: true).training
        }
        let tokenizerDirectory = dataDirectory.appendingPathComponent("tokenizer").path
        if let tokenizer = try? BPETokenizer.load(directory: tokenizerDirectory), let eos = tokenizer.endOfTextID {
            options.bosTokenID = eos
            options.eosTokenID = eos
        }
        return options
    }

    /// Trains in the pipeline's run, inside its `train` phase.
    public func run(_ phase: PhaseRecorder) throws -> Outputs {
        let progress = inputs.progress
        var options = Self.options(dataDirectory: inputs.dataDirectory, modelDirectory: inputs.modelDirectory) { progress.note($0) }
        options.stopAfterSteps = inputs.stopAfterSteps
        let setup = try Trainer.prepare(options, config: inputs.config)
        let outcome = try Trainer.train(setup, in: phase.run)
        try phase.record(stats: outcome.phaseStats)
        switch outcome.status {
        case .finished: break
        case .killed: throw Stopped(description: outcome.error ?? "training was stopped")
        default: throw PipelineError(outcome.error ?? "training ended \(outcome.status.rawValue)")
        }
        return Outputs(outcome: outcome, modelDirectory: inputs.modelDirectory)
    }

    // MARK: Reuse

    /// Whether every checkpoint of `runID` still on disk has its recorded sha256. A reused
    /// training carries them (`carry`); one that changed makes the pipeline train again.
    /// One that is gone is history: the trainer deletes a best-only directory when a newer
    /// best replaces it (its row stays), and `last` and `best` are checked as the phase's
    /// outputs.
    public static func checkpointsIntact(of runID: Int64, in store: ExperimentStore) throws -> Bool {
        try store.checkpoints(runID: runID).allSatisfy { checkpoint in
            !FileManager.default.fileExists(atPath: checkpoint.path)
                || (try? ExperimentStore.sha256(ofPath: checkpoint.path).hex) == checkpoint.sha256
        }
    }

    /// Reuse: the earlier run's checkpoints still on disk recorded in this run too (the same
    /// files, steps, epochs, best flags and metrics), so the run lists the model it points
    /// to (`export`, `show`, `generate`). Its metric history stays the earlier run's: nothing
    /// was trained.
    public static func carry(from runID: Int64, into phase: PhaseRecorder) throws {
        for c in try phase.run.store.checkpoints(runID: runID) where FileManager.default.fileExists(atPath: c.path) {
            let copy = try phase.run.recordCheckpoint(path: c.path, step: c.step, epoch: c.epoch, format: c.format,
                                                      isBest: c.isBest, metrics: c.metrics)
            guard copy.sha256 == c.sha256 else {
                throw PipelineError("the checkpoint \(c.path) of run \(runID) changed while it was reused: run the pipeline again to retrain")
            }
        }
    }

    /// `blocklab train`: the phase as a run of its own (`Trainer.run`: a resumed run's
    /// child, or rank 0 of data-parallel ranks), with the same options and the same stats
    /// and outcome as in the pipeline. `options` comes from `options(dataDirectory:...)`,
    /// with the config's text, profile, overrides (the command's flags among them), resume
    /// and ranks set by the caller. A config that does not load still leaves a failed run.
    public static func runAlone(_ options: TrainOptions, store: ExperimentStore) throws -> TrainOutcome {
        try Trainer.run(options, store: store)
    }
}
