import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import Pipeline
import Tokenizer

/// `blocklab tokenize`: phase 2, as the pipeline runs it (`TokenizePhase`). JSONL records in; `OUT/tokenizer/`, `OUT/train.bin`,
/// `OUT/val.bin`, `OUT/dataset.json` out; one store run with the phase and the files as
/// artifacts (unless `--no-store`). Reads the config's tokenizer, dataset and
/// epoch_calculation sections; its flags override those keys, and the run's snapshot is
/// those sections as resolved. Progress goes to stderr, the summary to stdout.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Train a byte-level BPE tokenizer on scraped records and write training sequences.")

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("JSONL files written by `blocklab scrape`.", valueName: "file"))
    var input: [String] = []
    @Option(name: .long, help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String
    @Option(name: .long, help: "Vocabulary size, special tokens included (tokenizer.vocab_size; trained tokenizers only).") var vocabSize: Int?
    @Option(name: .long, help: "Tokens per training sequence (dataset.sequence_length).") var sequenceLength: Int?
    @Option(name: .long, help: "Tokens each sequence shares with the previous one, smaller than the length (dataset.overlap).") var overlap: Int?
    @Option(name: .long, help: "The stream's last partial sequence: keep (padded, masked) or drop (dataset.tail).") var tail: Tail?
    @Option(name: .long, help: "Validation split: random or chronological, newest commits held out (dataset.split).") var split: SplitMethod?
    @Option(name: .long, help: "Seed of the random split (dataset.seed).") var seed: Int?
    @Option(name: .long, help: "Fraction of records held out for validation (dataset.validation_fraction).") var validationFraction: Double?
    @Option(name: .long, help: ArgumentHelp("Reuse this tokenizer directory instead of training one.", valueName: "dir"))
    var tokenizer: String?
    @Option(name: .long, help: "Target training tokens for the epoch formula (epoch_calculation.target_tokens).") var targetTokens: Int?
    @Option(name: .long, help: "Fewest epochs (epoch_calculation.min_epochs).") var minEpochs: Int?
    @Option(name: .long, help: "Most epochs (epoch_calculation.max_epochs).") var maxEpochs: Int?
    @Option(name: .long, help: "Threads for training and encoding (tokenizer.threads; default: all cores).") var threads: Int?
    @Option(name: .long, help: "Run name in the store.") var name = "tokenize"
    @Flag(name: .long, help: "Do not record the run in the store.") var noStore = false
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption
    @OptionGroup var storeOptions: StoreOptions

    enum Tail: String, ExpressibleByArgument, CaseIterable { case keep, drop }

    /// The flags as overrides of their config keys.
    var flags: [String] {
        var flags = FlagOverrides()
        flags.add("tokenizer.vocab_size", vocabSize)
        flags.add("tokenizer.threads", threads.map { max(1, $0) })
        flags.add("dataset.sequence_length", sequenceLength)
        flags.add("dataset.overlap", overlap)
        flags.add("dataset.tail", tail?.rawValue)
        flags.add("dataset.split", split?.rawValue)
        flags.add("dataset.seed", seed)
        flags.add("dataset.validation_fraction", validationFraction)
        flags.add("epoch_calculation.target_tokens", targetTokens)
        flags.add("epoch_calculation.min_epochs", minEpochs)
        flags.add("epoch_calculation.max_epochs", maxEpochs)
        return flags.list
    }

    func validate() throws {
        guard !input.isEmpty else { throw ValidationError("pass one or more JSONL files with --input (written by `blocklab scrape`).") }
    }

    func run() throws {
        let (loaded, yaml) = try configuration.load(flags: flags, alone: true)
        let config = loaded.resolvingThreads()
        var options = config.datasetOptions()
        options.tokenizerDirectory = tokenizer
        try DatasetBuilder(options).validate()
        var run: RunHandle?
        if !noStore {
            let store = try storeOptions.openForWriting(config: .resolved(loaded.store.path))
            let snapshot = ConfigSnapshot(yaml: yaml, resolvedJSON: try config.sectionsJSON(TokenizePhase.name.configSections))
            run = try store.startRun(RunSpec(name: name, config: snapshot))
            TerminationSignals.endRunsOnSignal()
        }
        let phase = TokenizePhase(.init(files: input.map { URL(fileURLWithPath: $0) }, directory: URL(fileURLWithPath: out), options: options))
        let outputs: TokenizePhase.Outputs
        do {
            if let run {
                tokenizeDisplay.record(into: run)
                outputs = try run.phase(TokenizePhase.name.rawValue, hardwareEvery: config.hardwareInterval) { recorder in
                    let outputs = try phase.run(recorder, progress: tokenizeDisplay)
                    for file in outputs.files { try recorder.artifact(path: file.path, kind: file.kind, name: file.name) }
                    return outputs
                }
                try run.finish()
                tokenizeDisplay.note("recorded run \(run.id) in \(run.store.path)")
            } else {
                outputs = try phase.run(nil, progress: tokenizeDisplay)
            }
        } catch {
            try? run?.finish(status: .failed, error: "\(error)")
            throw error
        }
        guard let manifest = outputs.manifest else { return }
        // json: dataset.json as written; csv: its fields in one row.
        try output.printRecord(json: try manifest.encodedJSON()) {
            print(OutputOptions.table(headers: ["split", "records", "tokens", "sequences", "last sequence real tokens"], rows: [
                ["train", "\(manifest.train.records)", "\(manifest.train.streamTokens)", "\(manifest.train.sequences)", "\(manifest.train.lastSequenceValidTokens)"],
                ["val", "\(manifest.val.records)", "\(manifest.val.streamTokens)", "\(manifest.val.sequences)", "\(manifest.val.lastSequenceValidTokens)"],
            ]), terminator: "")
            print("vocab \(manifest.vocabSize), sequence length \(manifest.sequenceLength), epochs \(manifest.epochs.value); see \((out as NSString).appendingPathComponent("dataset.json"))")
        }
    }
}

extension SplitMethod: ExpressibleByArgument {}

private let tokenizeDisplay = Progress(label: "blocklab tokenize")

