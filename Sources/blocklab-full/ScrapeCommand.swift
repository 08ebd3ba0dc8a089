import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import GitHistory
import Pipeline

/// `blocklab scrape`: phases 0 and 1, as the pipeline runs them (`AnalysePhase`,
/// `ScrapePhase`). Writes `OUT/commits.jsonl` and `OUT/files.jsonl`
/// (format: docs/scrape.md) and records one run with the `analyse` and
/// `scrape` phases and both files as artifacts (unless `--no-store`). Reads the config's
/// repository, scrape, epoch_calculation and dataset sections; its flags override those
/// keys, and the run's snapshot is those sections as resolved.
struct ScrapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrape",
        abstract: "Scrape a git repository's history with libgit2: one JSON record per commit, plus HEAD's files in chunks.")

    @OptionGroup var source: RepositoryOptions
    @Flag(name: .long, help: "Do not pair deleted and added files into renames (scrape.detect_renames=false).") var noRenames = false
    @Flag(name: .long, help: "Leave out patch text (diff_text; scrape.include_patch=false); counts are still exact.") var noPatch = false
    @Option(name: .long, help: ArgumentHelp("Output directory for commits.jsonl and files.jsonl.", valueName: "dir"))
    var out = "out/scrape"
    @Option(name: .long, help: "Patch text kept per file, in bytes (scrape.max_patch_bytes_per_file).") var maxPatchBytes: Int?
    @Option(name: .long, help: "Patch text kept per commit, in bytes (scrape.max_patch_bytes_per_commit).") var maxCommitPatchBytes: Int?
    @Option(name: .long, help: "HEAD files larger than this many bytes are skipped (scrape.max_file_bytes).") var maxFileBytes: Int?
    @Option(name: .long, help: "Diff workers (scrape.workers; default: all cores).") var workers: Int?
    @Option(name: .long, help: "Run name in the store.") var name = "scrape"
    @Flag(name: .long, help: "Do not record the run in the store.") var noStore = false
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption
    @OptionGroup var estimate: EstimateOptions
    @OptionGroup var storeOptions: StoreOptions

    /// The flags as overrides of their config keys.
    var flags: [String] {
        var flags = FlagOverrides()
        flags.add("repository.refs", source.refs)
        flags.off("scrape.detect_renames", when: noRenames)
        flags.off("scrape.include_patch", when: noPatch)
        flags.add("scrape.max_patch_bytes_per_file", maxPatchBytes)
        flags.add("scrape.max_patch_bytes_per_commit", maxCommitPatchBytes)
        flags.add("scrape.max_file_bytes", maxFileBytes)
        flags.add("scrape.workers", workers)
        return flags.list + estimate.overrides
    }

    func validate() throws {
        guard workers.map({ $0 >= 1 }) ?? true else { throw ValidationError("--workers must be at least 1.") }
        guard [maxPatchBytes, maxCommitPatchBytes, maxFileBytes].allSatisfy({ ($0 ?? 0) >= 0 }) else {
            throw ValidationError("--max-patch-bytes, --max-commit-patch-bytes and --max-file-bytes must not be negative.")
        }
        try estimate.validate()
    }

    func run() throws {
        let (loaded, yaml) = try configuration.load(flags: flags, alone: true)
        let config = loaded.resolvingThreads()
        let scraper: Scraper
        scraper = try Scraper(repository: source.repo, refs: config.refSelection, options: config.scrapeOptions)
        let run = noStore ? nil : try startRun(config, yaml: yaml, head: scraper.headCommit)
        let meter = Progress(label: "blocklab scrape")
        if let run { meter.record(into: run) }
        let scrape = ScrapePhase(.init(scraper: scraper, directory: URL(fileURLWithPath: out)))
        let outputs: ScrapePhase.Outputs
        do {
            if let run {
                _ = try run.phase(AnalysePhase.name.rawValue, hardwareEvery: config.hardwareInterval) { try AnalysePhase(.init(scraper: scraper, estimate: config.estimate)).run($0) }
                outputs = try run.phase(ScrapePhase.name.rawValue, hardwareEvery: config.hardwareInterval) { phase in
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
            throw error
        }
        if let run { meter.note("recorded run \(run.id) in \(run.store.path)") }
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

    /// The run, whose snapshot is the sections the two phases read, as resolved.
    private func startRun(_ config: PipelineConfig, yaml: String?, head: String?) throws -> RunHandle {
        let store = try storeOptions.openForWriting(config: .resolved(config.store.path))
        let sections = Array(Set(AnalysePhase.name.configSections + ScrapePhase.name.configSections)).sorted()
        let repo = URL(fileURLWithPath: source.repo).standardizedFileURL.path
        let run = try store.startRun(RunSpec(name: name, config: ConfigSnapshot(yaml: yaml, resolvedJSON: try config.sectionsJSON(sections)),
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
