import Foundation

/// Asking a person before a command changes what cannot be had back (`delete`, `merge`).
///
/// A person is there when stdin and stderr are both a terminal: the question goes to stderr
/// (stdout may be piped to a file) and the answer comes from stdin. Without a terminal the
/// command must be told (`--yes`): a script never hangs on a question nobody reads.
package enum Confirmation {
    /// Whether stdin and stderr are both a terminal.
    package static var canAsk: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

    /// Asks `question [y/N] ` on stderr and reads one line from stdin: true for `y` or `yes`
    /// (any case); anything else, an empty line or the end of input is no.
    package static func ask(_ question: String) -> Bool {
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        guard let line = readLine() else {
            FileHandle.standardError.write(Data("\n".utf8))
            return false
        }
        return ["y", "yes"].contains(line.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Goes on when `yes` was given or a person answers yes; else throws: without a terminal,
    /// an error that says which flag to pass (`refusal`); at one, "nothing changed" (`declined`).
    package static func require(yes: Bool, question: @autoclosure () -> String, refusal: @autoclosure () -> String,
                                declined: @autoclosure () -> String) throws {
        if yes { return }
        guard canAsk else { throw CLIError(refusal()) }
        guard ask(question()) else { throw CLIError(declined()) }
    }

    /// `1,204`: thousands grouped whatever the locale, as a person reads a count.
    package static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}
