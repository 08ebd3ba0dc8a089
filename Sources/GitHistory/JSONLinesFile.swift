import DurableFiles
import Foundation

/// A JSON Lines file written through a 1 MiB buffer. It appears complete or not at all
/// (`DurableFile`: a temporary beside it, synced, renamed into place); when the body throws,
/// an older file there stays as it was.
final class JSONLinesFile {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var bytesWritten = 0

    private init(handle: FileHandle) { self.handle = handle }

    static func write(_ url: URL, _ body: (JSONLinesFile) throws(GitHistoryError) -> Void) throws(GitHistoryError) {
        do {
            try DurableFile.write(to: url) { handle in
                let file = JSONLinesFile(handle: handle)
                try body(file)
                try file.flush()
            }
        } catch let error as GitHistoryError {
            throw error
        } catch let error as DurableFileError {
            throw .output("\(error)")
        } catch {
            throw .output("writing \(url.path): \(error.localizedDescription)")
        }
    }

    func append(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
