import Foundation
import TrainingPlan

/// Phase 0: what the chosen references hold, and the first estimate of sequences and epochs.
///
///     let analysis = try RepositoryAnalysis(repository: "../my-repo")
///     print(analysis.uniqueCommits, analysis.estimatedEpochs)
public struct RepositoryAnalysis: Codable, Sendable {
    public struct Branch: Codable, Sendable, Equatable {
        public var name: String
        public var commits: Int
    }

    /// The inputs of the estimate (TrainingPlan: epochs = clamp(floor(target_tokens /
    /// (sequences × sequence_length)), min_epochs, max_epochs)).
    public struct EstimateParameters: Codable, Sendable {
        public var targetTokens = TrainingPlan.defaultTargetTokens
        public var sequenceLength = 2048
        public var minEpochs = TrainingPlan.defaultMinEpochs
        public var maxEpochs = TrainingPlan.defaultMaxEpochs
        public init() {}

        enum CodingKeys: String, CodingKey {
            case targetTokens = "target_tokens", sequenceLength = "sequence_length"
            case minEpochs = "min_epochs", maxEpochs = "max_epochs"
        }
    }

    public var repository: String
    public var references: String
    public var isBare: Bool
    public var isShallow: Bool
    public var branches: [Branch]
    public var tags: [String]
    /// Other references counted by namespace (`refs/remotes`, `refs/pull`, `refs/notes`, ...).
    public var otherReferences: [String: Int]
    public var uniqueCommits: Int
    public var merges: Int
    /// Distinct author emails (lowercased), and the same after `.mailmap` (nil without one).
    public var authors: Int
    public var authorsMailmapped: Int?
    /// Author times of the oldest and newest commit (ISO 8601 with offset).
    public var firstCommitTime: String?
    public var lastCommitTime: String?
    /// The same two times in Unix seconds (the manifest's `first_commit_timestamp`).
    public var firstCommitTimestamp: Int64?
    public var lastCommitTimestamp: Int64?
    public var spanDays: Double
    /// Commits per day over the span (the span counts as at least one day).
    public var commitsPerDay: Double
    public var estimate: EstimateParameters
    public var estimatedSequences: Int
    public var estimatedEpochs: Int

    enum CodingKeys: String, CodingKey {
        case repository, references, branches, tags, merges, authors, estimate
        case isBare = "is_bare", isShallow = "is_shallow", otherReferences = "other_references"
        case uniqueCommits = "unique_commits", authorsMailmapped = "authors_mailmapped"
        case firstCommitTime = "first_commit_time", lastCommitTime = "last_commit_time"
        case firstCommitTimestamp = "first_commit_timestamp", lastCommitTimestamp = "last_commit_timestamp"
        case spanDays = "span_days", commitsPerDay = "commits_per_day"
        case estimatedSequences = "estimated_sequences", estimatedEpochs = "estimated_epochs"
    }

    public init(repository path: String, refs: RefSelection = .heads,
                estimate: EstimateParameters = EstimateParameters()) throws(GitHistoryError) {
        let repository = try Repository(path: path)
        if repository.isEmpty { throw .emptyRepository(path) }
        let graph = try CommitGraph(repository: repository, selection: refs)
        self.init(repository: repository, graph: graph, refs: refs, estimate: estimate)
    }

    /// The analysis of what `scraper` is about to scrape (its walk is reused, not repeated).
    public init(of scraper: Scraper, estimate: EstimateParameters = EstimateParameters()) {
        self.init(repository: scraper.repository, graph: scraper.graph, refs: scraper.refs, estimate: estimate)
    }

    private init(repository: Repository, graph: CommitGraph, refs: RefSelection, estimate: EstimateParameters) {
        self.repository = repository.path
        references = refs.description
        isBare = repository.isBare
        isShallow = repository.isShallow
        branches = graph.branchNames.enumerated().map { Branch(name: $1, commits: graph.commitCount(ofBranch: $0)) }
        tags = graph.referenceNames.filter { $0.hasPrefix("refs/tags/") }.map { String($0.dropFirst("refs/tags/".count)) }
        var other: [String: Int] = [:]
        for name in graph.referenceNames where !name.hasPrefix("refs/heads/") && !name.hasPrefix("refs/tags/") {
            let parts = name.split(separator: "/", maxSplits: 2)
            other[parts.prefix(2).joined(separator: "/"), default: 0] += 1
        }
        otherReferences = other

        let selected = graph.selected.map { graph.nodes[$0] }
        uniqueCommits = selected.count
        merges = selected.filter { $0.parents.count > 1 }.count
        authors = Set(selected.map { $0.authorEmail.lowercased() }).count
        authorsMailmapped = nil
        if Self.hasMailmap(repository), let mailmap = try? Mailmap(repository: repository) {
            authorsMailmapped = Set(selected.map {
                ((try? mailmap.resolveEmail(name: $0.authorName, email: $0.authorEmail)) ?? $0.authorEmail).lowercased()
            }).count
        }
        let first = selected.min { $0.author.seconds < $1.author.seconds }
        let last = selected.max { $0.author.seconds < $1.author.seconds }
        firstCommitTime = first?.author.iso8601
        lastCommitTime = last?.author.iso8601
        firstCommitTimestamp = first?.author.seconds
        lastCommitTimestamp = last?.author.seconds
        let span = Double((last?.author.seconds ?? 0) - (first?.author.seconds ?? 0)) / 86_400
        spanDays = (span * 100).rounded() / 100
        commitsPerDay = (Double(uniqueCommits) / max(span, 1) * 100).rounded() / 100
        self.estimate = estimate
        estimatedSequences = TrainingPlan.estimatedSequences(commits: uniqueCommits, sequenceLength: estimate.sequenceLength)
        estimatedEpochs = TrainingPlan.epochs(targetTokens: estimate.targetTokens, sequences: estimatedSequences,
                                              sequenceLength: estimate.sequenceLength,
                                              minEpochs: estimate.minEpochs, maxEpochs: estimate.maxEpochs)
    }

    /// A `.mailmap` in the work tree, or in HEAD's tree for a bare repository (where libgit2 reads it).
    static func hasMailmap(_ repository: Repository) -> Bool {
        if let workdir = repository.workdir {
            return FileManager.default.fileExists(atPath: workdir + "/.mailmap")
        }
        guard let head = try? repository.headCommit(), let tree = try? repository.commit(head).tree() else { return false }
        return tree.entries.contains { $0.name == ".mailmap" }
    }
}
