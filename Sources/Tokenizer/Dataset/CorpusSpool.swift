import DurableFiles
import Foundation

/// The rendered texts of the dataset's records, written once (the first pass, which parses
/// and renders) and read back by the later passes (training's word counts, encoding), so
/// that no pass holds the corpus in memory. A temporary file beside the outputs, named as
/// `DurableFile` names its temporaries (`.corpus.partial-PID`): `remove()` deletes it, and a
/// killed process's spool is debris `DurableFile.removeDebris` clears. Each record is a
/// UInt32 little-endian byte count, then its UTF-8.
final class CorpusSpool {
    let url: URL
    private let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var records = 0
    private(set) var textBytes = 0

    /// Creates the spool in `directory` (which must exist).
    init(directory: URL) throws {
        url = DurableFile.temporaryURL(for: directory.appendingPathComponent("corpus"))
        fd = open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TokenizerError("cannot create \(url.path): \(String(cString: strerror(errno))). Check that \(directory.path) is writable.")
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(fd) }

    /// Deletes the file.
    func remove() { unlink(url.path) }

    /// Appends one record's text.
    func append(_ text: UnsafeBufferPointer<UInt8>) throws {
        precondition(text.count <= Int(UInt32.max), "a record's text is over 4 GiB")
        withUnsafeBytes(of: UInt32(text.count).littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: text)
        records += 1
        textBytes += text.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes what is buffered; call once the last record is appended, before reading.
    func flush() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 else {
                throw TokenizerError("cannot write \(url.path): \(String(cString: strerror(errno))). Free some disk space: tokenizing spools the rendered records beside the outputs.")
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The records from the first, in batches of about `batchBytes`; `TextBatch.first` is
    /// the index of the batch's first record. Each call reads the file from its start.
    func read(batchBytes: Int = 8 << 20, _ body: (TextBatch) throws -> Void) throws {
        try flush()
        var pending: [UInt8] = []  // read, not yet handed out; starts at a record
        var fileOffset = 0
        var atEnd = false
        func fill(to target: Int) throws {
            while !atEnd && pending.count < target {
                let start = pending.count, want = max(target - start, 1 << 16)
                pending += [UInt8](repeating: 0, count: want)  // a memset, where appending a repeatElement goes byte by byte
                let n = pending.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + start, want, off_t(fileOffset)) }
                guard n >= 0 else { throw TokenizerError("cannot read \(url.path): \(String(cString: strerror(errno))).") }
                pending.removeLast(want - n)
                fileOffset += n
                atEnd = n == 0
            }
        }
        let truncated = TokenizerError("\(url.path) ends inside a record: something changed it while BlockLab read it. Run again.")
        var index = 0
        while true {
            try fill(to: batchBytes)
            if pending.isEmpty { return }
            var ranges: [Range<Int>] = []
            var at = 0
            while at + 4 <= pending.count && at < batchBytes {
                let length = Int(UInt32(littleEndian: pending.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }))
                if at + 4 + length > pending.count {
                    guard ranges.isEmpty else { break }
                    try fill(to: at + 4 + length)  // one record longer than a batch
                    guard at + 4 + length <= pending.count else { throw truncated }
                }
                ranges.append(at + 4..<at + 4 + length)
                at += 4 + length
            }
            guard !ranges.isEmpty else { throw truncated }
            let batch = TextBatch(bytes: Array(pending[..<at]), ranges: ranges, first: index)
            pending.removeFirst(at)
            index += ranges.count
            try body(batch)
        }
    }
}
