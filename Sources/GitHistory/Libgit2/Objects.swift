import CGit2
import Glibc

/// Owns a `git_commit`. Its accessors return pointers into the commit, valid while it lives.
final class Commit {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_commit_free(handle) }

    var id: ObjectID { ObjectID(git_commit_id(handle)!) }
    var treeID: ObjectID { ObjectID(git_commit_tree_id(handle)!) }
    var parentIDs: [ObjectID] {
        (0..<git_commit_parentcount(handle)).map { ObjectID(git_commit_parent_id(handle, $0)!) }
    }
    var author: Signature { Signature(git_commit_author(handle)!.pointee) }
    var committer: Signature { Signature(git_commit_committer(handle)!.pointee) }
    /// The raw message bytes (leading blank lines removed), in `messageEncoding`.
    var messageBytes: [UInt8] {
        git_commit_message(handle).map(cStringBytes) ?? []
    }
    /// The `encoding` header; nil means UTF-8.
    var messageEncoding: String? { git_commit_message_encoding(handle).map { String(cString: $0) } }
    /// Committer time, seconds since the epoch.
    var time: Int64 { git_commit_time(handle) }

    func tree() throws(GitError) -> Tree {
        var out: OpaquePointer?
        try check(git_commit_tree(&out, handle), "git_commit_tree(\(id))")
        return Tree(out!)
    }
}

/// An author or committer, copied out of a `git_signature`.
struct Signature {
    var nameBytes: [UInt8]
    var emailBytes: [UInt8]
    var time: Int64
    var offsetMinutes: Int

    init(_ signature: git_signature) {
        nameBytes = cStringBytes(signature.name)
        emailBytes = cStringBytes(signature.email)
        time = signature.when.time
        offsetMinutes = Int(signature.when.offset)
    }
}

/// Owns a `git_tree`.
final class Tree {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_tree_free(handle) }
}

/// Owns a `git_blob`.
final class Blob {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_blob_free(handle) }

    var size: Int { Int(git_blob_rawsize(handle)) }
    /// libgit2's heuristic, the same as git's: a NUL byte or too many non-printables early on.
    var isBinary: Bool { git_blob_is_binary(handle) == 1 }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: git_blob_rawcontent(handle), count: size))
    }
}

extension Commit {
    /// The shortest unique abbreviation (at least `core.abbrev`, 7 by default).
    func shortID() throws(GitError) -> String {
        var buffer = git_buf()
        try check(git_object_short_id(&buffer, handle), "git_object_short_id(\(id))")
        defer { git_buf_dispose(&buffer) }
        return String(cString: buffer.ptr)
    }
}

extension Tree {
    /// One entry, copied out.
    struct Entry {
        var name: String
        var id: ObjectID
        var type: git_object_t
        var mode: git_filemode_t

        init(_ entry: OpaquePointer) {
            name = String(cString: git_tree_entry_name(entry))
            id = ObjectID(git_tree_entry_id(entry)!)
            type = git_tree_entry_type(entry)
            mode = git_tree_entry_filemode(entry)
        }
    }

    /// The entries in git's order (by name).
    var entries: [Entry] {
        (0..<git_tree_entrycount(handle)).map { Entry(git_tree_entry_byindex(handle, $0)!) }
    }
}

/// The bytes of a C string, without the NUL, whatever their encoding.
func cStringBytes(_ text: UnsafePointer<CChar>) -> [UInt8] {
    UnsafeRawBufferPointer(start: text, count: strlen(text)).map { $0 }
}

extension Repository {
    /// The paths whose entries differ between two trees (nil: the empty tree), found by
    /// descending only into subtrees whose ids differ, the way git's tree diff does. Files,
    /// symlinks and submodules are listed, never folders; a mode change counts as a change.
    func changedPaths(from old: Tree?, to new: Tree) throws(GitError) -> [String] {
        var paths: [String] = []
        try collectChanges(old, new, prefix: "", into: &paths)
        return paths
    }

    private func collectChanges(_ old: Tree?, _ new: Tree?, prefix: String, into paths: inout [String]) throws(GitError) {
        // Entries are compared in place (libgit2 pointers, a binary search by name); a path
        // String is made only for what changed.
        if let new {
            for index in 0..<git_tree_entrycount(new.handle) {
                let entry = git_tree_entry_byindex(new.handle, index)!
                let name = git_tree_entry_name(entry)!
                guard let before = old.flatMap({ git_tree_entry_byname($0.handle, name) }) else {
                    try addSide(Tree.Entry(entry), prefix + String(cString: name), old: false, into: &paths)
                    continue
                }
                if git_oid_equal(git_tree_entry_id(before), git_tree_entry_id(entry)) == 1,
                   git_tree_entry_filemode_raw(before) == git_tree_entry_filemode_raw(entry) { continue }
                let path = prefix + String(cString: name)
                let wasTree = git_tree_entry_type(before) == GIT_OBJECT_TREE
                let isTree = git_tree_entry_type(entry) == GIT_OBJECT_TREE
                if wasTree && isTree {
                    try collectChanges(try tree(ObjectID(git_tree_entry_id(before)!)), try tree(ObjectID(git_tree_entry_id(entry)!)),
                                       prefix: path + "/", into: &paths)
                } else {
                    if wasTree { try addSide(Tree.Entry(before), path, old: true, into: &paths) } else { paths.append(path) }
                    if isTree { try addSide(Tree.Entry(entry), path, old: false, into: &paths) } else if wasTree { paths.append(path) }
                }
            }
        }
        if let old {
            for index in 0..<git_tree_entrycount(old.handle) {
                let entry = git_tree_entry_byindex(old.handle, index)!
                if let new, git_tree_entry_byname(new.handle, git_tree_entry_name(entry)) != nil { continue }
                try addSide(Tree.Entry(entry), prefix + String(cString: git_tree_entry_name(entry)), old: true, into: &paths)
            }
        }
    }

    /// An entry present on one side only: itself, or every file under it.
    private func addSide(_ entry: Tree.Entry, _ path: String, old: Bool, into paths: inout [String]) throws(GitError) {
        guard entry.type == GIT_OBJECT_TREE else { paths.append(path); return }
        let subtree = try tree(entry.id)
        try collectChanges(old ? subtree : nil, old ? nil : subtree, prefix: path + "/", into: &paths)
    }
}
