import Foundation
import ExperimentStore
import Torch

/// What `blocklab train` asks for: where the data is and the model goes, the config as
/// given, and how to report progress.
public struct TrainOptions {
    public var dataDirectory: URL
    public var outputDirectory: URL
    /// The YAML as given (nil: built-in defaults), and `--set KEY=VALUE` overrides.
    public var configYAML: String?
    public var overrides: [String] = []
    /// `--profile`: an entry of the config's `profiles` section, applied before `overrides`.
    public var profile: String?
    /// Sections of the config that belong to other phases (the pipeline's config checks
    /// them): accepted unread here.
    public var otherConfigSections: [String] = []
    /// Reads the training sections from (YAML, profile, overrides); nil = `TrainingConfig.load`
    /// with `otherConfigSections`. The pipeline's reader, which checks every section of the
    /// file, is given here by `blocklab train`; a config it rejects still leaves a failed run.
    public var configLoader: ((_ yaml: String?, _ profile: String?, _ overrides: [String]) throws -> TrainingConfig)?
    /// `--device`; nil = `training.device`.
    public var device: Device?
    /// `--resume RUN|latest`: continue that run from its last checkpoint, as a new run.
    public var resume: String?
    /// This process's place among data-parallel ranks (`World.fromEnvironment()` reads
    /// torchrun's variables); one process alone by default.
    public var world = World.single
    public var runName = "train"
    /// Written into config.json (`bos_token_id`, `eos_token_id`): the tokenizer's end of text.
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var commandLine: [String] = CommandLine.arguments
    /// Progress lines (stderr in the command).
    public var progress: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Called once `Trainer.run` has recorded its run, before anything trains (so the command
    /// can keep its progress lines in the run's console log).
    public var runStarted: (RunHandle) -> Void = { _ in }
    /// false: no per-step metrics or hardware samples reach the store (the run row, phase,
    /// checkpoints and report still do). For measuring the logging overhead only.
    public var recordMetrics = true

    // Test hooks.
    /// Stop as `killed` after this many steps of this invocation.
    public var stopAfterSteps: Int?
    /// Write NaN into the weights before this step.
    public var injectNaNAtStep: Int?

    /// The config as `configLoader` (or `TrainingConfig.load`) reads it.
    public func loadConfig(yaml: String?, profile: String?) throws -> TrainingConfig {
        if let configLoader { return try configLoader(yaml, profile, overrides) }
        return try TrainingConfig.load(yaml: yaml, profile: profile, overrides: overrides, otherSections: otherConfigSections)
    }

    public init(dataDirectory: URL, outputDirectory: URL) {
        self.dataDirectory = dataDirectory
        self.outputDirectory = outputDirectory
    }
}
