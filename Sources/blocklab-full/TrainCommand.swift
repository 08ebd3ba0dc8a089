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
/// checked); `--device` is `--set training.device=...`. `--no-store` records nothing.
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
    @Flag(name: .long, help: "Do not record the run in the store (the model directory and training_report.json are still written).")
    var noStore = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup(title: "Many processes (data-parallel, torchrun's flags)") var launch: LaunchOptions

    func validate() throws {
        if noStore && resume != nil { throw ValidationError("--resume reads the run to continue from the store: drop --no-store.") }
    }

    func run() throws {
        try Torch.load()    // a missing libtorch is reported before anything is recorded
        var flags = FlagOverrides()
        flags.add("training.device", device?.rawValue)
        // The trainer's lines, shown and (once its run is recorded) kept in the run's console log.
        let recording = Mutexed<RunHandle?>(nil)
        var options = TrainPhase.options(dataDirectory: URL(fileURLWithPath: data), modelDirectory: URL(fileURLWithPath: out)) {
            if let run = recording.value { run.logConsole(.blocklab, $0, step: run.currentStep) }
            Console.isWarning($0) ? Console.warning($0) : Console.notice($0)
        }
        options.runStarted = { run in recording.value = run }
        // Resuming without --config takes the checkpoint's own config.
        options.configYAML = try configuration.yaml(implicitFile: resume == nil)
        // The trainer reads the config itself (a config it rejects still leaves a failed run):
        // its errors name the file, as every command's do.
        if let path = configuration.path(implicitFile: resume == nil), let load = options.configLoader {
            options.configLoader = { yaml, profile, overrides in
                do { return try load(yaml, profile, overrides) } catch TrainingError.badConfig(let message) {
                    throw TrainingError.badConfig("\(path): \(message)")
                }
            }
        }
        options.profile = configuration.profile
        options.overrides = configuration.overrides + flags.list
        options.resume = resume
        options.runName = name
        // --nproc-per-node: launches the workers and ends here; a rank other than 0 trains and ends here.
        options.world = try launch.world(for: options)
        warnOfTheDefaultModel(options)
        let throwaway = noStore ? try ThrowawayStore(for: "train") : nil
        defer { throwaway?.remove() }
        let store = try throwaway?.store ?? storeOptions.openForWriting(config: .file(configuration.path(implicitFile: resume == nil)))
        let outcome: TrainOutcome
        TerminationSignals.endRunsOnSignal()
        outcome = try TrainPhase.runAlone(options, store: store)
        struct Summary: Encodable { let runId: Int64?; let status: String; let steps: Int; let bestValLoss: Double?; let modelDirectory: String; let error: String? }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let summary = try encoder.encode(Summary(runId: noStore ? nil : outcome.runID, status: outcome.status.rawValue, steps: outcome.stepsCompleted,
                                                 bestValLoss: outcome.bestValLoss, modelDirectory: outcome.outputDirectory.path,
                                                 error: outcome.error))
        try output.printRecord(json: summary) {
            print((noStore ? "not recorded" : "run \(outcome.runID)") + ": \(outcome.status.rawValue) after \(outcome.stepsCompleted) steps"
                  + (outcome.bestValLoss.map { String(format: ", best val loss %.4f", $0) } ?? "")
                  + "; model in \(outcome.outputDirectory.path)/best and /last")
        }
        if outcome.status != .finished { throw CLIError(outcome.error ?? "the run ended as \(outcome.status.rawValue)") }
    }

    /// Without a config file, the built-in defaults are the `full` profile: GPT-2 124M on
    /// 2048-token sequences, hours to days on a CPU. That is never started without a word.
    /// (A config that does not load is reported by the run itself, which records it failed.)
    private func warnOfTheDefaultModel(_ options: TrainOptions) {
        guard options.configYAML == nil, options.resume == nil,
              let config = try? PipelineConfig.load(yaml: nil, profile: options.profile, overrides: options.overrides, alone: true),
              config.training.model.preset != "tiny" else { return }
        let preset = config.training.model.preset
        let model = ["gpt2": "GPT-2 124M", "gpt2-medium": "GPT-2 355M"][preset] ?? preset
        Console.warning("blocklab train: no config file (no --config, no ./training_config.yaml): training "
            + "\(model) (model.preset \(preset)), the built-in default; for a small model pass --profile quick or "
            + "--set model.preset=tiny")
    }
}
