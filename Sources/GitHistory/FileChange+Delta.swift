import CGit2

extension FileChange {
    init(_ delta: Delta) {
        let type: String
        switch delta.status {
        case GIT_DELTA_ADDED: type = "ADD"
        case GIT_DELTA_DELETED: type = "DELETE"
        case GIT_DELTA_RENAMED: type = "RENAME"
        case GIT_DELTA_COPIED: type = "COPY"
        case GIT_DELTA_TYPECHANGE: type = "TYPE_CHANGE"
        default: type = "MODIFY"
        }
        let moved = delta.status == GIT_DELTA_RENAMED || delta.status == GIT_DELTA_COPIED
        self.init(path: delta.status == GIT_DELTA_DELETED ? delta.oldPath : delta.newPath,
                  originalPath: moved ? delta.oldPath : nil, changeType: type,
                  similarity: moved ? Int(delta.similarity) : nil,
                  insertions: nil, deletions: nil, hunks: 0, isBinary: delta.isBinary,
                  diffText: "", truncated: false, error: nil)
    }
}
