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

    public func run(_ phase: PhaseRecorder) throws -> Outputs {
        var options = TrainOptions(dataDirectory: inputs.dataDirectory, outputDirectory: inputs.modelDirectory)
        let progress = inputs.progress
        options.progress = { progress.note($0) }
        options.stopAfterSteps = inputs.stopAfterSteps
        let tokenizerDirectory = inputs.dataDirectory.appendingPathComponent("tokenizer").path
        if let tokenizer = try? BPETokenizer.load(directory: tokenizerDirectory), let eos = tokenizer.endOfTextID {
            options.bosTokenID = eos
            options.eosTokenID = eos
        }
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
}
