import Foundation

/// "done/total, rate" on stderr: rewritten in place on a terminal, a line every few seconds otherwise.
final class ProgressMeter {
    private let label: String
    private let started = Date()
    private var last = Date.distantPast
    private let interactive = isatty(2) == 1
    private var shown = false

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        let now = Date()
        guard now.timeIntervalSince(last) >= (interactive ? 0.25 : 5) || done == total else { return }
        last = now
        let rate = Double(done) / max(now.timeIntervalSince(started), 1e-6)
        let line = "\(label): \(done)/\(total) commits, \(Int(rate)) commits/s"
        FileHandle.standardError.write(Data((interactive ? "\r\(line)" : "\(line)\n").utf8))
        shown = true
    }

    func finish() {
        if interactive && shown { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = false
    }
}
