import ExperimentStore
import StoreCommands
import Embedding
import Foundation
import Pipeline

/// The one progress display of the command line, on stderr: "label phase: done/total unit,
/// rate unit/s, time left", redrawn in place at a terminal (at most 4 times a second) and as
/// a plain line every 5 seconds otherwise, or when TERM is dumb (and always the last one of
/// a count); notes (a phase starting, a training step) print as lines of their own, above
/// the count. With `-q` (`Console.quiet`) only the notes that are warnings or errors print.
/// Once `record(into:)` names a run, each note is also a line of that run's console log,
/// whatever `-q` says, and so is the last line of each count (its total and rate); the counts
/// drawn before it are not kept: they are a display, not an account.
final class Progress: PipelineProgress, @unchecked Sendable {
    private let label: String
    private let interactive = Console.redrawsInPlace
    private let lock = NSLock()
    private var shown = false
    private var last = Date.distantPast
    private var counting: (phase: String, started: Date, done: Int)?
    private var run: RunHandle?

    init(label: String) { self.label = label }

    func record(into run: RunHandle) { lock.withLock { self.run = run } }

    func begin(phase: String, _ how: String) {
        lock.withLock { counting = (phase, Date(), 0) }
        note("\(phase): \(how)")
    }

    func update(phase: String, done: Int, total: Int, unit: String) {
        lock.withLock {
            let now = Date()
            if counting?.phase != phase || done < (counting?.done ?? 0) { counting = (phase, now, 0) }
            counting?.done = done
            guard now.timeIntervalSince(last) >= (interactive ? 0.25 : 5) || done == total else { return }
            last = now
            let elapsed = now.timeIntervalSince(counting?.started ?? now)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            var line = "\(prefix(phase)): \(done)/\(total) \(unit), \(String(format: "%.1f", rate)) \(unit)/s"
            if rate > 0 && done < total { line += ", \(Display.duration(Double(total - done) / rate)) left" }
            if done == total, let run { run.logConsole(.blocklab, line, step: run.currentStep) }
            guard !Console.quiet else { return }
            write(interactive ? "\r\(line)\u{1B}[K" : "\(line)\n")
            shown = interactive
        }
    }

    /// A count with no phase name (a standalone command's single job).
    func update(_ done: Int, _ total: Int, unit: String) { update(phase: "", done: done, total: total, unit: unit) }

    /// Embedding's and Qdrant's reports.
    func update(_ report: ProgressReport, unit: String) { update(report.done, report.total, unit: unit) }

    func note(_ line: String) {
        var line = line
        // A phase's note ("tokenize: wrote ...") under a label that already names the phase.
        if let colon = line.firstIndex(of: ":"), label.hasSuffix(" " + line[..<colon]) {
            line = String(line[line.index(after: colon)...].drop(while: { $0 == " " }))
        }
        if let run = lock.withLock({ run }) { run.logConsole(.blocklab, "\(label): \(line)", step: run.currentStep) }
        guard !Console.quiet || Console.isWarning(line) else { return }
        lock.withLock {
            if shown { write("\r\u{1B}[K") }
            shown = false
            write("\(label): \(line)\n")
        }
    }

    /// Ends a line drawn in place.
    func finish() {
        lock.withLock {
            if shown { write("\n") }
            shown = false
        }
    }

    /// "blocklab pipeline scrape", or "blocklab scrape" when the label names the phase already.
    private func prefix(_ phase: String) -> String {
        phase.isEmpty || label.hasSuffix(" " + phase) ? label : "\(label) \(phase)"
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
