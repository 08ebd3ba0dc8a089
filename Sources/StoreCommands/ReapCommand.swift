import ArgumentParser
import ExperimentStore
import Foundation

package struct ReapCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "reap", abstract: "Record 'crashed' for runs whose process is gone without finishing.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    package func run() throws {
        let store = try storeOptions.openExistingForWriting()
        defer { store.checkpoint() }
        let reaped = try store.reap()
        if output.format == .json { try output.printJSON(reaped); return }
        output.print(headers: ["id", "name", "last heartbeat"],
                     rows: reaped.map { [String($0.id), $0.name, Display.time($0.heartbeatAt)] })
    }
}
