/// Errors a user can cause, each naming the problem and the fix.
public enum GitHistoryError: Error, CustomStringConvertible, Sendable {
    case missingPath(String)
    case notARepository(String, detail: String)
    case emptyRepository(String)
    case noMatchingRefs(String, available: [String])
    case git(GitError)
    case output(String)

    public var description: String {
        switch self {
        case .missingPath(let path):
            return "\(path) does not exist; pass --repo with the path of a git repository"
        case .notARepository(let path, let detail):
            return "\(path) is not a git repository (\(detail)); pass --repo with a repository's top folder, its .git folder, or a bare repository"
        case .emptyRepository(let path):
            return "\(path) has no commits yet; commit something first, or choose another repository"
        case .noMatchingRefs(let selection, let available):
            let shown = available.prefix(10).joined(separator: ", ")
            return "--refs \(selection) matches no reference that points at a commit; use heads, all, or a glob such as refs/heads/* (refs here: \(shown.isEmpty ? "none" : shown)\(available.count > 10 ? ", ..." : ""))"
        case .git(let error):
            return "libgit2: \(error)"
        case .output(let message):
            return message
        }
    }
}
