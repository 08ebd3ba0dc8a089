import Foundation

extension CommitRecord {
    /// A commit whose object itself could not be read: only what the walk knew.
    static func unreadable(node: CommitGraph.Node, error: String) -> CommitRecord {
        CommitRecord(
            hash: node.id.hex, abbrevHash: String(node.id.hex.prefix(7)), parents: node.parents.map(\.hex),
            treeHash: "", authorName: node.authorName, authorEmail: node.authorEmail,
            authorTimestamp: node.author.iso8601, authorUnixTime: node.author.seconds,
            authorTzOffsetMinutes: node.author.offsetMinutes, committerName: "", committerEmail: "",
            commitTimestamp: GitTime(seconds: node.committerTime, offsetMinutes: 0).iso8601,
            commitUnixTime: node.committerTime, committerTzOffsetMinutes: 0,
            subject: "", body: "", fullMessage: "", messageEncoding: nil,
            isMerge: node.parents.count > 1, isSquash: false, isFixup: false, isRevert: false,
            branches: [], tags: [], filesAdded: 0, filesModified: 0, filesDeleted: 0, filesRenamed: 0,
            filesCopied: 0, filesTypeChanged: 0, insertions: 0, deletions: 0, filesChanged: 0, hunks: 0,
            diffStats: [], mergeParents: node.parents.count > 1 ? node.parents.map(\.hex) : [], mergeBase: nil,
            relatedIssues: [], relatedCommits: [], timeSinceParent: nil,
            workHour: node.author.local.hour, dayOfWeek: GitTime.weekdayNames[node.author.local.weekday],
            complexityScore: 0, isHighRisk: false, filesByTopDir: [:], patchTruncated: false, error: error)
    }

    /// Lines changed at or above which a commit is high-risk, and files likewise.
    public static let highRiskLines = 500
    public static let highRiskFiles = 20

    /// Fills the per-commit totals from `diffStats`:
    /// - `complexity_score` = ln(1 + insertions + deletions) + ln(1 + files_changed) + ln(1 + hunks),
    ///   rounded to 3 decimals (0 for an empty commit; grows slowly with size);
    /// - `is_high_risk`: at least `highRiskLines` lines or `highRiskFiles` files changed.
    mutating func summarize() {
        filesAdded = 0; filesModified = 0; filesDeleted = 0; filesRenamed = 0; filesCopied = 0; filesTypeChanged = 0
        insertions = 0; deletions = 0; hunks = 0
        var byDir: [String: [String]] = [:]
        for file in diffStats {
            switch file.changeType {
            case "ADD": filesAdded += 1
            case "DELETE": filesDeleted += 1
            case "RENAME": filesRenamed += 1
            case "COPY": filesCopied += 1
            case "TYPE_CHANGE": filesTypeChanged += 1
            default: filesModified += 1
            }
            insertions += file.insertions ?? 0
            deletions += file.deletions ?? 0
            hunks += file.hunks
            let top = file.path.firstIndex(of: "/").map { String(file.path[..<$0]) } ?? "."
            byDir[top, default: []].append(file.path)
        }
        filesChanged = diffStats.count
        filesByTopDir = byDir
        let score = log(1 + Double(insertions + deletions)) + log(1 + Double(filesChanged)) + log(1 + Double(hunks))
        complexityScore = (score * 1000).rounded() / 1000
        isHighRisk = insertions + deletions >= Self.highRiskLines || filesChanged >= Self.highRiskFiles
    }
}
