import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import GitHistory
import Pipeline

/// `blocklab scrape`: phases 0 and 1, as the pipeline runs them (`AnalysePhase`,
/// `ScrapePhase`). Writes `OUT/commits.jsonl` and `OUT/files.jsonl`
/// (format: docs/scrape.md) and records one run with the `analyse` and
/// `scrape` phases and both files as artifacts (unless `--no-store`).
struct ScrapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrape",
        abstract: "Scrape a git repository's history with libgit2: one JSON record per commit, plus HEAD's files in chunks.")

    @OptionGroup var source: RepositoryOptions
    @Flag(name: .long, help: "Do not pair deleted and added files into renames (git's --no-renames).") var noRenames = false
    @Flag(name: .long, help: "Leave out patch text (diff_text); counts are still exact.") var noPatch = false
    @Option(name: .long, help: ArgumentHelp("Output directory for commits.jsonl and files.jsonl.", valueName: "dir"))
    var out = "out/scrape"
    @Option(name: .long, help: "Patch text kept per file, in bytes.") var maxPatchBytes = ScrapeOptions().maxPatchBytesPerFile
    @Option(name: .long, help: "Patch text kept per commit, in bytes.") var maxCommitPatchBytes = ScrapeOptions().maxPatchBytesPerCommit
    @Option(name: .long, help: "HEAD files larger than this many bytes are skipped.") var maxFileBytes = ScrapeOptions().maxFileBytes
    @Option(name: .long, help: "Diff workers (default: all cores).") var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Run name in the store.") var name = "scrape"
    @Flag(name: .long, help: "Do not record the run in the store.") var noStore = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var estimate: EstimateOptions
    @OptionGroup var storeOptions: StoreOptions

    var options: ScrapeOptions {
        var options = ScrapeOptions()
        options.detectRenames = !noRenames
        options.includePatch = !noPatch
        options.maxPatchBytesPerFile = maxPatchBytes
        options.maxPatchBytesPerCommit = maxCommitPatchBytes
        options.maxFileBytes = maxFileBytes
        options.workers = workers
        return options
    }

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1.") }
        guard maxPatchBytes >= 0, maxCommitPatchBytes >= 0, maxFileBytes >= 0 else {
            throw ValidationError("--max-patch-bytes, --max-commit-patch-bytes and --max-file-bytes must not be negative.")
        }
        try estimate.validate()
    }

    func run() throws {
        let scraper: Scraper
        do {
            scraper = try Scraper(repository: source.repo, refs: source.selection, options: options)
        } catch {
            throw CLIError(error.description)
        }
        let run = noStore ? nil : try startRun(head: scraper.headCommit)
        let meter = Progress(label: "blocklab scrape")
        let scrape = ScrapePhase(.init(scraper: scraper, directory: URL(fileURLWithPath: out)))
        let outputs: ScrapePhase.Outputs
        do {
            if let run {
                _ = try run.phase(AnalysePhase.name.rawValue) { try AnalysePhase(.init(scraper: scraper, estimate: estimate.parameters)).run($0) }
                outputs = try run.phase(ScrapePhase.name.rawValue) { phase in
                    let outputs = try scrape.run(phase, progress: meter)
                    for file in outputs.files { try phase.artifact(path: file.path, kind: file.kind) }
                    return outputs
                }
                try run.finish()
            } else {
                outputs = try scrape.run(nil, progress: meter)
            }
            meter.finish()
        } catch {
            meter.finish()
            try? run?.finish(status: .failed, error: "\(error)")
            throw CLIError("\(error)")
        }
        if let run { meter.note("recorded run \(run.id) in \(storeOptions.path)") }
        guard let summary = outputs.summary else { return }
        try output.printRecord(json: try ScrapeCommand.encoder.encode(summary)) {
            print(OutputOptions.table(headers: ["output", "records", "bytes"], rows: [
                [(out as NSString).appendingPathComponent("commits.jsonl"), "\(summary.commits)", "\(summary.commitsBytes)"],
                [(out as NSString).appendingPathComponent("files.jsonl"), "\(summary.files.chunks)", "\(summary.filesBytes)"],
            ]), terminator: "")
            print("\(summary.commits) commits (\(summary.commitsWithErrors) with errors) in \(String(format: "%.2f", summary.seconds)) s; "
                  + "\(summary.files.filesRead) files at HEAD, skipped \(summary.files.skippedBinary) binary, "
                  + "\(summary.files.skippedOversized) oversized, \(summary.files.skippedUnreadable) unreadable")
        }
    }

    private func startRun(head: String?) throws -> RunHandle {
        let store = try storeOptions.openForWriting()
        let config: [String: Any] = ["scrape": [
            "repo": source.repo, "refs": source.refs, "renames": !noRenames, "patch": !noPatch, "out": out,
            "max_patch_bytes": maxPatchBytes, "max_commit_patch_bytes": maxCommitPatchBytes,
            "max_file_bytes": maxFileBytes, "workers": workers,
        ] as [String: Any], "epoch_calculation": [
            "target_tokens": estimate.targetTokens, "sequence_length": estimate.sequenceLength,
            "min_epochs": estimate.minEpochs, "max_epochs": estimate.maxEpochs,
        ]]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        let repo = URL(fileURLWithPath: source.repo).standardizedFileURL.path
        let run = try store.startRun(RunSpec(name: name, config: ConfigSnapshot(yaml: nil, resolvedJSON: json),
                                             sourceRepository: repo, sourceCommit: head))
        TerminationSignals.endRunsOnSignal()
        return run
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
