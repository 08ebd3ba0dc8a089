import ArgumentParser
import ExperimentStore

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
        if output.format == .json { try output.printJSON(runs); return }
        output.print(
            headers: ["id", "name", "experiment", "status", "started", "duration", "ranks", "uuid"],
            rows: runs.map { run in
                [String(run.id), run.name, run.experiment, run.status.rawValue, Display.time(run.startedAt),
                 Display.duration(run.durationSeconds), String(run.worldSize), run.uuid]
            })
    }
}

extension RunStatus: ExpressibleByArgument {}
