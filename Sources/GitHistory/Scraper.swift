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
    /// The commit each chosen reference points at (full name → hash): what a scrape of
    /// these references depends on, so an unchanged map means an unchanged scrape.
    public var referenceTips: [String: String] {
        Dictionary(zip(graph.chosenReferences, graph.chosenTips.map(\.hex)), uniquingKeysWith: { a, _ in a })
    }
    /// HEAD's commit hash; nil when HEAD is unborn.
    public var headCommit: String? { (try? repository.headCommit())?.hex }

    /// Every commit record, in output order (parents first, then by committer time).
    public func records() throws(GitHistoryError) -> [CommitRecord] {
        var result: [CommitRecord] = []
        try forEachRecord(progress: nil) { record in result.append(record) }
        return result
    }

    func forEachRecord(progress: ((Int, Int) -> Void)?, _ body: (CommitRecord) throws -> Void) throws(GitHistoryError) {
        try mapRecords(progress: progress, { $0 }, consume: body)
    }

    /// Builds every commit's record on `options.workers` threads (one libgit2 repository
    /// handle each), turns it into a `T` on the same thread, and hands the results to
    /// `consume` on this thread in output order.
    func mapRecords<T>(progress: ((Int, Int) -> Void)?, _ transform: @escaping (CommitRecord) -> T,
                       consume: (T) throws -> Void) throws(GitHistoryError) {
        let graph = self.graph, options = self.options, path = repositoryPath
        do {
            try orderedParallelMap(
                count: graph.selected.count, workers: options.workers,
                makeState: { () throws(GitHistoryError) -> RecordBuilder in
                    try RecordBuilder(path: path, graph: graph, options: options)
                },
                work: { builder, i in transform(builder.record(forNode: graph.selected[i])) },
                consume: { i, value in
                    try consume(value)
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
        try JSONLinesFile.write(commitsURL) { file throws(GitHistoryError) in
            try mapRecords(progress: progress, { record -> (line: [UInt8], failed: Bool) in
                var json = JSONWriter()
                record.writeJSONLine(to: &json)
                return (json.bytes, record.error != nil)
            }, consume: { line in
                try file.append(line.line)
                summary.commits += 1
                if line.failed { summary.commitsWithErrors += 1 }
            })
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
