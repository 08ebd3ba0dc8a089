import ArgumentParser

extension BlockLab {
    /// Subcommands of the experiment store: logging from any program and reading back.
    static let storeCommands: [ParsableCommand.Type] = [
        DemoCommand.self, IngestCommand.self, RunsCommand.self, ShowCommand.self, MetricsCommand.self,
        CompareCommand.self, SQLCommand.self, ExportCommand.self, TagCommand.self, NoteCommand.self,
        ReapCommand.self, DeleteCommand.self, MergeCommand.self,
    ]
    static let storeBenchCommands: [ParsableCommand.Type] = [BenchStoreCommand.self]
}

/// `blocklab bench ...`: each capability's benchmark, measured against its peer in one run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print BlockLab's figures beside a peer's, measured in the same run.",
        subcommands: BlockLab.storeBenchCommands + BlockLab.gitBenchCommands
            + BlockLab.tokenizerBenchCommands + BlockLab.trainingBenchCommands + BlockLab.embeddingBenchCommands
            + BlockLab.dashboardBenchCommands
    )
}
