import Foundation

/// Reads a text file as batches of whole lines, about `batchBytes` at a time, so a file of
/// any size is read in bounded memory (a line longer than a batch comes whole, alone).
/// Lines are cut at "\n" bytes, without it; line numbers (`TextBatch.first`) count from 1.
/// Reads with read(2), not a memory map: the mapped pages of a large input would count in
/// the process's RSS.
///
///     let reader = try LineBatchReader(path: "commits.jsonl", missing: TokenizerError("..."))
///     while let batch = try reader.next() { for k in 0..<batch.count { batch.withText(k) { ... } } }
final class LineBatchReader {
    let path: String
    let batchBytes: Int
    private let fd: Int32
    private var carry: [UInt8] = []  // the bytes after the last "\n" read so far
    private var atEnd = false
    private var nextLineNumber = 1

    /// Opens `path`; throws `missing` when it is not a file that can be read.
    init(path: String, batchBytes: Int = 4 << 20, missing: @autoclosure () -> TokenizerError) throws {
        self.path = path
        self.batchBytes = max(1, batchBytes)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw missing() }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else {
            close(fd)
            throw missing()
        }
    }

    deinit { close(fd) }

    /// The next lines, or nil after the last. A file that does not end in "\n" still gives
    /// its last line; one that does gives no empty line after it.
    func next() throws -> TextBatch? {
        var bytes = carry
        carry = []
        var searched = 0
        var cut = -1  // the index of the last "\n" read
        while !atEnd && (cut < 0 || bytes.count < batchBytes) {
            let start = bytes.count
            let want = max(batchBytes - start, 1 << 16)
            bytes += [UInt8](repeating: 0, count: want)  // a memset, where appending a repeatElement goes byte by byte
            let n = bytes.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + start, want) }
            guard n >= 0 else {
                throw TokenizerError("cannot read \(path): \(String(cString: strerror(errno))). Check the file and its permissions.")
            }
            bytes.removeLast(want - n)
            if n == 0 { atEnd = true }
            if let last = Self.lastNewline(bytes, from: searched) { cut = last }
            searched = bytes.count
        }
        let end = atEnd ? bytes.count : cut + 1
        guard end > 0 else { return nil }
        if end < bytes.count {
            carry = Array(bytes[end...])
            bytes.removeLast(bytes.count - end)
        }
        var ranges: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            var start = 0
            while start < buffer.count {
                let found = memchr(base + start, 0x0A, buffer.count - start)
                let stop = found.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? buffer.count
                ranges.append(start..<stop)
                start = stop + 1
            }
        }
        defer { nextLineNumber += ranges.count }
        return TextBatch(bytes: bytes, ranges: ranges, first: nextLineNumber)
    }

    /// The index of the last "\n" at or after `from`, if any (memrchr is a GNU extension).
    private static func lastNewline(_ bytes: [UInt8], from: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            var i = buffer.count - 1
            while i >= from {
                if buffer[i] == 0x0A { return i }
                i -= 1
            }
            return nil
        }
    }
}
