import ArgumentParser
import ExperimentStore
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a run's manifest (MANIFEST_DYNAMIC.json) for jq and other tools.")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Option(help: "Write to this file (atomically) instead of stdout.") var out: String?

    func run() throws {
        let store = try storeOptions.openForReading()
        let manifest = try store.manifest(for: try store.run(runRef))
        let data = try ExperimentStore.jsonEncoder().encode(manifest) + Data("\n".utf8)
        if let out {
            do { try data.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw CLIError("cannot write \(out): \(error.localizedDescription); choose a writable path with --out")
            }
            FileHandle.standardError.write(Data("blocklab: wrote \(out)\n".utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
