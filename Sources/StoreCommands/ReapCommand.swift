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
        // JSON and CSV as `runs` prints them; the table is for reading.
        let records = reaped.map { RunManifest.Run($0, store: URL(fileURLWithPath: store.path).standardizedFileURL.path) }
        try output.printRecords(json: try ExperimentStore.jsonEncoder().encode(records), leading: RunsCommand.leadingColumns) {
            Swift.print(OutputOptions.table(headers: ["id", "name", "last heartbeat"],
                                            rows: reaped.map { [String($0.id), $0.name, Display.time($0.heartbeatAt)] }), terminator: "")
        }
    }
}
