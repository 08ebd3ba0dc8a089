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
        // The callbacks run once per line: their state sits behind a plain pointer (no
        // reference counting, no dynamic exclusivity checks on the hot path).
        let state = UnsafeMutablePointer<StatsState>.allocate(capacity: 1)
        state.initialize(to: StatsState(includeText: includeText, maxBytesPerFile: maxBytesPerFile, budget: maxBytesTotal))
        defer { state.deinitialize(count: 1); state.deallocate() }
        let status = git_diff_foreach(handle, { _, _, payload in
            StatsState.at(payload).pointee.startFile()
            return 0
        }, nil, { _, hunk, payload in
            let state = StatsState.at(payload)
            state.pointee.current.hunks += 1
            if state.pointee.includeText, let hunk {
                withUnsafeBytes(of: hunk.pointee.header) { header in
                    state.pointee.append(prefix: nil, UnsafeRawBufferPointer(rebasing: header[..<min(hunk.pointee.header_len, header.count)]))
                }
            }
            return 0
        }, { _, _, line, payload in
            guard let line else { return 0 }
            let state = StatsState.at(payload)
            let origin = UInt8(bitPattern: line.pointee.origin)
            if origin == UInt8(ascii: "+") {
                state.pointee.current.insertions += 1
            } else if origin == UInt8(ascii: "-") {
                state.pointee.current.deletions += 1
            }
            if state.pointee.includeText {
                let content = UnsafeRawBufferPointer(start: line.pointee.content, count: line.pointee.content_len)
                let isLine = origin == UInt8(ascii: "+") || origin == UInt8(ascii: "-") || origin == UInt8(ascii: " ")
                state.pointee.append(prefix: isLine ? origin : nil, content)  // "\ No newline" markers carry their own text
            }
            return 0
        }, state)
        try check(status, "git_diff_foreach")
        state.pointee.finishFile()
        return state.pointee.files
    }
}

/// The mutable state of `collectStats`, reached from libgit2's C callbacks through the payload.
private struct StatsState {
    var files: [FileStats] = []
    /// The file being diffed; appended to `files` when the next one starts.
    var current = FileStats()
    var started = false
    let includeText: Bool
    let maxBytesPerFile: Int
    var budget: Int
    var stopped = false

    init(includeText: Bool, maxBytesPerFile: Int, budget: Int) {
        self.includeText = includeText
        self.maxBytesPerFile = maxBytesPerFile
        self.budget = budget
    }

    static func at(_ payload: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<StatsState> {
        payload!.assumingMemoryBound(to: StatsState.self)
    }

    mutating func startFile() {
        finishFile()
        started = true
        stopped = false
    }

    mutating func finishFile() {
        if started { files.append(current) }
        current = FileStats()
        started = false
    }

    /// Appends one whole line, or stops this file's text for good when it would not fit.
    mutating func append(prefix: UInt8?, _ bytes: UnsafeRawBufferPointer) {
        guard !stopped else { return }
        let size = bytes.count + (prefix == nil ? 0 : 1)
        guard current.text.count + size <= maxBytesPerFile, size <= budget else {
            stopped = true
            current.truncated = true
            return
        }
        if let prefix { current.text.append(prefix) }
        current.text.append(contentsOf: bytes)
        budget -= size
    }
}
