import Foundation

extension DurableFile {
    /// Builds the directory `url` durably: `body` fills a temporary directory beside it;
    /// every file in it and the directory itself are synced; a directory already at `url`
    /// is removed; the temporary is renamed into place and the parent synced. When `body`
    /// throws, the temporary is removed, `url` is left as it was, and the error is rethrown.
    ///
    /// Replacing an existing directory is not atomic (rename(2) cannot replace a non-empty
    /// directory): between the removal and the rename, `url` is absent.
    public static func writeDirectory(at url: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tmp = temporaryURL(for: url)
        if fm.fileExists(atPath: tmp.path) { try fm.removeItem(at: tmp) }   // this process's own, from a failed try
        try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
        do {
            try body(tmp)
            try sync(path: tmp.path)
            if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
            try moveIntoPlace(tmp, url)
        } catch {
            try? fm.removeItem(at: tmp)
            throw error
        }
        try syncDirectory(of: url)
    }
}
