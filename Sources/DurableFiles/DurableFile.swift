import Foundation

/// Files that appear complete or not at all, and stay on disk once they have appeared.
///
/// Everything is written under a temporary name beside its target (`.NAME.partial-PID`),
/// synced, renamed into place (rename(2) replaces a file atomically: a reader sees the old
/// file or the new one), and then the directory that holds it is synced, so the rename
/// itself survives a power loss. A process that dies mid-write leaves only its temporary,
/// which `removeDebris(in:)` clears once that process is gone.
///
///     try DurableFile.write(Data("{}".utf8), to: url)
///     try DurableFile.write(to: url) { handle in try handle.write(contentsOf: chunk) }
///     try DurableFile.writeDirectory(at: dir) { tmp in /* fill tmp */ }
///     try DurableFile.link(out.appendingPathComponent("best"), to: "step-000100")
///
/// What it leaves out: locking. Two processes writing one target race; the last rename wins.
public enum DurableFile {
    /// The temporary name of `url` for this process: a hidden sibling, so a listing of the
    /// directory never shows a half-written file under a real name.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(debrisMarker)\(getpid())")
    }

    /// Writes `data` to `url` durably, replacing any file there.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { handle in try handle.write(contentsOf: data) }
    }

    /// Writes `url` durably through `body`, which writes the whole content into the handle
    /// (for contents produced in pieces). When `body` throws, nothing is renamed, the
    /// temporary is removed, and its error is rethrown as is.
    public static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let tmp = temporaryURL(for: url)
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw DurableFileError(path: tmp.path, operation: "create", errno: errno,
                                   fix: "check that \(url.deletingLastPathComponent().path) exists and is writable")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try body(handle)
            guard fsync(fd) == 0 else { throw DurableFileError(path: tmp.path, operation: "sync", errno: errno) }
            try handle.close()
            try moveIntoPlace(tmp, url)
        } catch {
            try? handle.close()
            unlink(tmp.path)
            throw error
        }
        try syncDirectory(of: url)
    }

    /// Renames `tmp` over `target` (same directory), replacing a file or a symbolic link there.
    static func moveIntoPlace(_ tmp: URL, _ target: URL) throws {
        guard rename(tmp.path, target.path) == 0 else {
            throw DurableFileError(path: target.path, operation: "rename \(tmp.lastPathComponent) to", errno: errno)
        }
    }
}
