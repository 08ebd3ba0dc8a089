import Embedding
import Foundation

/// "done/total unit, rate unit/s, time left" on stderr: rewritten in place on a terminal,
/// a line every few seconds otherwise (and always the last one).
final class ProgressLine {
    private let label: String
    private let unit: String
    private var last = Date.distantPast
    private let interactive = isatty(2) == 1
    private var shown = false

    init(label: String, unit: String) {
        self.label = label
        self.unit = unit
    }

    func update(_ report: ProgressReport) {
        let now = Date()
        guard now.timeIntervalSince(last) >= (interactive ? 0.25 : 5) || report.done == report.total else { return }
        last = now
        var line = "\(label): \(report.done)/\(report.total) \(unit), \(String(format: "%.1f", report.rate)) \(unit)/s"
        if let left = report.secondsLeft, report.done < report.total { line += ", \(Display.duration(left)) left" }
        FileHandle.standardError.write(Data((interactive ? "\r\(line)\u{1B}[K" : "\(line)\n").utf8))
        shown = true
    }

    func finish() {
        if interactive && shown { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = false
    }
}
