import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import Pipeline
import Torch
import Training

extension Device: ExpressibleByArgument {}

/// `blocklab train`: phase 4 alone, as the pipeline runs it (`TrainPhase`). A dataset
/// directory in; a Hugging Face model directory out (`OUT/best`, `OUT/last`, `OUT/step-N`,
/// `OUT/training_report.json`); one store run with the config snapshot, every step's
/// metrics, hardware samples, checkpoints and the report. Reads the model, training,
/// epoch_calculation and hardware_monitoring sections of the one config (every section is
/// checked); `--device` is `--set training.device=...`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a GPT-2 on a tokenized dataset; every step recorded in the store.")

    @Option(name: .long, help: ArgumentHelp("Dataset directory written by `blocklab tokenize` (train.bin, val.bin, tokenizer/).", valueName: "dir"))
    var data: String
    @OptionGroup var configuration: ConfigOptions
    @Option(name: .long, help: ArgumentHelp("Output directory for checkpoints and the report.", valueName: "dir"))
    var out = "out/model"
    @Option(name: .long, help: ArgumentHelp("Continue RUN (an id, name, uuid prefix or `latest`) from its last checkpoint, as a new run.", valueName: "run"))
    var resume: String?
    @Option(name: .long, help: "auto, cpu or cuda (training.device).")
    var device: Device?
    @Option(name: .long, help: "Run name in the store.")
    var name = "train"
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup(title: "Many processes (data-parallel, torchrun's flags)") var launch: LaunchOptions

    func run() throws {
        try Torch.load()    // a missing libtorch is reported before anything is recorded
        var flags = FlagOverrides()
        flags.add("training.device", device?.rawValue)
        var options = TrainPhase.options(dataDirectory: URL(fileURLWithPath: data), modelDirectory: URL(fileURLWithPath: out)) {
            Console.isWarning($0) ? Console.warning($0) : Console.notice($0)
        }
        // Resuming without --config takes the checkpoint's own config.
        options.configYAML = try configuration.yaml(implicitFile: resume == nil)
        options.profile = configuration.profile
        options.overrides = configuration.overrides + flags.list
        options.resume = resume
        options.runName = name
        // --nproc-per-node: launches the workers and ends here; a rank other than 0 trains and ends here.
        options.world = try launch.world(for: options)
        let store = try storeOptions.openForWriting()
        let outcome: TrainOutcome
        TerminationSignals.endRunsOnSignal()
        outcome = try TrainPhase.runAlone(options, store: store)
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
