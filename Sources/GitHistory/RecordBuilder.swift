import CGit2
import Foundation

/// Turns one commit of the graph into its `CommitRecord`: metadata, the diff against the
/// first parent (the empty tree for a root), per-file counts and patch text. One builder
/// per worker thread; it owns that worker's repository handle.
final class RecordBuilder {
    let repository: Repository
    let graph: CommitGraph
    let options: ScrapeOptions

    init(path: String, graph: CommitGraph, options: ScrapeOptions) throws(GitHistoryError) {
        repository = try Repository(path: path)
        self.graph = graph
        self.options = options
    }

    /// Never throws for a damaged commit: unreadable objects are reported in `error`.
    func record(forNode index: Int) -> CommitRecord {
        let node = graph.nodes[index]
        let commit: Commit
        do {
            commit = try repository.commit(node.id)
        } catch {
            return CommitRecord.unreadable(node: node, error: error.description)
        }
        let author = commit.author, committer = commit.committer
        let encoding = commit.messageEncoding
        let message = CommitMessage(TextDecoding.string(commit.messageBytes, declaredEncoding: encoding))
        let authorTime = GitTime(seconds: author.time, offsetMinutes: author.offsetMinutes)
        let committerTime = GitTime(seconds: committer.time, offsetMinutes: committer.offsetMinutes)
        let parents = node.parents
        var errors: [String] = []

        var record = CommitRecord(
            hash: node.id.hex, abbrevHash: (try? commit.shortID()) ?? String(node.id.hex.prefix(7)),
            parents: parents.map(\.hex), treeHash: commit.treeID.hex,
            authorName: TextDecoding.string(author.nameBytes, declaredEncoding: encoding),
            authorEmail: TextDecoding.string(author.emailBytes, declaredEncoding: encoding),
            authorTimestamp: authorTime.iso8601, authorUnixTime: author.time,
            authorTzOffsetMinutes: author.offsetMinutes,
            committerName: TextDecoding.string(committer.nameBytes, declaredEncoding: encoding),
            committerEmail: TextDecoding.string(committer.emailBytes, declaredEncoding: encoding),
            commitTimestamp: committerTime.iso8601, commitUnixTime: committer.time,
            committerTzOffsetMinutes: committer.offsetMinutes,
            subject: message.subject, body: message.body, fullMessage: message.full,
            messageEncoding: encoding,
            isMerge: parents.count > 1, isSquash: message.isSquash, isFixup: message.isFixup,
            isRevert: message.isRevert,
            branches: graph.branches(containing: index), tags: graph.tagsByCommit[node.id] ?? [],
            filesAdded: 0, filesModified: 0, filesDeleted: 0, filesRenamed: 0, filesCopied: 0,
            filesTypeChanged: 0, insertions: 0, deletions: 0, filesChanged: 0, hunks: 0, diffStats: [],
            mergeParents: parents.count > 1 ? parents.map(\.hex) : [], mergeBase: nil,
            relatedIssues: message.issueReferences, relatedCommits: [],
            timeSinceParent: parents.first.flatMap { graph.indexOf[$0] }.map { author.time - graph.nodes[$0].author.seconds },
            workHour: authorTime.local.hour, dayOfWeek: GitTime.weekdayNames[authorTime.local.weekday],
            complexityScore: 0, isHighRisk: false, filesByTopDir: [:], patchTruncated: false, error: nil)

        for candidate in message.hashCandidates where !node.id.hex.hasPrefix(candidate) {
            if let id = repository.resolveCommitPrefix(candidate), !record.relatedCommits.contains(id.hex) {
                record.relatedCommits.append(id.hex)
            }
        }

        if parents.count > 1 {
            do { record.mergeBase = try repository.mergeBase(parents[0], parents[1])?.hex }
            catch { errors.append("\(error)") }
        }

        record.diffStats = diffStats(of: commit, parents: parents, errors: &errors)
        record.summarize()
        record.patchTruncated = record.diffStats.contains { $0.truncated }
        record.error = errors.isEmpty ? nil : errors.joined(separator: "; ")
        return record
    }

    /// The commit's changes against its first parent (the empty tree for a root).
    private func diffStats(of commit: Commit, parents: [ObjectID], errors: inout [String]) -> [FileChange] {
        do {
            let newTree = try commit.tree()
            // Beyond a shallow clone's boundary the parent is absent: diff against the
            // empty tree, as git does for its grafted roots.
            let firstParent = parents.first.flatMap { graph.indexOf[$0] == nil && repository.isShallow ? nil : $0 }
            let oldTree = try firstParent.map { try repository.commit($0).tree() }
            let paths = try repository.changedPaths(from: oldTree, to: newTree)
            guard !paths.isEmpty else { return [] }  // an empty commit, or one restoring its parent's tree
            var budget = options.maxPatchBytesPerCommit
            let diff = try Diff(repository: repository, old: oldTree, new: newTree, paths: paths)
            guard options.detectRenames else { return fileChanges(of: diff, budget: &budget, errors: &errors) }
            let typeChanged = Set((0..<diff.count).map { diff.delta(at: $0) }.filter { $0.status == GIT_DELTA_TYPECHANGE }.map(\.newPath))
            guard !typeChanged.isEmpty else {
                findRenames(in: diff, errors: &errors)
                return fileChanges(of: diff, budget: &budget, errors: &errors)
            }
            // git never pairs a path whose type changed with another file; libgit2 would.
            // So renames are found among the other paths only.
            let typeChanges = try Diff(repository: repository, old: oldTree, new: newTree, paths: typeChanged.sorted())
            var changes = fileChanges(of: typeChanges, budget: &budget, errors: &errors)
            let others = paths.filter { !typeChanged.contains($0) }
            if !others.isEmpty {
                let rest = try Diff(repository: repository, old: oldTree, new: newTree, paths: others)
                findRenames(in: rest, errors: &errors)
                changes += fileChanges(of: rest, budget: &budget, errors: &errors)
            }
            return changes.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        } catch {
            errors.append("\(error)")
            return []
        }
    }

