import ArgumentParser
import ExperimentStore
import Foundation

package struct RunsCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "runs", abstract: "List the runs in the store.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var pager: PagerOption
    @Option(help: "Only runs with this status: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: RunStatus?

    package func run() throws {
        let store = try storeOptions.openForReading()
        let runs = try store.runs(status: status)
        pager.start()
        // JSON and CSV: each run as the manifest's `run` section (times in Unix seconds,
        // `duration_seconds` a number, every key present); the table is for reading.
        let records = runs.map { RunManifest.Run($0, store: URL(fileURLWithPath: store.path).standardizedFileURL.path) }
        try output.printRecords(json: try ExperimentStore.jsonEncoder().encode(records), leading: Self.leadingColumns) {
            Swift.print(OutputOptions.table(
                headers: ["id", "name", "experiment", "status", "started", "duration", "ranks", "uuid"],
                rows: runs.map { run in
                    [String(run.id), run.name, run.experiment, run.status.rawValue, Display.time(run.startedAt),
                     Display.duration(run.durationSeconds), String(run.worldSize), run.uuid]
                }), terminator: "")
        }
    }

    /// The CSV's first columns, in the table's order; the other keys follow.
    static let leadingColumns = ["id", "name", "experiment", "status", "started_at", "duration_seconds", "world_size", "uuid",
                                 "ended_at", "recorded_status", "heartbeat_at", "pid", "hostname", "command_line", "blocklab_version",
                                 "source_repo", "source_commit", "parent_run_id", "error", "note", "store", "tags"]
}

extension RunStatus: ExpressibleByArgument {}
