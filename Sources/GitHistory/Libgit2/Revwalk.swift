import CGit2

/// Owns a `git_revwalk`: parents before children, ties broken by committer time.
final class Revwalk {
    let handle: OpaquePointer

    init(repository: Repository) throws(GitError) {
        var out: OpaquePointer?
        try check(git_revwalk_new(&out, repository.handle), "git_revwalk_new")
        handle = out!
        git_revwalk_sorting(handle, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue | GIT_SORT_REVERSE.rawValue)
    }

    deinit { git_revwalk_free(handle) }

    func push(_ id: ObjectID) throws(GitError) {
        var oid = id.oid
        try check(git_revwalk_push(handle, &oid), "git_revwalk_push(\(id))")
    }

    /// Every commit reachable from the pushed ones, in walk order.
    func all() throws(GitError) -> [ObjectID] {
        var result: [ObjectID] = []
        var oid = git_oid()
        while true {
            let status = git_revwalk_next(&oid, handle)
            if status == GIT_ITEROVER.rawValue { return result }
            try check(status, "git_revwalk_next")
            result.append(ObjectID(oid))
        }
    }
}

/// Owns a `git_mailmap`: the repository's `.mailmap` (work tree, or HEAD's in a bare one).
final class Mailmap {
    let handle: OpaquePointer

    init(repository: Repository) throws(GitError) {
        var out: OpaquePointer?
        try check(git_mailmap_from_repository(&out, repository.handle), "git_mailmap_from_repository")
        handle = out!
    }

    deinit { git_mailmap_free(handle) }

    /// The canonical email for a name and email.
    func resolveEmail(name: String, email: String) throws(GitError) -> String {
        var realName: UnsafePointer<CChar>?
        var realEmail: UnsafePointer<CChar>?
        try check(git_mailmap_resolve(&realName, &realEmail, handle, name, email), "git_mailmap_resolve")
        return realEmail.map { String(cString: $0) } ?? email
    }
}
