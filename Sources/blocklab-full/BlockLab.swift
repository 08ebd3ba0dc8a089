import ArgumentParser
import ExperimentStore

/// The `blocklab` command: a thin root over one file per subcommand.
/// Each capability lists its subcommands in its own `Commands+*.swift` file.
@main
struct BlockLab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocklab",
        abstract: "Train code models on git history; every run recorded in one SQLite store.",
        version: BlockLabVersion.string,
        subcommands: pipelineCommands + storeCommands + gitCommands + tokenizerCommands + trainingCommands + embeddingCommands + dashboardCommands
            + [Bench.self]
    )
}
