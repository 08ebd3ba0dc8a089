import Foundation

extension DurableFile {
    /// Points the symbolic link `url` at `target` (a path relative to the link's directory,
    /// usually a sibling's name) atomically: a reader finds the old target or the new one,
    /// never no link. A real directory at `url` (an older layout) is removed first.
    public static func link(_ url: URL, to target: String) throws {
        let tmp = temporaryURL(for: url)
        unlink(tmp.path)   // this process's own, from a failed try
        guard symlink(target, tmp.path) == 0 else {
            throw DurableFileError(path: tmp.path, operation: "create the link", errno: errno,
                                   fix: "check that \(url.deletingLastPathComponent().path) exists and is writable")
        }
        if rename(tmp.path, url.path) != 0 {
            // rename(2) does not replace a directory with a link.
            do {
                try FileManager.default.removeItem(at: url)
                try moveIntoPlace(tmp, url)
            } catch {
                unlink(tmp.path)
                throw error
            }
        }
        try syncDirectory(of: url)
    }
}
