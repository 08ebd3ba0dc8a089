import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import GitHistory
import Pipeline

/// `blocklab analyse`: phase 0 alone, as the pipeline runs it (`AnalysePhase`), printed and
/// recorded as a run with the `analyse` phase (unless `--no-store`). Reads the config's
/// repository, epoch_calculation and dataset sections (the estimate); its flags override
/// those keys, and the run's snapshot is those sections as resolved.
struct AnalyseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyse",
        abstract: "Branches, tags, commits, authors and time span of a repository, with the first epoch estimate.")

    @OptionGroup var source: RepositoryOptions
    @OptionGroup var estimate: EstimateOptions
    @Option(name: .long, help: "Run name in the store.") var name = "analyse"
    @Flag(name: .long, help: "Do not record the run in the store.") var noStore = false
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption

    func validate() throws { try estimate.validate() }

    func run() throws {
        var flags = FlagOverrides()
        flags.add("repository.refs", source.refs)
        let (loaded, yaml) = try configuration.load(flags: flags.list + estimate.overrides, alone: true)
        let config = loaded.resolvingThreads()
        let scraper: Scraper
        scraper = try Scraper(repository: source.repo, refs: config.refSelection, options: config.scrapeOptions)
        let phase = AnalysePhase(.init(scraper: scraper, estimate: config.estimate))
        let analysis: RepositoryAnalysis
        if noStore {
            analysis = try phase.run(nil).analysis
        } else {
            let store = try storeOptions.openForWriting(config: .resolved(loaded.store.path))
            let repo = URL(fileURLWithPath: source.repo).standardizedFileURL.path
            let snapshot = ConfigSnapshot(yaml: yaml, resolvedJSON: try config.sectionsJSON(AnalysePhase.name.configSections))
            let run = try store.startRun(RunSpec(name: name, config: snapshot, sourceRepository: repo, sourceCommit: scraper.headCommit))
            TerminationSignals.endRunsOnSignal()
            do {
                analysis = try run.phase(AnalysePhase.name.rawValue, hardwareEvery: config.hardwareInterval) { try phase.run($0) }.analysis
                try run.finish()
            } catch {
                try? run.finish(status: .failed, error: "\(error)")
                throw error
            }
            Console.notice("blocklab analyse: recorded run \(run.id) in \(store.path)")
        }
        try output.printRecord(json: try ScrapeCommand.encoder.encode(analysis)) { printTable(analysis) }
    }

    private func printTable(_ a: RepositoryAnalysis) {
        let other = a.otherReferences.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(OutputOptions.table(headers: ["fact", "value"], rows: [
            ["repository", a.repository], ["refs", a.references],
            ["bare", "\(a.isBare)"], ["shallow", "\(a.isShallow)"],
            ["branches", "\(a.branches.count)"], ["tags", "\(a.tags.count)"],
            ["other refs", other.isEmpty ? "none" : other],
            ["unique commits", "\(a.uniqueCommits)"], ["merges", "\(a.merges)"],
            ["authors (by email)", "\(a.authors)"],
            ["authors (.mailmap)", a.authorsMailmapped.map { "\($0)" } ?? "no .mailmap"],
            ["first commit", a.firstCommitTime], ["last commit", a.lastCommitTime],
            ["span (days)", "\(a.spanDays)"], ["commits per day", "\(a.commitsPerDay)"],
            ["estimated sequences", "\(a.estimatedSequences) of \(a.estimate.sequenceLength) tokens"],
            ["estimated epochs", "\(a.estimatedEpochs) (target \(a.estimate.targetTokens) tokens, \(a.estimate.minEpochs)-\(a.estimate.maxEpochs))"],
        ]), terminator: "")
        if !a.branches.isEmpty {
            print("")
            print(OutputOptions.table(headers: ["branch", "commits"], rows: a.branches.map { [$0.name, "\($0.commits)"] }), terminator: "")
        }
    }
}
