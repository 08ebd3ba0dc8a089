import CGit2

/// The second record stream: the text files tracked at HEAD, read from HEAD's tree (not the
/// work tree), cut into overlapping chunks of lines. Symbolic links and submodules are not
/// files here; binary, oversized and unreadable files are skipped and counted.
final class FileChunker {
    let repository: Repository
    let options: ScrapeOptions
    private(set) var counts = FileChunkCounts()

    init(repository: Repository, options: ScrapeOptions) {
        self.repository = repository
        self.options = options
    }

    func chunkHead(_ emit: (FileChunk) throws -> Void) throws {
        guard let head = try repository.headCommit() else { return }
        let tree = try repository.commit(head).tree()
        try walk(tree, prefix: "", head: head.hex, emit)
    }

    private func walk(_ tree: Tree, prefix: String, head: String, _ emit: (FileChunk) throws -> Void) throws {
        for entry in tree.entries {
            let path = prefix + entry.name
            if entry.type == GIT_OBJECT_TREE {
                try walk(try repository.tree(entry.id), prefix: path + "/", head: head, emit)
                continue
            }
            guard entry.type == GIT_OBJECT_BLOB, entry.mode == GIT_FILEMODE_BLOB || entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE else { continue }
            let blob: Blob
            do { blob = try repository.blob(entry.id) } catch { counts.skippedUnreadable += 1; continue }
            if blob.size > options.maxFileBytes { counts.skippedOversized += 1; continue }
            if blob.isBinary { counts.skippedBinary += 1; continue }
            counts.filesRead += 1
            let lines = blob.withBytes { Self.lineRanges($0) }
            for (start, end) in Self.chunkBounds(lineCount: lines.count, size: options.chunkLines, overlap: options.chunkOverlap) {
                let text = blob.withBytes { bytes in
                    TextDecoding.lossy(bytes[lines[start].lowerBound..<lines[end - 1].upperBound])
                }
                counts.chunks += 1
                try emit(FileChunk(path: path, blobHash: entry.id.hex, commit: head,
                                   startLine: start + 1, endLine: end, totalLines: lines.count, text: text))
            }
        }
    }

    /// Byte ranges of each line, its newline included; a last line without one counts.
    static func lineRanges(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            result.append(start..<(i + 1)); start = i + 1
        }
        if start < bytes.count { result.append(start..<bytes.count) }
        return result
    }

    /// Zero-based half-open line ranges: `size` lines each, each starting `overlap` lines
    /// before the previous one ended; the last ends at the last line. None for an empty file.
    static func chunkBounds(lineCount: Int, size: Int, overlap: Int) -> [(Int, Int)] {
        precondition(size > overlap && overlap >= 0, "chunk size must exceed the overlap")
        var result: [(Int, Int)] = []
        var start = 0
        while start < lineCount {
            let end = min(start + size, lineCount)
            result.append((start, end))
            if end == lineCount { break }
            start = end - overlap
        }
        return result
    }
}

/// One chunk of a file at HEAD (one JSON line in `files.jsonl`).
public struct FileChunk: Codable, Sendable, Equatable {
    public var type = "file_chunk"
    public var path: String
    public var blobHash: String
    /// The HEAD commit the file was read from.
    public var commit: String
    /// 1-based, inclusive line numbers.
    public var startLine: Int
    public var endLine: Int
    public var totalLines: Int
    public var text: String

    enum CodingKeys: String, CodingKey {
        case type, path, commit, text
        case blobHash = "blob_hash", startLine = "start_line", endLine = "end_line", totalLines = "total_lines"
    }

    func writeJSONLine(to json: inout JSONWriter) {
        json.beginObject()
        json.key("type"); json.string(type)
        json.key("path"); json.string(path)
        json.key("blob_hash"); json.string(blobHash)
        json.key("commit"); json.string(commit)
        json.key("start_line"); json.int(startLine)
        json.key("end_line"); json.int(endLine)
        json.key("total_lines"); json.int(totalLines)
        json.key("text"); json.string(text)
        json.endObject()
        json.newline()
    }
}

/// Counts of the HEAD file stream.
public struct FileChunkCounts: Codable, Sendable, Equatable {
    public var filesRead = 0
    public var chunks = 0
    public var skippedBinary = 0
    public var skippedOversized = 0
    public var skippedUnreadable = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case chunks
        case filesRead = "files_read", skippedBinary = "skipped_binary"
        case skippedOversized = "skipped_oversized", skippedUnreadable = "skipped_unreadable"
    }
}
