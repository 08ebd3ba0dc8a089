import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import Pipeline
import Tokenizer
import Torch
import Training

extension Device: ExpressibleByArgument {}

/// `blocklab train`: phase 4. A dataset directory in; a Hugging Face model directory out
/// (`OUT/best`, `OUT/last`, `OUT/step-N`, `OUT/training_report.json`); one store run with
/// the config snapshot, every step's metrics, hardware samples, checkpoints and the report.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a GPT-2 on a tokenized dataset; every step recorded in the store.")

    @Option(name: .long, help: ArgumentHelp("Dataset directory written by `blocklab tokenize` (train.bin, val.bin, tokenizer/).", valueName: "dir"))
    var data: String
    @Option(name: .long, help: ArgumentHelp("Training config (default: ./training_config.yaml if present, else built-in defaults).", valueName: "file"))
    var config: String?
    @Option(name: .long, help: ArgumentHelp("A profile of the config's `profiles` section, e.g. quick or full.", valueName: "name"))
    var profile: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set training.max_steps=100 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []
    @Option(name: .long, help: ArgumentHelp("Output directory for checkpoints and the report.", valueName: "dir"))
    var out = "out/model"
    @Option(name: .long, help: ArgumentHelp("Continue RUN (an id, name, uuid prefix or `latest`) from its last checkpoint, as a new run.", valueName: "run"))
    var resume: String?
    @Option(name: .long, help: "auto, cpu or cuda (overrides training.device).")
    var device: Device?
    @Option(name: .long, help: "Run name in the store.")
    var name = "train"
    @OptionGroup var output: OutputOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup(title: "Many processes (data-parallel, torchrun's flags)") var launch: LaunchOptions

    func run() throws {
        try Torch.load()    // a missing libtorch is reported before anything is recorded
        var yaml: String?
        let configPath = config ?? (resume == nil && FileManager.default.fileExists(atPath: "training_config.yaml") ? "training_config.yaml" : nil)
        if let configPath {
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else {
                throw CLIError("cannot read the config \(configPath): pass an existing YAML file with --config")
            }
            yaml = text
        }
        var options = TrainOptions(dataDirectory: URL(fileURLWithPath: data), outputDirectory: URL(fileURLWithPath: out))
        options.configYAML = yaml
        options.overrides = overrides
        options.profile = profile
        // The pipeline's config file holds every phase's section; train reads its own four.
        options.otherConfigSections = PipelineConfig.ownSections
        options.device = device
        options.resume = resume
        options.runName = name
        let tokenizerDir = URL(fileURLWithPath: data).appendingPathComponent("tokenizer").path
        if let tokenizer = try? BPETokenizer.load(directory: tokenizerDir), let eos = tokenizer.endOfTextID {
            options.bosTokenID = eos
            options.eosTokenID = eos
        }
        // --nproc-per-node: launches the workers and ends here; a rank other than 0 trains and ends here.
        options.world = try launch.world(for: options)
        let store = try storeOptions.openForWriting()
        let outcome: TrainOutcome
        TerminationSignals.endRunsOnSignal()
        do { outcome = try Trainer.run(options, store: store) } catch { throw CLIError("\(error)") }
        struct Summary: Encodable { let runId: Int64; let status: String; let steps: Int; let bestValLoss: Double?; let modelDirectory: String; let error: String? }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let summary = try encoder.encode(Summary(runId: outcome.runID, status: outcome.status.rawValue, steps: outcome.stepsCompleted,
                                                 bestValLoss: outcome.bestValLoss, modelDirectory: outcome.outputDirectory.path,
                                                 error: outcome.error))
        try output.printRecord(json: summary) {
            print("run \(outcome.runID): \(outcome.status.rawValue) after \(outcome.stepsCompleted) steps"
                  + (outcome.bestValLoss.map { String(format: ", best val loss %.4f", $0) } ?? "")
                  + "; model in \(outcome.outputDirectory.path)/best and /last")
        }
        if outcome.status != .finished { throw CLIError(outcome.error ?? "the run ended as \(outcome.status.rawValue)") }
    }
}
