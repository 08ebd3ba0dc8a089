import Foundation
import Synchronization

/// What a command says on stderr besides its errors: notices (what went right: "wrote FILE",
/// a count, a rate, a phase starting) and warnings (what the user must know: a skipped line,
/// a truncated result, a run that was stopped). `-q/--quiet` (`QuietOption`) silences the
/// notices and progress, never errors or warnings. Progress redraws its line in place only at
/// a terminal that is not `TERM=dumb`; elsewhere it prints plain lines. No colours anywhere.
package enum Console {
    private static let silenced = Mutex(false)

    /// Whether notices and progress are silenced (`-q`): process-wide, as the flag is.
    package static var quiet: Bool {
        get { silenced.withLock { $0 } }
        set { silenced.withLock { $0 = newValue } }
    }

    /// A line that says what went right; silenced by `-q`.
    package static func notice(_ line: String) {
        guard !quiet else { return }
        write(line + "\n")
    }

    /// A line the user must see whatever `-q` says.
    package static func warning(_ line: String) {
        write(line + "\n")
    }

    /// Text as it is, unless `-q` (progress drawn by the caller, e.g. a line redrawn in place).
    package static func progress(_ text: String) {
        guard !quiet else { return }
        write(text)
    }

    /// Whether a line of progress text (a phase's or the trainer's note) is a warning or an
    /// error, which `-q` leaves: the phases mark them `warning:`, `error:` or `failed`.
    package static func isWarning(_ line: String) -> Bool {
        ["warning:", "error:", "failed", "could not", "not written", "stopped"].contains { line.contains($0) }
    }

    /// Whether progress may redraw a line in place (`\r`): stderr is a terminal and TERM is
    /// not `dumb`. Elsewhere (a pipe, a file, a CI log, Emacs' shell) each update is a line.
    package static var redrawsInPlace: Bool {
        isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
