import Foundation

/// One JSONL record of the git scrape: a commit or a HEAD file chunk. Unknown fields are
/// ignored; a record without `type` is a commit when it has `hash`.
public enum DatasetRecord: Sendable, Equatable {
    case commit(Commit)
    case fileChunk(FileChunk)

    public struct Commit: Sendable, Equatable {
        public var hash: String
        public var subject: String
        public var body: String
        public var authorName: String
        public var authorEmail: String
        /// ISO 8601, as scraped; also the order of `--split chronological`.
        public var authorTimestamp: String
        public var files: [FileDiff]

        public init(hash: String, subject: String, body: String = "", authorName: String = "", authorEmail: String = "",
                    authorTimestamp: String = "", files: [FileDiff] = []) {
            self.hash = hash; self.subject = subject; self.body = body; self.authorName = authorName
            self.authorEmail = authorEmail; self.authorTimestamp = authorTimestamp; self.files = files
        }
    }

    public struct FileDiff: Sendable, Equatable {
        public var path: String
        public var changeType: String
        public var insertions: Int
        public var deletions: Int
        public var diffText: String
        /// The path before a rename or copy.
        public var originalPath: String?
        public init(path: String, changeType: String, insertions: Int, deletions: Int, diffText: String,
                    originalPath: String? = nil) {
            self.path = path; self.changeType = changeType; self.insertions = insertions
            self.deletions = deletions; self.diffText = diffText; self.originalPath = originalPath
        }
    }

    public struct FileChunk: Sendable, Equatable {
        public var path: String
        public var startLine: Int
        public var endLine: Int
        public var text: String
        public init(path: String, startLine: Int, endLine: Int, text: String) {
            self.path = path; self.startLine = startLine; self.endLine = endLine; self.text = text
        }
    }

    public enum Source: String, Sendable, Codable { case commit, fileChunk = "file_chunk" }

    public var source: Source {
        switch self { case .commit: .commit; case .fileChunk: .fileChunk }
    }

    /// Parses one JSONL line. Throws a message with the file and line when it is not a
    /// record; returns nil for a record of another type (skipped).
    public static func parse(line: Substring, file: String, lineNumber: Int) throws -> DatasetRecord? {
        func bad(_ why: String) -> TokenizerError {
            TokenizerError("\(file):\(lineNumber): \(why). Each line must be a JSON object written by `blocklab scrape`.")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        let type = object["type"] as? String ?? (object["hash"] != nil ? "commit" : nil)
        func string(_ key: String, in o: [String: Any] = object) -> String { o[key] as? String ?? "" }
        func int(_ key: String, in o: [String: Any] = object) -> Int { (o[key] as? NSNumber)?.intValue ?? 0 }
        switch type {
        case "commit":
            guard object["hash"] is String else { throw bad("a commit without \"hash\"") }
            let files = (object["diff_stats"] as? [[String: Any]] ?? []).map { stat in
                FileDiff(path: string("path", in: stat), changeType: string("change_type", in: stat),
                         insertions: int("insertions", in: stat), deletions: int("deletions", in: stat),
                         diffText: string("diff_text", in: stat),
                         originalPath: (stat["original_path"] as? String).flatMap { $0.isEmpty || $0 == stat["path"] as? String ? nil : $0 })
            }
            return .commit(Commit(hash: string("hash"), subject: string("subject"), body: string("body"),
                                  authorName: string("author_name"), authorEmail: string("author_email"),
                                  authorTimestamp: string("author_timestamp"), files: files))
        case "file_chunk":
            guard object["path"] is String else { throw bad("a file chunk without \"path\"") }
            return .fileChunk(FileChunk(path: string("path"), startLine: int("start_line"), endLine: int("end_line"),
                                        text: string("text")))
        case nil:
            throw bad("no \"type\" and no \"hash\"")
        default:
            return nil
        }
    }

    /// Parses one line's bytes as `read` does: bytes that are not UTF-8 become U+FFFD
    /// first, and a blank line gives nil, as a record of another type does.
    static func parse(bytes: ArraySlice<UInt8>, file: String, lineNumber: Int) throws -> DatasetRecord? {
        let text = String(decoding: bytes, as: UTF8.self)
        if bytes.first != UInt8(ascii: "{"), text.allSatisfy(\.isWhitespace) { return nil }
        return try parse(line: text[...], file: file, lineNumber: lineNumber)
    }

    /// The error for an input file that cannot be opened.
    static func unreadable(_ file: String) -> TokenizerError {
        TokenizerError("cannot read \(file); pass the JSONL written by `blocklab scrape` with --input.")
    }

    /// Reads every record of a JSONL file, in order. Blank lines are skipped. Holds them all:
    /// the dataset builder reads a batch of lines at a time instead (`LineBatchReader`).
    public static func read(file: String) throws -> [DatasetRecord] {
        let reader = try LineBatchReader(path: file, missing: unreadable(file))
        var records: [DatasetRecord] = []
        while let batch = try reader.next() {
            for (k, range) in batch.ranges.enumerated() {
                if let record = try parse(bytes: batch.bytes[range], file: file, lineNumber: batch.first + k) {
                    records.append(record)
                }
            }
        }
        return records
    }
}
