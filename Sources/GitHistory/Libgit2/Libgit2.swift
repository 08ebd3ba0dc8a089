import CGit2

/// libgit2's process-wide state: initialised once, on first use, and never shut down
/// (handles may be freed by `deinit` at any point until the process exits).
enum Libgit2 {
    /// Touch before any other libgit2 call; `static let` makes the initialisation run once.
    static let ready: Void = {
        let count = git_libgit2_init()
        precondition(count > 0, "git_libgit2_init failed")
        _ = cgit2_set_strict_hash_verification(0)
        _ = cgit2_set_cache_max_size(128 << 20)
        _ = cgit2_set_cache_object_limit(GIT_OBJECT_BLOB, 256 << 10)
    }()
}

/// A libgit2 call that returned an error status, with libgit2's own message.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// The libgit2 function that failed, e.g. `git_commit_lookup`.
    public var call: String
    /// libgit2's status code (`git_error_code`, e.g. -3 for GIT_ENOTFOUND).
    public var code: Int32
    /// libgit2's message from `git_error_last()`.
    public var message: String

    public var description: String { "\(call): \(message)" }
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
}

/// The one place where a libgit2 status code becomes a Swift error.
@discardableResult
func check(_ status: Int32, _ call: @autoclosure () -> String) throws(GitError) -> Int32 {
    guard status < 0 else { return status }
    var message = "error \(status)"
    if let last = git_error_last(), let text = last.pointee.message {
        message = String(cString: text)
    }
    throw GitError(call: call(), code: status, message: message)
}
