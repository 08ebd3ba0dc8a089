import ArgumentParser
import ExperimentStore
import Foundation

package struct MergeCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Import the runs of another store that this one lacks (matched by uuid).",
        discussion: """
            Asks first at a terminal (`merge 2 runs (1,204 metric points) from OTHER into STORE? [y/N]`); \
            without one, pass --yes. --dry-run prints what would be imported and writes nothing. \
            The other store is only read; merging a store into itself is refused.
            """)
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The other store file.") var other: String
    @Flag(name: .shortAndLong, help: "Merge without asking (what a script passes).") var yes = false
    @Flag(name: .long, help: "Print what would be imported, and write nothing.") var dryRun = false

    package func run() throws {
        // The other store is checked first: a mistyped name creates nothing.
        let plan = try ExperimentStore.mergePlan(from: other, into: try storeOptions.path)
        if dryRun {
            try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(plan)) {
                print("would import \(plan.runs.count) runs (\(plan.metricPoints) metric points) from \(plan.source) "
                      + "into \(plan.target); \(plan.skipped) already there")
                if !plan.runs.isEmpty {
                    print(OutputOptions.table(headers: ["id there", "name", "status", "metric points", "uuid"], rows: plan.runs.map {
                        [String($0.id), $0.name, $0.status, String($0.metricPoints), $0.uuid]
                    }), terminator: "")
                }
            }
            return
        }
        if plan.runs.isEmpty {
            // Nothing to import: nothing is written (and no store made).
            return try printReport(ExperimentStore.MergeReport(imported: [], skipped: plan.skipped, metricPoints: 0))
        }
        try Confirmation.require(
            yes: yes,
            question: "merge \(plan.runs.count) run\(plan.runs.count == 1 ? "" : "s") (\(Confirmation.count(plan.metricPoints)) "
                + "metric points) from \(plan.source) into \(plan.target)?",
            refusal: "merge asks before it imports, and there is no terminal to ask at: pass --yes to import \(plan.runs.count) "
                + "runs from \(plan.source), or --dry-run to see them",
            declined: "nothing merged")
        let store = try storeOptions.openForWriting()
        defer { store.checkpoint() }
        try printReport(try store.merge(from: other))
    }

    private func printReport(_ report: ExperimentStore.MergeReport) throws {
        try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(report)) {
            print("imported \(report.imported.count) runs (\(report.metricPoints) metric points); \(report.skipped) already here")
        }
    }
}
