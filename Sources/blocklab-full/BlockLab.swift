import ArgumentParser
import ExperimentStore
import StoreCommands

/// The `blocklab` command: a thin root over one file per subcommand.
/// Each capability lists its subcommands in its own `Commands+*.swift` file.
@main
struct BlockLab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocklab",
        abstract: "Train code models on git history; every run recorded in one SQLite store.",
        discussion: HelpSections.root,
        version: BlockLabVersion.string,
        subcommands: pipelineCommands + storeCommands + gitCommands + tokenizerCommands + trainingCommands + embeddingCommands + dashboardCommands
            + [VersionCommand.self, Bench.self]
    )

    /// ArgumentParser's `main`, with a "did you mean" for a mistyped command and every error
    /// ending with its `ExitStatus`.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let mistyped = CommandSuggestion.message(for: arguments, root: Self.self) {
            ExitStatus.exit(Self.self, error: mistyped)
        }
        do {
            var command = try await asyncParseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            ExitStatus.exit(Self.self, error: error, classify: ExitStatus.ofModuleError)
        }
    }
}
