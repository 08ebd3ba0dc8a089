import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import Pipeline
import Tokenizer

/// `blocklab tokenize`: phase 2, as the pipeline runs it (`TokenizePhase`). JSONL records in; `OUT/tokenizer/`, `OUT/train.bin`,
/// `OUT/val.bin`, `OUT/dataset.json` out; one store run with the phase and the files as
/// artifacts (unless `--no-store`). Progress goes to stderr, the summary to stdout.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Train a byte-level BPE tokenizer on scraped records and write training sequences.")

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("JSONL files written by `blocklab scrape`.", valueName: "file"))
    var input: [String] = []
    @Option(name: .long, help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String
    @Option(name: .long, help: "Vocabulary size, special tokens included (trained tokenizers only).") var vocabSize = 16_384
    @Option(name: .long, help: "Tokens per training sequence.") var sequenceLength = 2048
    @Option(name: .long, help: "Tokens each sequence shares with the previous one (smaller than the length).") var overlap = 0
    @Option(name: .long, help: "The stream's last partial sequence: keep (padded, masked) or drop.") var tail: Tail = .keep
    @Option(name: .long, help: "Validation split: random or chronological (newest commits held out).") var split: SplitMethod = .random
    @Option(name: .long, help: "Seed of the random split.") var seed: UInt64 = 42
    @Option(name: .long, help: "Fraction of records held out for validation.") var validationFraction = 0.1
    @Option(name: .long, help: ArgumentHelp("Reuse this tokenizer directory instead of training one.", valueName: "dir"))
    var tokenizer: String?
    @Option(name: .long, help: "Target training tokens for the epoch formula.") var targetTokens = 20_000_000
    @Option(name: .long, help: "Fewest epochs.") var minEpochs = 3
    @Option(name: .long, help: "Most epochs.") var maxEpochs = 10
    @Option(name: .long, help: "Threads for training and encoding (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Run name in the store.") var name = "tokenize"
    @Flag(name: .long, help: "Do not record the run in the store.") var noStore = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var storeOptions: StoreOptions

    enum Tail: String, ExpressibleByArgument, CaseIterable { case keep, drop }

    var options: DatasetBuilder.Options {
        var options = DatasetBuilder.Options()
        options.vocabularySize = vocabSize
        options.sequenceLength = sequenceLength
        options.overlap = overlap
        options.keepTail = tail == .keep
        options.split = split
        options.seed = seed
        options.validationFraction = validationFraction
        options.tokenizerDirectory = tokenizer
        options.targetTokens = targetTokens
        options.minEpochs = minEpochs
        options.maxEpochs = maxEpochs
        options.threads = max(1, threads)
        return options
    }

    func validate() throws {
        guard !input.isEmpty else { throw ValidationError("pass one or more JSONL files with --input (written by `blocklab scrape`).") }
        do { try DatasetBuilder(options).validate() } catch let error as TokenizerError { throw ValidationError(error.message) }
    }

    func run() throws {
        var run: RunHandle?
        if !noStore {
            let store = try storeOptions.openForWriting()
            let config = try JSONSerialization.data(withJSONObject: [
                "tokenize": ["input": input, "out": out, "vocab_size": vocabSize, "sequence_length": sequenceLength,
                             "overlap": overlap, "tail": tail.rawValue, "split": split.rawValue, "seed": seed,
                             "validation_fraction": validationFraction, "tokenizer": tokenizer as Any? ?? NSNull(),
                             "target_tokens": targetTokens, "min_epochs": minEpochs, "max_epochs": maxEpochs] as [String: Any],
            ], options: [.sortedKeys])
            run = try store.startRun(RunSpec(name: name, config: ConfigSnapshot(yaml: nil, resolvedJSON: config)))
            TerminationSignals.endRunsOnSignal()
        }
        let phase = TokenizePhase(.init(files: input.map { URL(fileURLWithPath: $0) }, directory: URL(fileURLWithPath: out), options: options))
        let outputs: TokenizePhase.Outputs
        do {
            if let run {
                outputs = try run.phase(TokenizePhase.name.rawValue) { recorder in
                    let outputs = try phase.run(recorder, progress: tokenizeDisplay)
                    for file in outputs.files { try recorder.artifact(path: file.path, kind: file.kind, name: file.name) }
                    return outputs
                }
                try run.finish()
                tokenizeDisplay.note("recorded run \(run.id) in \(storeOptions.path)")
            } else {
                outputs = try phase.run(nil, progress: tokenizeDisplay)
            }
        } catch {
            try? run?.finish(status: .failed, error: "\(error)")
            throw CLIError("\(error)")
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

