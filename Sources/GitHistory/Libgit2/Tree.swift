import CGit2

/// Owns a `git_tree`.
final class Tree {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_tree_free(handle) }
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
