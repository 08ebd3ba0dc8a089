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
        // libgit2 may hand back the very pointers it was given, so the inputs must outlive the copy.
        var status: Int32 = 0
        let resolved: String? = name.withCString { namePointer in
            email.withCString { emailPointer in
                var realName: UnsafePointer<CChar>?
                var realEmail: UnsafePointer<CChar>?
                status = git_mailmap_resolve(&realName, &realEmail, handle, namePointer, emailPointer)
                return status < 0 ? nil : realEmail.map { String(cString: $0) }
            }
        }
        try check(status, "git_mailmap_resolve")
        return resolved ?? email
    }
}
