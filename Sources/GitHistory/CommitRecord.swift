/// One commit as the scrape writes it (one JSON line in `commits.jsonl`). Field names and
/// meanings are documented in `docs/scrape.md`; Codable keys are the JSON names.
public struct CommitRecord: Codable, Sendable, Equatable {
    public var type = "commit"
    public var hash: String
    public var abbrevHash: String
    public var parents: [String]
    public var treeHash: String
    public var authorName: String
    public var authorEmail: String
    public var authorTimestamp: String
    public var authorUnixTime: Int64
    public var authorTzOffsetMinutes: Int
    public var committerName: String
    public var committerEmail: String
    public var commitTimestamp: String
    public var commitUnixTime: Int64
    public var committerTzOffsetMinutes: Int
    public var subject: String
    public var body: String
    public var fullMessage: String
    public var messageEncoding: String?
    public var isMerge: Bool
    public var isSquash: Bool
    public var isFixup: Bool
    public var isRevert: Bool
    public var branches: [String]
    public var tags: [String]
    public var filesAdded: Int
    public var filesModified: Int
    public var filesDeleted: Int
    public var filesRenamed: Int
    public var filesCopied: Int
    public var filesTypeChanged: Int
    public var insertions: Int
    public var deletions: Int
    public var filesChanged: Int
    public var hunks: Int
    public var diffStats: [FileChange]
    public var mergeParents: [String]
    public var mergeBase: String?
    public var relatedIssues: [Int]
    public var relatedCommits: [String]
    public var timeSinceParent: Int64?
    public var workHour: Int
    public var dayOfWeek: String
    public var complexityScore: Double
    public var isHighRisk: Bool
    public var filesByTopDir: [String: [String]]
    public var patchTruncated: Bool
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case type, hash, parents, subject, body, branches, tags, insertions, deletions, hunks, error
        case abbrevHash = "abbrev_hash", treeHash = "tree_hash"
        case authorName = "author_name", authorEmail = "author_email", authorTimestamp = "author_timestamp"
        case authorUnixTime = "author_unix_time", authorTzOffsetMinutes = "author_tz_offset_minutes"
        case committerName = "committer_name", committerEmail = "committer_email"
        case commitTimestamp = "commit_timestamp", commitUnixTime = "commit_unix_time"
        case committerTzOffsetMinutes = "committer_tz_offset_minutes"
        case fullMessage = "full_message", messageEncoding = "message_encoding"
        case isMerge = "is_merge", isSquash = "is_squash", isFixup = "is_fixup", isRevert = "is_revert"
        case filesAdded = "files_added", filesModified = "files_modified", filesDeleted = "files_deleted"
        case filesRenamed = "files_renamed", filesCopied = "files_copied", filesTypeChanged = "files_type_changed"
        case filesChanged = "files_changed", diffStats = "diff_stats", mergeParents = "merge_parents"
        case mergeBase = "merge_base", relatedIssues = "related_issues", relatedCommits = "related_commits"
        case timeSinceParent = "time_since_parent", workHour = "work_hour", dayOfWeek = "day_of_week"
        case complexityScore = "complexity_score", isHighRisk = "is_high_risk"
        case filesByTopDir = "files_by_top_dir", patchTruncated = "patch_truncated"
    }
}

/// One changed path of a commit (an element of `diff_stats`).
public struct FileChange: Codable, Sendable, Equatable {
    /// The path after the change (before it, for a deletion).
    public var path: String
    /// The path before a rename or copy; nil otherwise.
    public var originalPath: String?
    /// ADD, MODIFY, DELETE, RENAME, COPY or TYPE_CHANGE.
    public var changeType: String
    /// Rename or copy similarity, 0-100; nil otherwise.
    public var similarity: Int?
    /// Line counts as `git log --numstat` gives them (0 for binary files); nil when the
    /// file's objects could not be read (see `error`).
    public var insertions: Int?
    public var deletions: Int?
    public var hunks: Int
    public var isBinary: Bool
    /// The unified diff from the first `@@` line on, capped; "" for binary files and with `--no-patch`.
    public var diffText: String
    public var truncated: Bool
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case path, similarity, insertions, deletions, hunks, truncated, error
        case originalPath = "original_path", changeType = "change_type", isBinary = "is_binary", diffText = "diff_text"
    }
}
