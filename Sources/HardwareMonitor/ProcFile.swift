import Foundation

/// Reads a file under /proc or /sys whole. Such files report a size of 0, so they are read
/// until the end: a read sized by `stat` (as `String(contentsOfFile:)` may do) can return
/// part of the file or nothing.
enum ProcFile {
    static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
