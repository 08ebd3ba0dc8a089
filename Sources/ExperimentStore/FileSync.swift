import Foundation

/// Pushes a file, or every file under a directory, to stable storage before the store
/// records it, so a checkpoint row never points at a file a crash could still lose.
enum FileSync {
    static func sync(path: String, what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError.fileMissing(path: path, what: what)
        }
        if isDirectory.boolValue {
            for relative in FileManager.default.subpaths(atPath: path) ?? [] {
                var dir: ObjCBool = false
                let full = path + "/" + relative
                if FileManager.default.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue {
                    try syncOne(full)
                }
            }
        }
        try syncOne(path)
    }

    private static func syncOne(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.fileMissing(path: path, what: "file") }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw StoreError.invalid("could not sync \(path) to disk: \(String(cString: strerror(errno)))")
        }
    }
}
