import ArgumentParser
import ExperimentStore
import Foundation

package struct MergeCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Import the runs of another store that this one lacks (matched by uuid).")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The other store file.") var other: String

    package func run() throws {
        let report = try storeOptions.openForWriting().merge(from: other)
        try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(report)) {
            print("imported \(report.imported.count) runs (\(report.metricPoints) metric points); \(report.skipped) already here")
        }
    }
}
