import ArgumentParser
import ExperimentStore
import Foundation

package struct DeleteCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a run and everything recorded for it (files on disk stay).",
        discussion: """
            Asks first at a terminal (`delete run 3 (demo, finished, 1,204 points)? [y/N]`); without one, \
            pass --yes. --dry-run prints what would go and deletes nothing. A run still running is refused.
            """)
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var quiet: QuietOption
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Flag(name: .shortAndLong, help: "Delete without asking (what a script passes).") var yes = false
    @Flag(name: .long, help: "Print what would be deleted, and delete nothing.") var dryRun = false

    /// What `--dry-run` prints: the run and how many records of each kind go with it.
    struct Preview: Encodable {
        let runId: Int64, name: String, status: String, uuid: String
        let records: RunRecordCounts
    }

    package func run() throws {
        if dryRun {
            let store = try storeOptions.openForReading()
            let info = try store.run(runRef)
            try refuseIfRunning(info)
            let counts = try store.recordCounts(runID: info.id)
            let preview = Preview(runId: info.id, name: info.name, status: info.status.rawValue, uuid: info.uuid, records: counts)
            try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(preview)) {
                print("would delete run \(info.id) (\(info.name), \(info.status.rawValue), \(info.uuid)) and its records:")
                print(OutputOptions.table(headers: ["records", "count"], rows: Self.rows(counts)), terminator: "")
            }
            return
        }
        let store = try storeOptions.openExistingForWriting()
        defer { store.checkpoint() }
        let info = try store.run(runRef)
        try refuseIfRunning(info)
        let points = try store.recordCounts(runID: info.id).metricPoints
        try Confirmation.require(
            yes: yes,
            question: "delete run \(info.id) (\(info.name), \(info.status.rawValue), \(Confirmation.count(points)) points)?",
            refusal: "delete asks before it deletes, and there is no terminal to ask at: pass --yes to delete run \(info.id) "
                + "(\(info.name)), or --dry-run to see what would go",
            declined: "nothing deleted")
        try store.deleteRun(id: info.id)
        Console.notice("blocklab: deleted run \(info.id) (\(info.name), \(info.uuid))")
    }

    private func refuseIfRunning(_ info: RunInfo) throws {
        if info.status == .running {
            throw CLIError("run \(info.id) (\(info.name)) is still running (pid \(info.pid ?? 0) on \(info.hostname ?? "?")): "
                           + "stop it first; a run whose process is gone reads crashed and can be deleted")
        }
    }

    static func rows(_ counts: RunRecordCounts) -> [[String?]] {
        [("metric points", counts.metricPoints), ("hardware samples", counts.hardwareSamples), ("checkpoints", counts.checkpoints),
         ("artifacts", counts.artifacts), ("phases", counts.phases), ("tags", counts.tags), ("params", counts.params),
         ("embeddings", counts.embeddings), ("qdrant pushes", counts.qdrantPushes)].map { [$0.0, String($0.1)] }
    }
}
