/// Splits a byte stream fed in chunks into lines (LF-separated; a CR before the LF is
/// dropped), as raw bytes: a line is decoded (or passed on byte for byte) by its reader.
///
/// A line is kept in memory until its LF arrives, up to `maxLineBytes`: a longer one is
/// given as `.tooLong` once, and its bytes up to the next LF are dropped as they come, so
/// a writer that never ends its line costs at most that much memory.
struct LineSplitter {
    /// The longest line kept: 16 MiB, far above any JSON record people log.
    static let defaultMaxLineBytes = 16 << 20

    enum Line {
        /// A whole line, without its LF (and the CR before it).
        case bytes(UnsafeRawBufferPointer)
        /// A line that passed the limit; the rest of it is dropped.
        case tooLong
    }

    let maxLineBytes: Int
    private var carry: [UInt8] = []
    /// Dropping the rest of a line already given as `.tooLong`.
    private var dropping = false

    init(maxLineBytes: Int = Self.defaultMaxLineBytes) { self.maxLineBytes = maxLineBytes }

    /// Calls `body` with each complete line in `chunk`, keeping the unfinished end for later.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Line) -> Void) {
        var start = 0
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            if dropping {
                dropping = false
            } else if carry.isEmpty {
                if newline - start > maxLineBytes { body(.tooLong) } else {
                    body(Self.line(UnsafeRawBufferPointer(rebasing: chunk[start..<newline])))
                }
            } else if carry.count + (newline - start) > maxLineBytes {
                carry.removeAll()
                body(.tooLong)
            } else {
                carry.append(contentsOf: chunk[start..<newline])
                carry.withUnsafeBytes { body(Self.line($0)) }
                carry.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        guard !dropping else { return }
        if carry.count + (chunk.count - start) > maxLineBytes {
            carry = []
            dropping = true
            body(.tooLong)
        } else {
            carry.append(contentsOf: chunk[start...])
        }
    }

    /// Calls `body` with the last line if the stream did not end with a newline.
    mutating func finish(_ body: (Line) -> Void) {
        guard !carry.isEmpty, !dropping else { return }
        carry.withUnsafeBytes { body(Self.line($0)) }
        carry.removeAll()
    }

    private static func line(_ bytes: UnsafeRawBufferPointer) -> Line {
        .bytes(bytes.last == 0x0D ? UnsafeRawBufferPointer(rebasing: bytes.dropLast()) : bytes)
    }
}
