import ArgumentParser

/// The commands that only read or edit the experiment store. They link the store and nothing
/// heavier (no libgit2, libcurl, web server or libtorch), so the `blocklab` launcher runs them
/// itself and starts in milliseconds; every other command runs in `blocklab-full`.
package enum StoreCommandList {
    /// In the order `blocklab --help` lists them.
    package static let commands: [ParsableCommand.Type] = [
        RunsCommand.self, ShowCommand.self, MetricsCommand.self, CompareCommand.self, SQLCommand.self,
        ExportCommand.self, TagCommand.self, NoteCommand.self, ReapCommand.self, DeleteCommand.self, MergeCommand.self, LogsCommand.self,
    ]

    /// The names the launcher recognises as its own (`runs`, `sql`, ...).
    package static var names: Set<String> { Set(commands.map { $0._commandName }) }
}
