import Foundation

/// The fields of a scraped commit (`commits.jsonl`, docs/scrape.md) that phase 3 reads.
/// Other fields are ignored, so newer scrapes stay readable.
public struct CommitRecord: Decodable, Sendable, Equatable {
    public struct FileDiff: Decodable, Sendable, Equatable {
        public var path: String
        public var diffText: String
        enum CodingKeys: String, CodingKey { case path, diffText = "diff_text" }
        public init(path: String, diffText: String) { self.path = path; self.diffText = diffText }
    }

    public var hash: String
    public var authorName: String
    /// ISO 8601 with the author's offset, e.g. `2024-01-01T10:00:00+05:30`.
    public var authorTimestamp: String
    public var subject: String
    public var body: String
    public var branches: [String]
    public var filesChanged: Int
    public var insertions: Int
    public var deletions: Int
    public var diffStats: [FileDiff]

    enum CodingKeys: String, CodingKey {
        case hash, authorName = "author_name", authorTimestamp = "author_timestamp", subject, body, branches
        case filesChanged = "files_changed", insertions, deletions, diffStats = "diff_stats"
    }

    public init(hash: String, authorName: String, authorTimestamp: String, subject: String, body: String = "",
                branches: [String] = [], filesChanged: Int = 0, insertions: Int = 0, deletions: Int = 0, diffStats: [FileDiff] = []) {
        self.hash = hash
        self.authorName = authorName
        self.authorTimestamp = authorTimestamp
        self.subject = subject
        self.body = body
        self.branches = branches
        self.filesChanged = filesChanged
        self.insertions = insertions
        self.deletions = deletions
        self.diffStats = diffStats
    }

    /// Every commit record of a `commits.jsonl`, first occurrence of each hash kept.
    /// A line that is not a commit record is an error naming the file and line.
    public static func read(_ url: URL) throws -> [CommitRecord] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EmbeddingError("cannot read \(url.path): pass the commits.jsonl written by `blocklab scrape --out DIR`")
        }
        let decoder = JSONDecoder()
        var records: [CommitRecord] = []
        var seen = Set<String>()
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            let record: CommitRecord
            do {
                record = try decoder.decode(CommitRecord.self, from: Data(line))
            } catch {
                throw EmbeddingError("\(url.path) line \(lineNumber) is not a commit record of `blocklab scrape` (\(Self.reason(error))): pass a commits.jsonl written by `blocklab scrape`")
            }
            if seen.insert(record.hash).inserted { records.append(record) }
        }
        return records
    }

    static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): return "no \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        case .dataCorrupted: return "not JSON"
        default: return "\(error)"
        }
    }
}
