import ArgumentParser
import ExperimentStore

package struct MetricsCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Print a run's metric history (every key, or one with --key).")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var pager: PagerOption
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Option(help: "Only this metric key (e.g. train/loss).") var key: String?

    package func run() throws {
        let store = try storeOptions.openForReading()
        let info = try store.run(runRef)
        let known = try store.metricSummaries(runID: info.id).map(\.key)
        if let key, !known.contains(key) {
            throw CLIError("run \(info.id) has no metric '\(key)'; its keys are: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))",
                           status: .notFound)
        }
        let keys = key.map { [$0] } ?? known
        var rows = [[String?]]()
        var points = [String: [MetricPoint]]()
        for key in keys {
            let history = try store.metricHistory(runID: info.id, key: key)
            points[key] = history
            for point in history {
                rows.append([key, String(point.step), Display.number(point.value), Display.number(point.epoch), Display.time(point.wallTime)])
            }
        }
        pager.start()
        if output.format == .json {
            // Every point with every key (`value` and `epoch` null where absent), as the CSV's columns.
            struct Point: Encodable {
                let step: Int
                @Nullable var value: Double?
                @Nullable var epoch: Double?
                let wallTime: Double
            }
            try output.printJSON(points.mapValues { $0.map { Point(step: $0.step, value: $0.value, epoch: $0.epoch, wallTime: $0.wallTime) } })
            return
        }
        if output.format == .csv {
            // CSV keeps full precision for other tools.
            rows = keys.flatMap { key in
                (points[key] ?? []).map { [key, String($0.step), $0.value.map { "\($0)" }, $0.epoch.map { "\($0)" }, String($0.wallTime)] }
            }
        }
        output.print(headers: ["key", "step", "value", "epoch", "wall_time"], rows: rows)
    }
}
