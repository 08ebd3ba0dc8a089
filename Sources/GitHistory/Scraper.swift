import Foundation

/// Phase 1: the commit scrape and the HEAD file chunks.
///
///     let scraper = try Scraper(repository: "../my-repo", refs: .heads)
///     let summary = try scraper.write(to: URL(fileURLWithPath: "out")) { done, total in ... }
///     // out/commits.jsonl, out/files.jsonl
public final class Scraper {
    public let repositoryPath: String
    public let options: ScrapeOptions
    public let refs: RefSelection
    let repository: Repository
    let graph: CommitGraph

    /// Opens the repository and walks the chosen references (single-threaded, fast); the
    /// diffs happen in `write` or `records`.
    public init(repository path: String, refs: RefSelection = .heads, options: ScrapeOptions = ScrapeOptions()) throws(GitHistoryError) {
        repositoryPath = path
        self.options = options
        self.refs = refs
        repository = try Repository(path: path)
        if repository.isEmpty { throw .emptyRepository(path) }
        graph = try CommitGraph(repository: repository, selection: refs)
    }

    /// Commits the scrape will write.
    public var commitCount: Int { graph.selected.count }
    /// The references the selection matched (full names).
    public var chosenReferences: [String] { graph.chosenReferences }
    /// HEAD's commit hash; nil when HEAD is unborn.
    public var headCommit: String? { (try? repository.headCommit())?.hex }

    /// Every commit record, in output order (parents first, then by committer time).
    public func records() throws(GitHistoryError) -> [CommitRecord] {
        var result: [CommitRecord] = []
        try forEachRecord(progress: nil) { record in result.append(record) }
        return result
    }

    func forEachRecord(progress: ((Int, Int) -> Void)?, _ body: (CommitRecord) throws -> Void) throws(GitHistoryError) {
        let graph = self.graph, options = self.options, path = repositoryPath
        do {
            try orderedParallelMap(
                count: graph.selected.count, workers: options.workers,
                makeState: { () throws(GitHistoryError) -> RecordBuilder in
                    try RecordBuilder(path: path, graph: graph, options: options)
                },
                work: { builder, i in builder.record(forNode: graph.selected[i]) },
                consume: { i, record in
                    try body(record)
                    progress?(i + 1, graph.selected.count)
                })
        } catch let error as GitHistoryError {
            throw error
        } catch {
            throw .output(error.localizedDescription)
        }
    }

    /// Writes `commits.jsonl` and `files.jsonl` into `directory` (created if needed). Each
    /// file appears complete or not at all (`JSONLinesFile`), so a failed scrape leaves no
    /// half-written file behind. `progress` is called on this thread.
    public func write(to directory: URL, progress: ((Int, Int) -> Void)? = nil) throws(GitHistoryError) -> ScrapeSummary {
        let started = Date()
        let commitsURL = directory.appendingPathComponent("commits.jsonl")
        let filesURL = directory.appendingPathComponent("files.jsonl")
        var summary = ScrapeSummary(repository: repositoryPath, references: graph.chosenReferences,
                                    headCommit: headCommit, workers: options.workers)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .output("cannot create \(directory.path): \(error.localizedDescription)")
        }
        let graph = self.graph, options = self.options, path = repositoryPath
        try JSONLinesFile.write(commitsURL) { file throws(GitHistoryError) in
            do {
                try orderedParallelMap(
                    count: graph.selected.count, workers: options.workers,
                    makeState: { () throws(GitHistoryError) -> RecordBuilder in
                        try RecordBuilder(path: path, graph: graph, options: options)
                    },
                    work: { builder, i -> ([UInt8], Bool) in
                        let record = builder.record(forNode: graph.selected[i])
                        var json = JSONWriter()
                        record.writeJSONLine(to: &json)
                        return (json.bytes, record.error != nil)
                    },
                    consume: { i, line in
                        try file.append(line.0)
                        summary.commits += 1
                        if line.1 { summary.commitsWithErrors += 1 }
                        progress?(i + 1, graph.selected.count)
                    })
            } catch let error as GitHistoryError {
                throw error
            } catch {
                throw .output(error.localizedDescription)
            }
            summary.commitsBytes = file.bytesWritten
        }
        guard options.includeFileChunks else {
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        }
        try JSONLinesFile.write(filesURL) { file throws(GitHistoryError) in
            let chunker = FileChunker(repository: repository, options: options)
            do {
                try chunker.chunkHead { chunk in
                    var json = JSONWriter()
                    chunk.writeJSONLine(to: &json)
                    try file.append(json.bytes)
                }
            } catch let error as GitHistoryError {
                throw error
            } catch {
                throw .output(error.localizedDescription)
            }
            summary.files = chunker.counts
            summary.filesBytes = file.bytesWritten
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}

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
