import ArgumentParser
import StoreCommands
import Embedding
import ExperimentStore
import Foundation
import Pipeline
import Torch

/// `blocklab embed`: phase 3 alone, as the pipeline runs it (`EmbeddingPhase`). One vector
/// per commit of a scrape, into the store, in a new run (phase `embed`) or, with `--run`, in
/// an existing one. Reads the config's `embeddings` section; its flags override those keys.
/// Finished vectors are saved as they come; stopped by SIGINT or SIGTERM, it says how to
/// embed the rest into the same run (`--run`, which skips what the run has).
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed every commit of a scrape with a sentence encoder (default all-MiniLM-L6-v2) into the store.")

    @Option(name: .long, help: ArgumentHelp("The commits.jsonl written by `blocklab scrape`.", valueName: "file")) var input: String
    @Option(name: .long, help: ArgumentHelp("A sentence-transformers BERT model directory (embeddings.model; default: the one scripts/setup/embeddings.sh installs).", valueName: "dir"))
    var model: String?
    @Option(name: .long, help: "Windows per encoder call (embeddings.batch_size).") var batchSize: Int?
    @Option(name: .long, help: "Threads (embeddings.threads; default: all cores).") var threads: Int?
    @Option(name: .customLong("run"), help: ArgumentHelp("Add the embeddings to this existing run (id, uuid prefix, name or latest) instead of a new one.", valueName: "run"))
    var runRef: String?
    @Option(name: .long, help: "Name of the new run.") var name = "embed"
    @Flag(name: .long, help: "With --run: embed every commit again, also those the run already has vectors for (they are replaced).")
    var force = false
    @Flag(name: .long, help: "Do not record the run in the store: the vectors are made and counted, then dropped (a dry run).")
    var noStore = false
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption

    func validate() throws {
        guard batchSize.map({ $0 >= 1 }) ?? true else { throw ValidationError("--batch-size must be at least 1.") }
        guard threads.map({ $0 >= 1 }) ?? true else { throw ValidationError("--threads must be at least 1.") }
        if noStore && runRef != nil { throw ValidationError("--run adds to a run in the store: drop --no-store.") }
    }

    func run() throws {
        var flags = FlagOverrides()
        flags.add("embeddings.model", model)
        flags.add("embeddings.batch_size", batchSize)
        flags.add("embeddings.threads", threads)
        let (loaded, yaml) = try configuration.load(flags: flags.list, alone: true)
        let config = loaded.resolvingThreads()
        try Torch.load()
        let throwaway = noStore ? try ThrowawayStore(for: "embed") : nil
        defer { throwaway?.remove() }
        let store = try throwaway?.store ?? storeOptions.openForWriting(config: .resolved(loaded.store.path))
        TerminationSignals.endRunsOnSignal()
        var phase = EmbeddingPhase(commitsFile: URL(fileURLWithPath: input), config: config.embeddings)
        phase.inputs.force = force
        let meter = Progress(label: "blocklab embed")
        defer { meter.finish() }
        let outputs: EmbeddingPhase.Outputs
        if let runRef {
            explainResumeOnSignal(runID: try store.run(runRef).id)
            outputs = try phase.run(addingTo: runRef, store: store, progress: meter)
        } else {
            // The commits and the model are read before the run is recorded.
            let commits = try phase.load()
            let snapshot = ConfigSnapshot(yaml: yaml, resolvedJSON: try config.sectionsJSON(EmbeddingPhase.name.configSections))
            let run = try store.startRun(RunSpec(name: name, config: snapshot))
            if !noStore { explainResumeOnSignal(runID: run.id) }
            meter.record(into: run)
            do {
                outputs = try run.phase(EmbeddingPhase.name.rawValue, hardwareEvery: config.hardwareInterval) { try phase.run($0, loaded: commits, progress: meter) }
                try run.finish()
            } catch {
                try? run.finish(status: .failed, error: "\(error)")
                throw error
            }
        }
        meter.finish()
        let s = outputs.stats
        // JSON and CSV: the summary's fields (`stats.commits`), numbers in full; the table rounds them for reading.
        try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(EmbedSummary(runID: noStore ? nil : outputs.runID, stats: s)),
                              leading: ["run_id", "stats.model", "stats.dimension", "stats.commits", "stats.seconds"]) {
            Swift.print(OutputOptions.table(headers: ["run", "model", "dimension", "commits", "windows", "long_texts", "seconds", "texts_per_s"], rows: [[
                noStore ? "not recorded" : String(outputs.runID), s.model, String(s.dimension), String(s.commits), String(s.embedding.windows),
                String(s.embedding.longTexts), String(format: "%.2f", s.seconds), String(format: "%.1f", s.textsPerSecond),
            ]]), terminator: "")
        }
    }
}

extension EmbedCommand {
    /// On SIGINT or SIGTERM (after the run is marked killed): where the finished vectors are
    /// and the command that embeds the rest.
    func explainResumeOnSignal(runID: Int64) {
        let resume = ExperimentStore.shellQuoted(["blocklab", "embed", "--input", input, "--run", String(runID)]
                                                 + (storeOptions.store.map { ["--store", $0] } ?? []))
        TerminationSignals.endRunsOnSignal {
            FileHandle.standardError.write(Data("\nblocklab embed: stopped; the commits embedded so far are saved in run \(runID). To embed the rest: \(resume)\n".utf8))
        }
    }
}

struct EmbedSummary: Encodable {
    /// nil with `--no-store`.
    let runID: Int64?
    let stats: EmbedPhase.Stats
    enum CodingKeys: String, CodingKey { case runID = "run_id", stats }
}