    private func findRenames(in diff: Diff, errors: inout [String]) {
        do { try diff.findRenames(limit: options.renameLimit) }
        catch { errors.append("\(error)") }  // a blob is missing; keep the plain diff
    }

    /// All files in one pass; when a blob is missing, file by file, so only the files
    /// that cannot be read carry the error. `budget`: patch bytes the commit may still use.
    private func fileChanges(of diff: Diff, budget: inout Int, errors: inout [String]) -> [FileChange] {
        do {
            let stats = try diff.collectStats(includeText: options.includePatch,
                                              maxBytesPerFile: options.maxPatchBytesPerFile,
                                              maxBytesTotal: max(0, budget))
            budget -= stats.reduce(0) { $0 + $1.text.count }
            return (0..<diff.count).map { index in
                let delta = diff.delta(at: index)  // binary flags are known now
                var change = FileChange(delta)
                if delta.status == GIT_DELTA_TYPECHANGE {
                    // libgit2 does not diff content across a type change; git does.
                    change = typeChange(delta, budget: &budget, errors: &errors)
                } else {
                    let file = stats[index]
                    change.insertions = file.insertions
                    change.deletions = file.deletions
                    change.hunks = file.hunks
                    change.diffText = change.isBinary ? "" : TextDecoding.lossy(file.text)
                    change.truncated = file.truncated && !change.isBinary
                }
                return change
            }
        } catch {
            return fileChangesOneByOne(of: diff, budget: &budget, errors: &errors)
        }
    }

    /// A type change diffed content against content, as `git diff` does.
    private func typeChange(_ delta: Delta, budget: inout Int, errors: inout [String]) -> FileChange {
        change(for: delta, budget: &budget, errors: &errors, patch: { try repository.typeChangePatch(delta) })
    }

    private func fileChangesOneByOne(of diff: Diff, budget: inout Int, errors: inout [String]) -> [FileChange] {
        (0..<diff.count).map { index in
            let delta = diff.delta(at: index)
            if delta.status == GIT_DELTA_TYPECHANGE {
                return typeChange(delta, budget: &budget, errors: &errors)
            }
            // libgit2 settles the binary flag while making the patch, so it is read again after.
            return change(for: delta, budget: &budget, errors: &errors, patch: { try diff.patch(at: index) },
                          binaryWithoutPatch: { diff.delta(at: index).isBinary })
        }
    }

    /// One file's change from its patch (none: no lines); a failure is kept in the record
    /// and in `errors`, and the scrape goes on.
    private func change(for delta: Delta, budget: inout Int, errors: inout [String], patch makePatch: () throws -> Patch?,
                        binaryWithoutPatch: (() -> Bool)? = nil) -> FileChange {
        var change = FileChange(delta)
        do {
            guard let patch = try makePatch() else {
                if let binaryWithoutPatch { change.isBinary = binaryWithoutPatch() }
                change.insertions = 0; change.deletions = 0
                return change
            }
            try fill(&change, from: patch, budget: &budget)
        } catch {
            change.insertions = nil; change.deletions = nil
            change.error = "\(error)"
            errors.append("\(change.path): \(error)")
        }
        return change
    }

    /// Line counts, hunks and (when asked for) the patch text of one file, the text capped
    /// per file and by what is left of the commit's budget.
    private func fill(_ change: inout FileChange, from patch: Patch, budget: inout Int) throws {
        let stats = try patch.lineStats()
        change.insertions = stats.insertions
        change.deletions = stats.deletions
        change.hunks = patch.hunkCount
        change.isBinary = patch.delta.isBinary
        if options.includePatch, !change.isBinary {
            let text = try patch.hunkText()
            let cap = max(0, min(options.maxPatchBytesPerFile, budget))
            let kept = text.count <= cap ? text[...] : Self.cutAtLineEnd(text, cap)
            change.truncated = kept.count < text.count
            budget -= kept.count
            change.diffText = TextDecoding.lossy(kept)
        }
    }

    /// The longest prefix of at most `cap` bytes that ends after a newline.
    static func cutAtLineEnd(_ bytes: [UInt8], _ cap: Int) -> ArraySlice<UInt8> {
        guard cap > 0 else { return [] }
        let head = bytes[..<cap]
        guard let newline = head.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return bytes[...newline]
    }
}
