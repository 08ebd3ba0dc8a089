import ArgumentParser

extension BlockLab {
    /// Subcommands of the experiment store: logging from any program and reading back.
    static let storeCommands: [ParsableCommand.Type] = [
        DemoCommand.self, IngestCommand.self, RunsCommand.self, ShowCommand.self, MetricsCommand.self,
        CompareCommand.self, SQLCommand.self, ExportCommand.self, TagCommand.self, NoteCommand.self,
        ReapCommand.self, DeleteCommand.self, MergeCommand.self,
    ]
}
