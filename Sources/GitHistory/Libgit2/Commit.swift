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

extension Commit {
    /// The shortest unique abbreviation (at least `core.abbrev`, 7 by default).
    func shortID() throws(GitError) -> String {
        var buffer = git_buf()
        try check(git_object_short_id(&buffer, handle), "git_object_short_id(\(id))")
        defer { git_buf_dispose(&buffer) }
        return String(cString: buffer.ptr)
    }
}

/// The bytes of a C string, without the NUL, whatever their encoding.
func cStringBytes(_ text: UnsafePointer<CChar>) -> [UInt8] {
    UnsafeRawBufferPointer(start: text, count: strlen(text)).map { $0 }
}
