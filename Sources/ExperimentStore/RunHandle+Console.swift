import Foundation

extension RunHandle {
    /// A run keeps its first `consoleHead` console lines and its latest `consoleTail`: the
    /// start says how it was set up, the end how it ended (a traceback). Lines in between are
    /// dropped as newer ones come, in memory and in the store; `seq` keeps counting them.
    public static let consoleHead = 10_000
    public static let consoleTail = 10_000
    /// A longer line is cut at this many bytes (at a character boundary), with a note of the
    /// bytes cut, so a run's console log is at most (head + tail) × this, about 80 MiB.
    public static let consoleLineBytes = 4096

    /// Records one line the run's program printed, `line` without its newline; a carriage
    /// return keeps only what follows it (a progress bar's last state, as a terminal shows it).
    /// Never waits on disk: the line is written with the next flush, in the same transaction
    /// as the points logged before it. `step` is the training step current when it was printed.
    ///
    ///     run.logConsole(.stdout, "epoch 1: loss 2.31", step: 120)
    public func logConsole(_ stream: ConsoleLine.Stream, _ line: String, step: Int?, time: Double = Date().timeIntervalSince1970) {
        let text = Self.consoleText(line)
        pending.withLock { buffer in
            buffer.consoleSeq += 1
            buffer.batch.console.append(ConsoleLine(seq: buffer.consoleSeq, time: time, stream: stream, step: step, line: text))
            buffer.dropConsoleMiddle()
        }
    }

    /// The step of the latest `log` call, nil before the first: the step to give a line
    /// printed by code that does not track steps itself (the pipeline's progress notes).
    public var currentStep: Int? { pending.withLock { $0.lastStep } }

    /// The line as stored: after its last carriage return (a trailing one, from CRLF, is
    /// ignored), cut to `consoleLineBytes`.
    static func consoleText(_ line: String) -> String {
        var text = Substring(line)
        if text.hasSuffix("\r") { text = text.dropLast() }
        if let lastReturn = text.lastIndex(of: "\r") { text = text[text.index(after: lastReturn)...] }
        let utf8 = text.utf8
        guard utf8.count > consoleLineBytes else { return String(text) }
        var end = utf8.index(utf8.startIndex, offsetBy: consoleLineBytes)
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
        let kept = String(text[..<end])
        return kept + " … [line cut: \(utf8.count - kept.utf8.count) more bytes]"
    }
}

extension PendingWrites {
    /// Keeps the buffered console lines within the bound: lines past the head that are older
    /// than the latest `consoleTail` are dropped (in chunks, so appending stays amortised O(1)).
    mutating func dropConsoleMiddle() {
        let lines = batch.console
        guard lines.count >= 2 * RunHandle.consoleTail, let last = lines.last?.seq,
              last > Int64(RunHandle.consoleHead + RunHandle.consoleTail) else { return }
        let keepFrom = last - Int64(RunHandle.consoleTail)  // lines with seq > keepFrom stay
        batch.console.removeAll { $0.seq > Int64(RunHandle.consoleHead) && $0.seq <= keepFrom }
    }
}
