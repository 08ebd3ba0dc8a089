import CGit2
import Glibc

/// Owns a `git_diff` between two trees.
final class Diff {
    let handle: OpaquePointer

    /// Diffs `old` (nil: the empty tree) against `new`. Type changes stay one delta, as in
    /// `git diff --numstat`. `paths`, when given, limits the diff to exactly those paths
    /// (not patterns): libgit2 then skips the subtrees that hold none of them, instead of
    /// walking every file of both trees.
    init(repository: Repository, old: Tree?, new: Tree, paths: [String]? = nil) throws(GitError) {
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        // The diff keeps a copy of `options`, pathspec pointers included, so the path
        // strings live as long as the diff.
        if let paths {
            precondition(!paths.isEmpty, "an empty path list would mean every path")
            options.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
            let strings = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: paths.count)
            for (i, path) in paths.enumerated() { strings[i] = strdup(path) }
            pathspec = UnsafeMutableBufferPointer(start: strings, count: paths.count)
            options.pathspec = git_strarray(strings: strings, count: paths.count)
        } else {
            pathspec = nil
        }
        var out: OpaquePointer?
        let status = git_diff_tree_to_tree(&out, repository.handle, old?.handle, new.handle, &options)
        guard status >= 0, let out else {
            Self.free(pathspec)
            try check(status, "git_diff_tree_to_tree")
            preconditionFailure("git_diff_tree_to_tree returned no diff")
        }
        handle = out
    }

    private let pathspec: UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>?

    private static func free(_ pathspec: UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>?) {
        guard let pathspec else { return }
        pathspec.forEach { Glibc.free($0) }
        pathspec.deallocate()
    }

    deinit {
        git_diff_free(handle)
        Self.free(pathspec)
    }

    var count: Int { git_diff_num_deltas(handle) }

    /// Pairs deletions and additions into renames the way git does by default:
    /// 50% similarity, renames only (no copies), at most `limit` candidates a side.
    func findRenames(limit: Int) throws(GitError) {
        var options = git_diff_find_options()
        git_diff_find_options_init(&options, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        options.flags = GIT_DIFF_FIND_RENAMES.rawValue
        options.rename_threshold = 50
        options.rename_limit = limit
        try check(git_diff_find_similar(handle, &options), "git_diff_find_similar")
    }

    func delta(at index: Int) -> Delta { Delta(git_diff_get_delta(handle, index)!.pointee) }

    /// The text diff of one delta (reads both blobs); nil when libgit2 makes none.
    func patch(at index: Int) throws(GitError) -> Patch? {
        var out: OpaquePointer?
        try check(git_patch_from_diff(&out, handle, index), "git_patch_from_diff")
        return out.map { Patch($0) }
    }
}

/// One changed path, copied out of a `git_diff_delta`.
struct Delta {
    var status: git_delta_t
    var oldPath: String
    var newPath: String
    var oldID: ObjectID
    var newID: ObjectID
    var isBinary: Bool
    var similarity: UInt16
    var oldMode: UInt32
    var newMode: UInt32

    init(_ delta: git_diff_delta) {
        status = delta.status
        similarity = delta.similarity
        oldMode = UInt32(delta.old_file.mode)
        newMode = UInt32(delta.new_file.mode)
        oldPath = delta.old_file.path.map { String(cString: $0) } ?? ""
        newPath = delta.new_file.path.map { String(cString: $0) } ?? ""
        oldID = ObjectID(delta.old_file.id)
        newID = ObjectID(delta.new_file.id)
        isBinary = delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0
    }
}

/// Owns a `git_patch`: the hunks and lines of one delta.
final class Patch {
    let handle: OpaquePointer
    /// Buffers the patch reads from (`git_patch_from_buffers` does not copy them); freed with it.
    private let buffers: [UnsafeMutableRawBufferPointer]

    init(_ handle: OpaquePointer, buffers: [UnsafeMutableRawBufferPointer] = []) {
        self.handle = handle
        self.buffers = buffers
    }

    deinit {
        git_patch_free(handle)
        buffers.forEach { $0.deallocate() }
    }

    var delta: Delta { Delta(git_patch_get_delta(handle)!.pointee) }
    var hunkCount: Int { git_patch_num_hunks(handle) }

    /// Added and deleted lines, as `git diff --numstat` counts them.
    func lineStats() throws(GitError) -> (insertions: Int, deletions: Int) {
        var context = 0, added = 0, deleted = 0
        try check(git_patch_line_stats(&context, &added, &deleted, handle), "git_patch_line_stats")
        return (added, deleted)
    }

    /// The unified diff from the first `@@` line on (no `diff --git` or `---`/`+++` header),
    /// as raw bytes.
    func hunkText() throws(GitError) -> [UInt8] {
        var buffer = git_buf()
        try check(git_patch_to_buf(&buffer, handle), "git_patch_to_buf")
        defer { git_buf_dispose(&buffer) }
        guard let start = buffer.ptr else { return [] }
        let bytes = UnsafeRawBufferPointer(start: start, count: buffer.size)
        // The header's lines never begin with "@@", so the first hunk starts the text.
        var lineStart = 0
        while lineStart < bytes.count {
            if bytes.count - lineStart >= 2, bytes[lineStart] == UInt8(ascii: "@"), bytes[lineStart + 1] == UInt8(ascii: "@") {
                return Array(bytes[lineStart...])
            }
            guard let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            lineStart = newline + 1
        }
        return []
    }
}
