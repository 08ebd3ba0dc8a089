import ArgumentParser
import ExperimentStore

package struct CompareCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs: config keys that differ, final/min/max of each metric with the best step, durations, hardware peaks.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var pager: PagerOption
    @Argument(help: "Two or more runs: ids, uuid prefixes, names or 'latest'.") var runs: [String]
    @Option(name: .customLong("metric"), help: "Only this metric (repeatable).") var metrics: [String] = []

    package func validate() throws {
        guard runs.count >= 2 else { throw ValidationError("compare needs at least two runs, e.g. `blocklab compare 3 7`") }
    }

    package func run() throws {
        let store = try storeOptions.openForReading()
        let infos = try runs.map { try store.run($0) }
        let comparison = try store.compare(infos, metricKeys: metrics.isEmpty ? nil : metrics)
        pager.start()
        if output.format == .json { try output.printJSON(comparison); return }
        let names = comparison.runs.map { "\($0.id) \($0.name)" }
        if output.format == .csv {
            // One row per compared value, one column per run; numbers in full. `section` is
            // the JSON's key and `stat` the field's (`best.step`), so both formats read alike.
            func full(_ value: Double?) -> String? { value.map { "\($0)" } }
            var rows = [[String?]]()
            for difference in comparison.differingParams { rows.append(["differing_params", difference.key, "values"] + difference.values) }
            for metric in comparison.metrics {
                rows.append(["metrics", metric.key, "last"] + metric.runs.map { full($0?.last) })
                rows.append(["metrics", metric.key, "min"] + metric.runs.map { full($0?.min) })
                rows.append(["metrics", metric.key, "max"] + metric.runs.map { full($0?.max) })
                rows.append(["metrics", metric.key, "best.value"] + metric.best.map { full($0?.value) })
                rows.append(["metrics", metric.key, "best.step"] + metric.best.map { $0.map { String($0.step) } })
                rows.append(["metrics", metric.key, "best_run"] + metric.runs.indices.map { String($0 == metric.bestRun) })
            }
            rows.append(["runs", "", "status"] + comparison.runs.map { $0.status.rawValue })
            rows.append(["runs", "", "duration_seconds"] + comparison.runs.map { full($0.durationSeconds) })
            rows.append(["runs", "", "world_size"] + comparison.runs.map { String($0.worldSize) })
            let peaks = try comparison.hardwarePeaks.map { Dictionary(uniqueKeysWithValues: OutputOptions.flatten(try JSONValue.parse(ExperimentStore.jsonEncoder().encode($0)))) }
            for field in Set(peaks.flatMap(\.keys)).sorted() {
                rows.append(["hardware_peaks", "", field] + peaks.map { $0[field] ?? nil })
            }
            // Per rank: `rank_0.process_rss_bytes`, ... (empty where a run has no such rank).
            let byRank = try comparison.hardwarePeaksByRank.map { entries in
                Dictionary(try entries.filter { $0.rank != nil }.flatMap { entry in
                    OutputOptions.flatten(try JSONValue.parse(ExperimentStore.jsonEncoder().encode(entry.peaks)))
                        .map { ("rank_\(entry.rank!).\($0.0)", $0.1) }
                }, uniquingKeysWith: { first, _ in first })
            }
            for field in Set(byRank.flatMap(\.keys)).sorted() {
                rows.append(["hardware_peaks_by_rank", "", field] + byRank.map { $0[field] ?? nil })
            }
            // Per phase: key the phase, stat the field (empty where a run has no such phase).
            let byPhase = try comparison.hardwarePeaksByPhase.map { phases in
                try phases.mapValues { Dictionary(uniqueKeysWithValues: OutputOptions.flatten(try JSONValue.parse(ExperimentStore.jsonEncoder().encode($0)))) }
            }
            for phase in Set(byPhase.flatMap(\.keys)).sorted() {
                for field in Set(byPhase.flatMap { $0[phase]?.keys.map { $0 } ?? [] }).sorted() {
                    rows.append(["hardware_peaks_by_phase", phase, field] + byPhase.map { $0[phase]?[field] ?? nil })
                }
            }
            output.print(headers: ["section", "key", "stat"] + names, rows: rows)
            return
        }
        print("runs")
        print(OutputOptions.table(headers: ["", "status", "duration", "ranks"],
                                  rows: comparison.runs.map { ["\($0.id) \($0.name)", $0.status.rawValue, Display.duration($0.durationSeconds),
                                                               String($0.worldSize)] }),
              terminator: "")
        print("\nconfig keys that differ (\(comparison.differingParams.count))")
        if !comparison.differingParams.isEmpty {
            print(OutputOptions.table(headers: ["key"] + names,
                                      rows: comparison.differingParams.map { [$0.key] + $0.values.map { $0 ?? "(absent)" } }),
                  terminator: "")
        }
        print("\nmetrics (last / min / max; * marks the best run, @ the step of its best)")
        let rows: [[String?]] = comparison.metrics.map { metric in
            [metric.key + (metric.direction == .higherIsBetter ? " (higher)" : "")] + metric.runs.enumerated().map { index, summary in
                guard let summary else { return "-" }
                let best = metric.best[index].map { " @\($0.step)" } ?? ""
                let star = metric.bestRun == index && comparison.runs.count > 1 ? " *" : ""
                return "\(Display.number(summary.last) ?? "nan") / \(Display.number(summary.min) ?? "nan") / \(Display.number(summary.max) ?? "nan")\(best)\(star)"
            }
        }
        print(OutputOptions.table(headers: ["key"] + names, rows: rows), terminator: "")
        print("\nhardware peaks")
        var peakRows: [[String?]] = [
            ["samples"] + comparison.hardwarePeaks.map { String($0.samples) },
            ["cpu %"] + comparison.hardwarePeaks.map { Display.number($0.cpuPercent) ?? "-" },
            ["ram %"] + comparison.hardwarePeaks.map { Display.number($0.ramPercent) ?? "-" },
            ["process rss"] + comparison.hardwarePeaks.map { Display.bytes($0.processRSSBytes) ?? "-" },
            ["process rss anon"] + comparison.hardwarePeaks.map { Display.bytes($0.processRSSAnonBytes) ?? "-" },
            ["gpu memory"] + comparison.hardwarePeaks.map { Display.bytes($0.gpuMemoryUsedBytes) ?? "-" },
        ]
        // Each rank's own process RSS, when any run had more than one process.
        let ranks = Set(comparison.hardwarePeaksByRank.flatMap { $0.compactMap(\.rank) }).sorted()
        if comparison.hardwarePeaksByRank.contains(where: { $0.count > 1 }) {
            for rank in ranks {
                peakRows.append(["rss of rank \(rank)"] + comparison.hardwarePeaksByRank.map { entries in
                    Display.bytes(entries.first { $0.rank == rank }?.peaks.processRSSBytes) ?? "-"
                })
            }
        }
        // Each phase's peak RSS and RssAnon, phases in pipeline order.
        let phases = Set(comparison.hardwarePeaksByPhase.flatMap(\.keys))
        for phase in Self.pipelineOrder.filter(phases.contains) + phases.subtracting(Self.pipelineOrder).sorted() {
            let peaks = comparison.hardwarePeaksByPhase.map { $0[phase] }
            peakRows.append(["\(phase) rss"] + peaks.map { Display.bytes($0?.processRSSBytes) ?? "-" })
            peakRows.append(["\(phase) rss anon"] + peaks.map { Display.bytes($0?.processRSSAnonBytes) ?? "-" })
        }
        print(OutputOptions.table(headers: [""] + names, rows: peakRows), terminator: "")
    }

    /// The pipeline's phases in the order they run (the store module does not know `PhaseName`).
    static let pipelineOrder = ["analyse", "scrape", "tokenize", "embed", "train", "push"]
}
