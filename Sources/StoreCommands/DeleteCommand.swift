import ArgumentParser
import Foundation

package struct DeleteCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a run and everything recorded for it (files on disk stay).")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var quiet: QuietOption
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String

    package func run() throws {
        let store = try storeOptions.openExistingForWriting()
        let info = try store.run(runRef)
        if info.status == .running {
            throw CLIError("run \(info.id) (\(info.name)) is still running (pid \(info.pid ?? 0)); stop it first")
        }
        try store.deleteRun(id: info.id)
        Console.notice("blocklab: deleted run \(info.id) (\(info.name), \(info.uuid))")
    }
}
