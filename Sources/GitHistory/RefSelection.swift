import Glibc

/// Which references a scrape or an analysis starts from.
public enum RefSelection: Sendable, Equatable, CustomStringConvertible {
    /// Local branches and tags (the default).
    case heads
    /// Every reference: branches, tags, remotes, `refs/pull/*`, notes, stash.
    case all
    /// References whose full name matches one of these `fnmatch` patterns. A pattern that
    /// does not start with `refs/` is also tried under `refs/heads/`, `refs/tags/` and
    /// `refs/remotes/` (so `main` and `release/*` work).
    case globs([String])

    /// `heads`, `all`, or comma-separated globs.
    public init(argument: String) {
        switch argument {
        case "heads": self = .heads
        case "all": self = .all
        default: self = .globs(argument.split(separator: ",").map { String($0) })
        }
    }

    public var description: String {
        switch self {
        case .heads: return "heads"
        case .all: return "all"
        case .globs(let patterns): return patterns.joined(separator: ",")
        }
    }

    func matches(_ name: String) -> Bool {
        switch self {
        case .heads:
            return name.hasPrefix("refs/heads/") || name.hasPrefix("refs/tags/")
        case .all:
            return name.hasPrefix("refs/")
        case .globs(let patterns):
            return patterns.contains { pattern in
                let candidates = pattern.hasPrefix("refs/") ? [pattern]
                    : [pattern, "refs/heads/" + pattern, "refs/tags/" + pattern, "refs/remotes/" + pattern]
                return candidates.contains { fnmatch($0, name, 0) == 0 }
            }
        }
    }
}
