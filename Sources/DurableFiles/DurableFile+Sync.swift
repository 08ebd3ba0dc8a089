import Foundation

extension DurableFile {
    /// Pushes a file, or a directory and every file and directory under it, to stable
    /// storage. Throws when `path` does not exist or the system refuses.
    public static func sync(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DurableFileError(path: path, operation: "sync", errno: ENOENT)
        }
        if isDirectory.boolValue {
            for relative in FileManager.default.subpaths(atPath: path) ?? [] {
                try syncOne(path + "/" + relative)
            }
        }
        try syncOne(path)
    }

    /// Syncs the directory that holds `url`, so a rename or a new entry in it is durable.
    static func syncDirectory(of url: URL) throws {
        try syncOne(url.deletingLastPathComponent().path)
    }

    /// fsync(2) of one file or directory. Symbolic links are not followed (a link's target
    /// is synced where it lives); file systems that cannot sync (EINVAL, EROFS) are accepted.
    private static func syncOne(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw DurableFileError(path: path, operation: "sync", errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFLNK { return }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFileError(path: path, operation: "open for syncing", errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw DurableFileError(path: path, operation: "sync", errno: errno, fix: "check the disk (full, or failing)")
        }
    }
}
