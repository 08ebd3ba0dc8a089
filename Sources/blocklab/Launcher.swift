import ArgumentParser
import ExperimentStore
import StoreCommands

/// `blocklab`, the one command people type. It runs well-formed store commands (`runs`,
/// `show`, `sql`, ... and `--version`) itself, linking only the store, so they start in
/// milliseconds. Everything else, and every request for help, completion scripts or a
/// command line it cannot parse, goes to `blocklab-full` beside it (git's and cargo's shape:
/// exec, so the same pid, arguments, environment and signals, and SIGINT and SIGTERM still
/// reach the run that command records). `blocklab-full` holds the same store commands, so
/// help text, parse errors and "did you mean" for a mistyped command come from one place and
/// read the same either way; both end with the same `ExitStatus` for the same error.
@main
enum Launcher {
    static func main() {
        let arguments = CommandLine.arguments
        let rest = Array(arguments.dropFirst())
        if rest == ["--version"] {
            print(BlockLabVersion.string)
            return
        }
        guard let first = rest.first, StoreCommandList.names.contains(first), !rest.contains(where: isHelpRequest) else {
            FullBinary.exec(arguments)
        }
        var command: ParsableCommand
        do {
            command = try StoreRoot.parseAsRoot(rest)
        } catch {
            FullBinary.exec(arguments)  // it prints the error with the usage, as for any command
        }
        do {
            try command.run()
        } catch {
            ExitStatus.exit(StoreRoot.self, error: error)
        }
    }

    /// Arguments that ask ArgumentParser for help or a completion script rather than a run.
    static func isHelpRequest(_ argument: String) -> Bool {
        ["-h", "--help", "-help", "--experimental-dump-help"].contains(argument) || argument.hasPrefix("--generate-completion-script")
    }
}
