import ArgumentParser
import StoreCommands
import Embedding
import ExperimentStore
import Foundation
import Torch

/// `blocklab embed`: phase 3. One vector per commit of a scrape, into the store, in a new
/// run (phase `embed`) or, with `--run`, in an existing one.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed every commit of a scrape with a sentence encoder (default all-MiniLM-L6-v2) into the store.")

    @Option(name: .long, help: ArgumentHelp("The commits.jsonl written by `blocklab scrape`.", valueName: "file")) var input: String
    @Option(name: .long, help: ArgumentHelp("A sentence-transformers BERT model directory (default: the one scripts/setup/embeddings.sh installs).", valueName: "dir"))
    var model: String?
    @Option(name: .long, help: "Windows per encoder call.") var batchSize = 32
    @Option(name: .long, help: "Threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("run"), help: ArgumentHelp("Add the embeddings to this existing run (id, uuid prefix, name or latest) instead of a new one.", valueName: "run"))
    var runRef: String?
    @Option(name: .long, help: "Name of the new run.") var name = "embed"
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        try Torch.load()
        let store = try storeOptions.openForWriting()
        TerminationSignals.endRunsOnSignal()
        let inputs = EmbedPhase.Inputs(commitsFile: URL(fileURLWithPath: input),
                                       modelDirectory: model.map { URL(fileURLWithPath: $0) } ?? SentenceModel.defaultDirectory,
                                       batchSize: batchSize, threads: threads)
        let target: EmbedPhase.Target = runRef.map { .existingRun($0) } ?? .newRun(RunSpec(name: name))
        let meter = Progress(label: "blocklab embed")
        defer { meter.finish() }
        let outputs = try EmbedPhase(inputs).run(store: store, target: target, progress: { meter.update($0, unit: "commits") })
        meter.finish()
        let s = outputs.stats
        if output.format == .json { try output.printJSON(EmbedSummary(runID: outputs.runID, stats: s)); return }
        output.print(headers: ["run", "model", "dimension", "commits", "windows", "long_texts", "seconds", "texts_per_s"], rows: [[
            String(outputs.runID), s.model, String(s.dimension), String(s.commits), String(s.embedding.windows),
            String(s.embedding.longTexts), String(format: "%.2f", s.seconds), String(format: "%.1f", s.textsPerSecond),
        ]])
    }
}

struct EmbedSummary: Encodable {
    let runID: Int64
    let stats: EmbedPhase.Stats
    enum CodingKeys: String, CodingKey { case runID = "run_id", stats }
}
