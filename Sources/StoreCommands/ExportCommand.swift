import ArgumentParser
import ExperimentStore
import Foundation

package struct ExportCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a run's manifest (MANIFEST_DYNAMIC.json) for jq and other tools.",
        discussion: "--format json (the default; --json) writes the manifest; csv as section,item,field,value rows (as `blocklab show --format csv`); table as `blocklab show`.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var quiet: QuietOption
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Option(help: "Write to this file (atomically) instead of stdout.") var out: String?
    @OptionGroup var output: OutputOptions

    package func run() throws {
        let store = try storeOptions.openForReading()
        let manifest = try store.manifest(for: try store.run(runRef))
        let data: Data
        switch output.requested ?? .json {
        case .json: data = try ExperimentStore.jsonEncoder().encode(manifest) + Data("\n".utf8)
        case .csv: data = Data(OutputOptions.csv(headers: RunManifest.csvHeaders, rows: try manifest.csvRows()).utf8)
        case .table: data = Data(ShowCommand.table(manifest).utf8)
        }
        if let out {
            // A missing folder is made, as `report --out` makes its own.
            let url = URL(fileURLWithPath: out)
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            } catch {
                throw CLIError("cannot write \(out): \(error.localizedDescription); choose a writable path with --out",
                               status: ExitStatus(for: error) ?? .cannotCreate)
            }
            Console.notice("blocklab: wrote \(out)")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
