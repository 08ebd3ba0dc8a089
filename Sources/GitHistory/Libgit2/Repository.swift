import CGit2
import Foundation

/// Owns one `git_repository` handle. Not shared between threads: each worker opens its own.
final class Repository {
    let handle: OpaquePointer
    /// The path the repository was opened from, as given.
    let path: String

    /// Opens the repository at `path` exactly (a work tree, its `.git` folder, or a bare
    /// repository); parent folders are not searched.
    init(path: String) throws(GitHistoryError) {
        Libgit2.ready
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingPath(path)
        }
        guard isDirectory.boolValue else { throw .notARepository(path, detail: "it is a file") }
        var repo: OpaquePointer?
        do {
            try check(git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil),
                      "git_repository_open_ext")
        } catch {
            throw .notARepository(path, detail: error.message)
        }
        self.handle = repo!
        self.path = path
    }

    deinit { git_repository_free(handle) }

    var isBare: Bool { git_repository_is_bare(handle) == 1 }
    var isEmpty: Bool { git_repository_is_empty(handle) == 1 }
    var isShallow: Bool { git_repository_is_shallow(handle) == 1 }
    /// The work tree, nil for a bare repository.
    var workdir: String? { git_repository_workdir(handle).map { String(cString: $0) } }

    func commit(_ id: ObjectID) throws(GitError) -> Commit {
        var oid = id.oid
        var out: OpaquePointer?
        try check(git_commit_lookup(&out, handle, &oid), "git_commit_lookup(\(id))")
        return Commit(out!)
    }

    func tree(_ id: ObjectID) throws(GitError) -> Tree {
        var oid = id.oid
        var out: OpaquePointer?
        try check(git_tree_lookup(&out, handle, &oid), "git_tree_lookup(\(id))")
        return Tree(out!)
    }

    func blob(_ id: ObjectID) throws(GitError) -> Blob {
        var oid = id.oid
        var out: OpaquePointer?
        try check(git_blob_lookup(&out, handle, &oid), "git_blob_lookup(\(id))")
        return Blob(out!)
    }

    /// Every reference name (`refs/heads/main`, `refs/tags/v1`, ...), sorted.
    func referenceNames() throws(GitError) -> [String] {
        var array = git_strarray()
        try check(git_reference_list(&array, handle), "git_reference_list")
        defer { git_strarray_dispose(&array) }
        return (0..<array.count).compactMap { array.strings[$0].map { String(cString: $0) } }.sorted()
    }

    /// The commit a reference finally points at (through symbolic refs and annotated tags);
    /// nil when it points at a tree or a blob.
    func peeledCommit(ofReference name: String) throws(GitError) -> ObjectID? {
        var out: OpaquePointer?
        try check(git_reference_lookup(&out, handle, name), "git_reference_lookup(\(name))")
        return try Reference(out!).peeledCommit(mustBeCommit: false)
    }

    /// The commit HEAD points at; nil when HEAD is unborn.
    func headCommit() throws(GitError) -> ObjectID? {
        var out: OpaquePointer?
        let status = git_repository_head(&out, handle)
        if status == GIT_EUNBORNBRANCH.rawValue || status == GIT_ENOTFOUND.rawValue { return nil }
        try check(status, "git_repository_head")
        return try Reference(out!).peeledCommit(mustBeCommit: true)
    }

    /// The commit an abbreviated or full hex id names; nil when it names no commit or is ambiguous.
    func resolveCommitPrefix(_ hex: Substring) -> ObjectID? {
        var oid = git_oid()
        let count = hex.utf8.count
        guard count >= 4, count <= 40, git_oid_fromstrn(&oid, String(hex), count) == 0 else { return nil }
        var out: OpaquePointer?
        guard git_object_lookup_prefix(&out, handle, &oid, count, GIT_OBJECT_COMMIT) == 0 else {
            git_error_clear()
            return nil
        }
        return GitObject(out!).id
    }

    func mergeBase(_ a: ObjectID, _ b: ObjectID) throws(GitError) -> ObjectID? {
        var x = a.oid, y = b.oid, out = git_oid()
        let status = git_merge_base(&out, handle, &x, &y)
        if status == GIT_ENOTFOUND.rawValue { return nil }
        try check(status, "git_merge_base(\(a), \(b))")
        return ObjectID(out)
    }

    /// The text diff across a type change (file, symlink or submodule on either side), as
    /// git makes it: a submodule reads as the line "Subproject commit <hash>".
    func typeChangePatch(_ delta: Delta) throws(GitError) -> Patch? {
        // The patch points into both buffers until it is freed, so it owns copies of them.
        func content(_ id: ObjectID, _ mode: UInt32) throws(GitError) -> UnsafeMutableRawBufferPointer {
            let copy = { (bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawBufferPointer in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
                buffer.copyMemory(from: bytes)
                return UnsafeMutableRawBufferPointer(rebasing: buffer[..<bytes.count])
            }
            if mode == GIT_FILEMODE_COMMIT.rawValue {
                return Array("Subproject commit \(id.hex)\n".utf8).withUnsafeBytes(copy)
            }
            return try blob(id).withBytes(copy)
        }
        let old = try content(delta.oldID, delta.oldMode)
        let new: UnsafeMutableRawBufferPointer
        do { new = try content(delta.newID, delta.newMode) } catch { old.deallocate(); throw error }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        var out: OpaquePointer?
        let status = git_patch_from_buffers(&out, old.baseAddress, old.count, delta.oldPath,
                                            new.baseAddress, new.count, delta.newPath, &options)
        guard status >= 0, let out else {
            old.deallocate(); new.deallocate()
            try check(status, "git_patch_from_buffers(\(delta.oldID), \(delta.newID))")
            return nil
        }
        return Patch(out, buffers: [old, new])
    }
}

/// Owns a `git_reference`.
final class Reference {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_reference_free(handle) }

    /// The commit behind the reference; nil when it leads to a tree or blob, unless
    /// `mustBeCommit`, which makes that an error.
    func peeledCommit(mustBeCommit: Bool) throws(GitError) -> ObjectID? {
        var out: OpaquePointer?
        let status = git_reference_peel(&out, handle, GIT_OBJECT_COMMIT)
        if !mustBeCommit, status == GIT_EPEEL.rawValue || status == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(status, "git_reference_peel(\(String(cString: git_reference_name(handle))))")
        return GitObject(out!).id
    }
}

/// Owns a `git_object` of any type.
final class GitObject {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_object_free(handle) }

    var id: ObjectID { ObjectID(git_object_id(handle)!) }
}
