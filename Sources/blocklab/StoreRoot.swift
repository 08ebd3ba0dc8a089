import ArgumentParser
import ExperimentStore
import StoreCommands

/// The launcher's own root: the store commands only. It never prints help or usage (the
/// launcher sends those to `blocklab-full`), so it declares a super-command name, which is
/// what tells ArgumentParser to skip its check for a completion-script request: that check
/// builds two extra command parsers and was a third of `blocklab runs`' time.
struct StoreRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocklab",
        _superCommandName: "blocklab-launcher",
        abstract: "Train code models on git history; every run recorded in one SQLite store.",
        version: BlockLabVersion.string,
        subcommands: StoreCommandList.commands
    )
}
