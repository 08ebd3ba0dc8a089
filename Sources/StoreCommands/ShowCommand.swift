import ArgumentParser
import ExperimentStore

package struct ShowCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one run: its record, config, metrics, phases, checkpoints and artifacts.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var pager: PagerOption
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String

    package func run() throws {
        let store = try storeOptions.openForReading()
        let manifest = try store.manifest(for: try store.run(runRef))
        pager.start()
        try Self.print(manifest, output)
    }

    /// Prints a run as `show` does, in `output`'s format (also what `blocklab demo` prints).
    package static func print(_ manifest: RunManifest, _ output: OutputOptions) throws {
        switch output.format {
        case .json: try output.printJSON(manifest)
        case .csv: output.print(headers: RunManifest.csvHeaders, rows: try manifest.csvRows())
        case .table: Swift.print(Self.table(manifest), terminator: "")
        }
    }

    /// The run as a person reads it: its record, then a table per section that has rows.
    package static func table(_ manifest: RunManifest) -> String {
        let info = manifest.run
        // Gathered into a string (not printed) so that `export --format table --out FILE` can write it.
        var out = ""
        func print(_ text: String, terminator: String = "\n") { out += text + terminator }
        var lines = [
            "run \(info.id)  \(info.name)  [\(info.status.rawValue)]",
            "  uuid        \(info.uuid)",
            "  experiment  \(info.experiment)",
            "  started     \(Display.time(info.startedAt) ?? "")",
            "  ended       \(Display.time(info.endedAt) ?? "-")",
            "  duration    \(Display.duration(info.durationSeconds))",
            "  host        \(info.hostname ?? "?") pid \(info.pid.map(String.init) ?? "?")"
                + (info.worldSize > 1 ? "  (rank 0 of \(info.worldSize) processes)" : ""),
            "  command     \(info.commandLine ?? "")",
        ]
        if let repo = info.sourceRepo { lines.append("  source      \(repo) @ \(info.sourceCommit ?? "?")") }
        if let parent = info.parentRunID { lines.append("  resumes     run \(parent)") }
        if !info.tags.isEmpty { lines.append("  tags        " + info.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
        if let note = info.note { lines.append("  note        \(note)") }
        if let error = info.error { lines.append("  error       \(error)") }
        print(lines.joined(separator: "\n"))
        if !manifest.metrics.isEmpty {
            print("\nmetrics")
            print(OutputOptions.table(
                headers: ["key", "count", "last", "last step", "min", "min step", "max", "max step"],
                rows: manifest.metrics.values.sorted { $0.key < $1.key }.map { m in
                    [m.key, String(m.count), Display.number(m.last), String(m.lastStep), Display.number(m.min),
                     m.minStep.map(String.init), Display.number(m.max), m.maxStep.map(String.init)]
                }), terminator: "")
        }
        if !manifest.phases.isEmpty {
            print("\nphases")
            print(OutputOptions.table(
                headers: ["phase", "status", "duration", "error"],
                rows: manifest.phases.map { [$0.name, $0.status.rawValue, $0.durationSeconds.map(Display.duration), $0.error] }),
                  terminator: "")
        }
        let peaks = manifest.hardwarePeaks
        if peaks.samples > 0 {
            print("\nhardware peaks (\(peaks.samples) samples)")
            // One line per process that sent samples: a data-parallel run shows every rank's.
            let byRank = manifest.hardwarePeaksByRank.count > 1 ? manifest.hardwarePeaksByRank
                : [RankPeaks(host: nil, rank: nil, peaks: peaks)]
            for entry in byRank {
                let p = entry.peaks
                var parts = [String]()
                if let rank = entry.rank { parts.append("rank \(rank) on \(entry.host ?? "?") (\(p.samples) samples)") }
                if let cpu = p.cpuPercent { parts.append(String(format: "cpu %.1f%%", cpu)) }
                if let ram = p.ramPercent { parts.append(String(format: "ram %.1f%%", ram)) }
                if let rss = p.processRSSBytes { parts.append("rss \(Display.bytes(rss)!)") }
                if let anon = p.processRSSAnonBytes { parts.append("rss anon \(Display.bytes(anon)!)") }
                if let temp = p.cpuTemperatureC { parts.append(String(format: "cpu temp %.1f C", temp)) }
                if let gpu = p.gpuMemoryUsedBytes { parts.append("gpu mem \(Display.bytes(gpu)!)") }
                print("  " + parts.joined(separator: "  "))
            }
        }
        if !manifest.hardwarePeaksByPhase.isEmpty {
            print("\nhardware peaks by phase")
            print(OutputOptions.table(
                headers: ["phase", "samples", "cpu %", "ram %", "rss", "rss anon", "gpu mem"],
                rows: Self.phaseOrder(manifest).compactMap { name in
                    manifest.hardwarePeaksByPhase[name].map { p in
                        [name, String(p.samples), Display.number(p.cpuPercent) ?? "-", Display.number(p.ramPercent) ?? "-",
                         Display.bytes(p.processRSSBytes) ?? "-", Display.bytes(p.processRSSAnonBytes) ?? "-",
                         Display.bytes(p.gpuMemoryUsedBytes) ?? "-"]
                    }
                }), terminator: "")
        }
        if !manifest.checkpoints.isEmpty {
            print("\ncheckpoints")
            print(OutputOptions.table(
                headers: ["step", "best", "size", "sha256", "path"],
                rows: manifest.checkpoints.map { [String($0.step), $0.isBest ? "yes" : "", Display.bytes($0.bytes), String($0.sha256.prefix(12)), $0.path] }),
                  terminator: "")
        }
        if !manifest.artifacts.isEmpty {
            print("\nartifacts")
            print(OutputOptions.table(
                headers: ["kind", "name", "size", "sha256", "path"],
                rows: manifest.artifacts.map { [$0.kind, $0.name, Display.bytes($0.bytes), String($0.sha256.prefix(12)), $0.path] }),
                  terminator: "")
        }
        if !manifest.params.isEmpty {
            print("\nconfig (\(manifest.params.count) keys, sha256 \(manifest.config.map { String($0.sha256.prefix(12)) } ?? "-"))")
            print(OutputOptions.table(headers: ["key", "value"],
                                      rows: manifest.params.sorted { $0.key < $1.key }.map { [$0.key, $0.value ?? "null"] }),
                  terminator: "")
        }
        return out
    }

    /// The phases with hardware peaks, in the order the run recorded them (others after, sorted).
    static func phaseOrder(_ manifest: RunManifest) -> [String] {
        var order = [String]()
        for name in manifest.phases.map(\.name) + manifest.hardwarePeaksByPhase.keys.sorted() where !order.contains(name) {
            if manifest.hardwarePeaksByPhase[name] != nil { order.append(name) }
        }
        return order
    }
}
