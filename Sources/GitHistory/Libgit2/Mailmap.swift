import CGit2

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
