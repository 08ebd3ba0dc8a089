import ArgumentParser
import StoreCommands

extension BlockLab {
    /// Subcommands of the experiment store: the synthetic `demo` run, logging from any program (`ingest`) and the
    /// commands that read or edit the store, which the `blocklab` launcher also runs itself.
    static let storeCommands: [ParsableCommand.Type] = [DemoCommand.self, IngestCommand.self] + StoreCommandList.commands
}
