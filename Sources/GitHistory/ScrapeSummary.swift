/// What a scrape wrote; stored as the phase's stats.
public struct ScrapeSummary: Codable, Sendable {
    public var repository: String
    public var references: [String]
    public var headCommit: String?
    public var workers: Int
    public var commits = 0
    public var commitsWithErrors = 0
    public var commitsBytes = 0
    public var files = FileChunkCounts()
    public var filesBytes = 0
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case repository, references, workers, commits, files, seconds
        case headCommit = "head_commit", commitsWithErrors = "commits_with_errors"
        case commitsBytes = "commits_bytes", filesBytes = "files_bytes"
    }
}
