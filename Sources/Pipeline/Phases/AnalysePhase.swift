import ExperimentStore
import GitHistory

/// Phase 0: branches, commits, authors and span of the chosen references, and the first
/// estimate of sequences and epochs. Stats: `RepositoryAnalysis`. No files.
public struct AnalysePhase {
    public struct Inputs {
        /// The opened repository (its reference walk is shared with the scrape).
        public var scraper: Scraper
        public var estimate: RepositoryAnalysis.EstimateParameters
        public init(scraper: Scraper, estimate: RepositoryAnalysis.EstimateParameters) {
            self.scraper = scraper
            self.estimate = estimate
        }
    }

    public struct Outputs {
        public var analysis: RepositoryAnalysis
    }

    public static let name = PhaseName.analyse
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    public func run(_ phase: PhaseRecorder?) throws -> Outputs {
        let analysis = RepositoryAnalysis(of: inputs.scraper, estimate: inputs.estimate)
        try phase?.record(stats: analysis)
        return Outputs(analysis: analysis)
    }
}
