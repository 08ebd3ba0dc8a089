import ArgumentParser
import ExperimentStore
import Foundation

struct ReapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reap", abstract: "Record 'crashed' for runs whose process is gone without finishing.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let reaped = try storeOptions.openForWriting().reap()
        if output.format == .json { try output.printJSON(reaped); return }
        output.print(headers: ["id", "name", "last heartbeat"],
                     rows: reaped.map { [String($0.id), $0.name, Display.time($0.heartbeatAt)] })
    }
}

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a run and everything recorded for it (files on disk stay).")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String

    func run() throws {
        let store = try storeOptions.openForWriting()
        let info = try store.run(runRef)
        if info.status == .running {
            throw CLIError("run \(info.id) (\(info.name)) is still running (pid \(info.pid ?? 0)); stop it first")
        }
        try store.deleteRun(id: info.id)
        FileHandle.standardError.write(Data("blocklab: deleted run \(info.id) (\(info.name), \(info.uuid))\n".utf8))
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Import the runs of another store that this one lacks (matched by uuid).")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The other store file.") var other: String

    func run() throws {
        let report = try storeOptions.openForWriting().merge(from: other)
        if output.format == .json { try output.printJSON(report); return }
        print("imported \(report.imported.count) runs (\(report.metricPoints) metric points); \(report.skipped) already here")
    }
}
