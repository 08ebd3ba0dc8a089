/// Splits a byte stream fed in chunks into lines (LF-separated; a CR before the LF is
/// dropped). Bytes that are not UTF-8 are decoded with replacement characters.
struct LineSplitter {
    private var carry: [UInt8] = []

    /// Calls `body` with each complete line in `chunk`, keeping the unfinished end for later.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Substring) -> Void) {
        var start = 0
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            if carry.isEmpty {
                body(Self.line(UnsafeRawBufferPointer(rebasing: chunk[start..<newline])))
            } else {
                carry.append(contentsOf: chunk[start..<newline])
                carry.withUnsafeBytes { body(Self.line($0)) }
                carry.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        carry.append(contentsOf: chunk[start...])
    }

    /// Calls `body` with the last line if the stream did not end with a newline.
    mutating func finish(_ body: (Substring) -> Void) {
        guard !carry.isEmpty else { return }
        carry.withUnsafeBytes { body(Self.line($0)) }
        carry.removeAll()
    }

    private static func line(_ bytes: UnsafeRawBufferPointer) -> Substring {
        var text = String(decoding: bytes, as: UTF8.self)[...]
        if text.hasSuffix("\r") { text = text.dropLast() }
        return text
    }
}
