import ExperimentStore
import Foundation
import GitHistory

/// Phase 1: one record per commit with its real diffs (`commits.jsonl`) and HEAD's files in
/// chunks (`files.jsonl`), written into a directory. Stats: `ScrapeSummary`. Commits whose
/// objects are missing are recorded with an error and the scrape goes on; the phase
/// finishes with a note that counts them. Without a recorder (`blocklab scrape --no-store`)
/// it only writes the files.
public struct ScrapePhase {
    public struct Inputs {
        public var scraper: Scraper
        public var directory: URL
        public init(scraper: Scraper, directory: URL) {
            self.scraper = scraper
            self.directory = directory
        }
    }

    public struct Outputs {
        /// The scrape's counts; nil for a reused scrape.
        public var summary: ScrapeSummary?
        public var commitsFile: URL
        /// nil when `scrape.include_file_chunks` is off.
        public var filesFile: URL?
        public var files: [PhaseOutput] {
            [PhaseOutput(name: "commits.jsonl", path: commitsFile.path, kind: "dataset")]
                + (filesFile.map { [PhaseOutput(name: "files.jsonl", path: $0.path, kind: "dataset")] } ?? [])
        }

        /// The outputs of an earlier run's scrape, from its `outputs` list.
        public init(reusing outputs: [PhaseOutput]) throws {
            guard let commits = outputs.first(where: { $0.name == "commits.jsonl" }) else {
                throw PipelineError("the earlier scrape lists no commits.jsonl")
            }
            commitsFile = URL(fileURLWithPath: commits.path)
            filesFile = outputs.first(where: { $0.name == "files.jsonl" }).map { URL(fileURLWithPath: $0.path) }
        }

        init(summary: ScrapeSummary, commitsFile: URL, filesFile: URL?) {
            self.summary = summary
            self.commitsFile = commitsFile
            self.filesFile = filesFile
        }
    }

    public static let name = PhaseName.scrape
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    public func run(_ phase: PhaseRecorder?, progress: PipelineProgress) throws -> Outputs {
        let summary = try inputs.scraper.write(to: inputs.directory) { done, total in
            progress.update(phase: Self.name.rawValue, done: done, total: total, unit: "commits")
        }
        try phase?.record(stats: summary)
        if summary.commitsWithErrors > 0 {
            phase?.note = "\(summary.commitsWithErrors) commits with unreadable objects (see their error field)"
        }
        let includeFiles = inputs.scraper.options.includeFileChunks
        return Outputs(summary: summary, commitsFile: inputs.directory.appendingPathComponent("commits.jsonl"),
                       filesFile: includeFiles ? inputs.directory.appendingPathComponent("files.jsonl") : nil)
    }
}
