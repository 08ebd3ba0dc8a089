import CGit2

/// Counts and capped patch text of one file, from one pass over a diff.
struct FileStats {
    var insertions = 0
    var deletions = 0
    var hunks = 0
    var text: [UInt8] = []
    var truncated = false
}

extension Diff {
    /// Diffs every delta's content in one `git_diff_foreach` pass (no patch objects kept),
    /// returning one `FileStats` per delta in order. Text is kept only when `includeText`,
    /// whole lines only, at most `maxBytesPerFile` a file and `maxBytesTotal` in all;
    /// a file that hit a cap is `truncated`. Throws when a blob cannot be read.
    func collectStats(includeText: Bool, maxBytesPerFile: Int, maxBytesTotal: Int) throws(GitError) -> [FileStats] {
        let collector = StatsCollector(includeText: includeText, maxBytesPerFile: maxBytesPerFile, budget: maxBytesTotal)
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        let status = withExtendedLifetime(collector) {
            git_diff_foreach(handle, { _, _, payload in
                StatsCollector.from(payload).startFile()
                return 0
            }, nil, { _, hunk, payload in
                let collector = StatsCollector.from(payload)
                collector.files[collector.files.count - 1].hunks += 1
                if collector.includeText, let hunk {
                    withUnsafeBytes(of: hunk.pointee.header) { header in
                        collector.append(prefix: nil, UnsafeRawBufferPointer(rebasing: header[..<min(hunk.pointee.header_len, header.count)]))
                    }
                }
                return 0
            }, { _, _, line, payload in
                guard let line = line?.pointee else { return 0 }
                let collector = StatsCollector.from(payload)
                let origin = UInt8(bitPattern: line.origin)
                switch origin {
                case UInt8(ascii: "+"): collector.files[collector.files.count - 1].insertions += 1
                case UInt8(ascii: "-"): collector.files[collector.files.count - 1].deletions += 1
                default: break
                }
                if collector.includeText {
                    let content = UnsafeRawBufferPointer(start: line.content, count: line.content_len)
                    let isLine = origin == UInt8(ascii: "+") || origin == UInt8(ascii: "-") || origin == UInt8(ascii: " ")
                    collector.append(prefix: isLine ? origin : nil, content)  // "\ No newline" markers carry their own text
                }
                return 0
            }, payload)
        }
        try check(status, "git_diff_foreach")
        return collector.files
    }
}

/// The mutable state of `collectStats`, reached from libgit2's C callbacks through the payload.
private final class StatsCollector {
    var files: [FileStats] = []
    let includeText: Bool
    let maxBytesPerFile: Int
    var budget: Int
    private var stopped = false

    init(includeText: Bool, maxBytesPerFile: Int, budget: Int) {
        self.includeText = includeText
        self.maxBytesPerFile = maxBytesPerFile
        self.budget = budget
    }

    static func from(_ payload: UnsafeMutableRawPointer?) -> StatsCollector {
        Unmanaged<StatsCollector>.fromOpaque(payload!).takeUnretainedValue()
    }

    func startFile() {
        files.append(FileStats())
        stopped = false
    }

    /// Appends one whole line, or stops this file's text for good when it would not fit.
    func append(prefix: UInt8?, _ bytes: UnsafeRawBufferPointer) {
        guard !stopped else { return }
        let size = bytes.count + (prefix == nil ? 0 : 1)
        let last = files.count - 1
        guard files[last].text.count + size <= maxBytesPerFile, size <= budget else {
            stopped = true
            files[last].truncated = true
            return
        }
        if let prefix { files[last].text.append(prefix) }
        files[last].text.append(contentsOf: bytes)
        budget -= size
    }
}
