import ArgumentParser
import StoreCommands
import Dashboard
import DurableFiles
import ExperimentStore
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page with the runs' charts, config, checkpoints and phases.",
        discussion: "The file opens from disk with no server and no network. Default: reports/<run name>-<run id>.html.")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("Runs: ids, uuid prefixes, names, or 'latest'.", valueName: "run")) var runs: [String]
    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file")) var out: String?
    @Option(help: "Points kept per series (M4 buckets).") var buckets = HTMLReport.defaultBuckets

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("name at least one run (an id, a name, a uuid prefix or 'latest')") }
        guard (1...DashboardData.maxBuckets).contains(buckets) else {
            throw ValidationError("--buckets must be between 1 and \(DashboardData.maxBuckets)")
        }
    }

    func run() throws {
        let store = try storeOptions.openForReading()
        let chartLibrary = try ChartLibrary.load()
        let infos = try runs.map { try store.run($0) }
        let html = try HTMLReport.render(store: store, runs: infos.map { String($0.id) }, buckets: buckets, chartLibrary: chartLibrary)
        let path = out ?? HTMLReport.defaultPath(for: infos)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Written beside, synced and renamed over: a reader never sees half a report.
            try DurableFile.write(Data(html.utf8), to: URL(fileURLWithPath: path))
        } catch {
            throw CLIError("cannot write the report \(path): \(error.localizedDescription); choose another place with --out FILE",
                           status: ExitStatus(for: error) ?? .cannotCreate)
        }
        print(path)
    }
}
