import ArgumentParser
import StoreCommands
import Foundation
import GitHistory

/// `blocklab analyse`: phase 0 alone, printed (nothing is recorded; `scrape` records it).
struct AnalyseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyse",
        abstract: "Branches, tags, commits, authors and time span of a repository, with the first epoch estimate.")

    @OptionGroup var source: RepositoryOptions
    @OptionGroup var estimate: EstimateOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try estimate.validate() }

    func run() throws {
        let analysis = try RepositoryAnalysis(repository: source.repo, refs: source.selection, estimate: estimate.parameters)
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
